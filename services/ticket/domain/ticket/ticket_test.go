package ticket_test

import (
	"strings"
	"testing"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/ticketapi"
	"helpdesk/services/ticket/domain/ticket"
)

// weekdays is a fake calendar for tests: Monday to Friday are working days.
type weekdays struct{}

func (weekdays) AddWorkingDays(t time.Time, n int) time.Time {
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if t.Weekday() != time.Saturday && t.Weekday() != time.Sunday {
			n--
		}
	}
	return t
}

var (
	cal       = weekdays{}
	policy    = ticket.DefaultPolicy()
	monday    = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	requester = ticket.Actor{ID: "cust-1", Role: "customer"}
	stranger  = ticket.Actor{ID: "cust-2", Role: "customer"}
	agent     = ticket.Actor{ID: "agent-1", Role: "agent"}
	admin     = ticket.Actor{ID: "admin-1", Role: "admin"}
	system    = ticket.SystemActor("deadlines")
)

// history replays commands into a ticket in the given status and returns
// the envelopes of all events so far.
type history struct {
	t   *testing.T
	tk  *ticket.Ticket
	evs []events.Envelope
	now time.Time
}

func opened(t *testing.T) *history {
	t.Helper()
	tk, evs, err := ticket.Open("t-1", requester, ticketapi.OpenTicket{Title: "打印机无法连接网络", Priority: "P2"}, monday, policy, cal)
	if err != nil {
		t.Fatal(err)
	}
	h := &history{t: t, tk: tk, now: monday}
	h.add(evs)
	return h
}

func (h *history) add(ps []events.Payload) {
	for _, p := range ps {
		env, err := events.New(ticketapi.Source, "ticket", "t-1", p, h.now, events.Metadata{})
		if err != nil {
			h.t.Fatal(err)
		}
		env.AggregateVersion = uint64(len(h.evs) + 1)
		h.evs = append(h.evs, env)
	}
}

func (h *history) do(ps []events.Payload, err error) *history {
	h.t.Helper()
	if err != nil {
		h.t.Fatalf("setting up: %v", err)
	}
	h.add(ps)
	return h
}

// inStatus returns a ticket brought into status by the usual path.
func inStatus(t *testing.T, status string) *history {
	t.Helper()
	h := opened(t)
	steps := map[string][]func(h *history) *history{
		ticketapi.StatusNew:               nil,
		ticketapi.StatusAssigned:          {assign},
		ticketapi.StatusInProgress:        {assign, start},
		ticketapi.StatusWaitingOnCustomer: {assign, start, await},
		ticketapi.StatusResolved:          {assign, start, resolve},
		ticketapi.StatusClosed:            {assign, start, resolve, confirm},
	}
	for _, step := range steps[status] {
		step(h)
	}
	if h.tk.Status() != status {
		t.Fatalf("set-up reached %s, want %s", h.tk.Status(), status)
	}
	return h
}

func assign(h *history) *history { return h.do(h.tk.Assign(agent, agent.ID, h.now)) }
func start(h *history) *history  { return h.do(h.tk.StartWork(agent, h.now)) }
func await(h *history) *history {
	return h.do(h.tk.Reply(agent, "r", "请提供截图", false, true, h.now))
}
func confirm(h *history) *history { return h.do(h.tk.Close(requester, "", h.now)) }
func resolve(h *history) *history {
	return h.do(h.tk.Resolve(agent, "已解决", h.now, policy, cal))
}

var allStatuses = []string{
	ticketapi.StatusNew, ticketapi.StatusAssigned, ticketapi.StatusInProgress,
	ticketapi.StatusWaitingOnCustomer, ticketapi.StatusResolved, ticketapi.StatusClosed,
}

// TestTicket_transitions runs every command from every status: the allowed
// ones reach the expected status, the others fail with conflict.
func TestTicket_transitions(t *testing.T) {
	type command func(tk *ticket.Ticket, now time.Time) ([]events.Payload, error)
	commands := map[string]command{
		"assign": func(tk *ticket.Ticket, now time.Time) ([]events.Payload, error) {
			return tk.Assign(admin, "agent-2", now)
		},
		"start": func(tk *ticket.Ticket, now time.Time) ([]events.Payload, error) { return tk.StartWork(agent, now) },
		"staff reply": func(tk *ticket.Ticket, now time.Time) ([]events.Payload, error) {
			return tk.Reply(agent, "r2", "回复", false, false, now)
		},
		"await customer": func(tk *ticket.Ticket, now time.Time) ([]events.Payload, error) {
			return tk.Reply(agent, "r2", "请确认", false, true, now)
		},
		"requester reply": func(tk *ticket.Ticket, now time.Time) ([]events.Payload, error) {
			return tk.Reply(requester, "r2", "还是不行", false, false, now)
		},
		"resolve": func(tk *ticket.Ticket, now time.Time) ([]events.Payload, error) {
			return tk.Resolve(agent, "已处理", now, policy, cal)
		},
		"confirm": func(tk *ticket.Ticket, now time.Time) ([]events.Payload, error) { return tk.Close(requester, "", now) },
		"admin close": func(tk *ticket.Ticket, now time.Time) ([]events.Payload, error) {
			return tk.Close(admin, "重复工单", now)
		},
		"system close": func(tk *ticket.Ticket, now time.Time) ([]events.Payload, error) {
			return tk.Close(ticket.SystemActor("satisfaction"), "the satisfaction survey expired", now)
		},
		"reopen": func(tk *ticket.Ticket, now time.Time) ([]events.Payload, error) {
			return tk.Reopen(requester, "问题复现", now, policy, cal)
		},
	}
	// want[command][status] is the status after the command, or "" for conflict.
	want := map[string]map[string]string{
		"assign":          {"new": "assigned", "assigned": "assigned", "in_progress": "in_progress", "waiting_on_customer": "waiting_on_customer"},
		"start":           {"assigned": "in_progress"},
		"staff reply":     {"new": "new", "assigned": "assigned", "in_progress": "in_progress", "waiting_on_customer": "waiting_on_customer", "resolved": "resolved"},
		"await customer":  {"assigned": "waiting_on_customer", "in_progress": "waiting_on_customer", "waiting_on_customer": "waiting_on_customer"},
		"requester reply": {"new": "new", "assigned": "assigned", "in_progress": "in_progress", "waiting_on_customer": "in_progress", "resolved": "resolved"},
		"resolve":         {"new": "resolved", "assigned": "resolved", "in_progress": "resolved", "waiting_on_customer": "resolved"},
		"confirm":         {"resolved": "closed"},
		"admin close":     {"new": "closed", "assigned": "closed", "in_progress": "closed", "waiting_on_customer": "closed", "resolved": "closed"},
		"system close":    {"resolved": "closed"},
		"reopen":          {"resolved": "in_progress", "closed": "in_progress"},
	}
	for name, cmd := range commands {
		for _, from := range allStatuses {
			t.Run(name+" from "+from, func(t *testing.T) {
				h := inStatus(t, from)
				before := h.tk.View(agent)
				evs, err := cmd(h.tk, h.now)
				to, allowed := want[name][from]
				if !allowed {
					if problem.CodeOf(err) != problem.CodeConflict {
						t.Fatalf("err = %v, want conflict", err)
					}
					if evs != nil || h.tk.Status() != from || len(h.tk.View(agent).Replies) != len(before.Replies) {
						t.Fatal("a refused command changed the ticket")
					}
					return
				}
				if err != nil {
					t.Fatalf("err = %v, want %s", err, to)
				}
				if len(evs) != 1 || h.tk.Status() != to {
					t.Fatalf("status %s after %d events, want %s", h.tk.Status(), len(evs), to)
				}
				// Replaying the stored events gives the same ticket.
				h.add(evs)
				replayed, err := ticket.FromEvents(h.evs)
				if err != nil {
					t.Fatal(err)
				}
				got, wantView := replayed.View(agent), h.tk.View(agent)
				wantView.Version = got.Version
				if !sameView(got, wantView) {
					t.Fatalf("replayed view differs:\n got  %+v\n want %+v", got, wantView)
				}
			})
		}
	}
}

func sameView(a, b ticketapi.Ticket) bool {
	return a.Status == b.Status && a.Assignee == b.Assignee && len(a.Replies) == len(b.Replies) &&
		a.Resolution == b.Resolution && a.ReopenCount == b.ReopenCount && a.SLA.ResolutionDue.Equal(b.SLA.ResolutionDue) &&
		(a.ClosedAt == nil) == (b.ClosedAt == nil) && (a.AutoCloseAt == nil) == (b.AutoCloseAt == nil)
}

// TestTicket_permissions checks who may run each command on an in-progress
// (or resolved) ticket.
func TestTicket_permissions(t *testing.T) {
	tests := []struct {
		name   string
		status string
		run    func(tk *ticket.Ticket, now time.Time) ([]events.Payload, error)
		want   problem.Code
	}{
		{"customer assigns", "new", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) {
			return tk.Assign(requester, "agent-1", n)
		}, problem.CodePermissionDenied},
		{"customer starts work", "assigned", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) { return tk.StartWork(requester, n) }, problem.CodePermissionDenied},
		{"customer resolves", "in_progress", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) {
			return tk.Resolve(requester, "x", n, policy, cal)
		}, problem.CodePermissionDenied},
		{"customer writes an internal note", "in_progress", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) {
			return tk.Reply(requester, "r", "x", true, false, n)
		}, problem.CodePermissionDenied},
		{"stranger replies", "in_progress", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) {
			return tk.Reply(stranger, "r", "x", false, false, n)
		}, problem.CodeNotFound},
		{"stranger reopens", "resolved", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) {
			return tk.Reopen(stranger, "x", n, policy, cal)
		}, problem.CodeNotFound},
		{"agent closes", "resolved", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) { return tk.Close(agent, "done", n) }, problem.CodePermissionDenied},
		{"stranger closes", "resolved", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) { return tk.Close(stranger, "", n) }, problem.CodePermissionDenied},
		{"admin closes without reason", "in_progress", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) { return tk.Close(admin, " ", n) }, problem.CodeValidation},
		{"requester confirms before resolution", "in_progress", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) { return tk.Close(requester, "", n) }, problem.CodeConflict},
		{"assign to nobody", "new", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) { return tk.Assign(agent, "", n) }, problem.CodeValidation},
		{"assign to the assignee", "assigned", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) { return tk.Assign(agent, agent.ID, n) }, problem.CodeConflict},
		{"empty reply", "in_progress", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) {
			return tk.Reply(agent, "r", "  ", false, false, n)
		}, problem.CodeValidation},
		{"internal note awaiting the customer", "in_progress", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) {
			return tk.Reply(agent, "r", "x", true, true, n)
		}, problem.CodeValidation},
		{"reopen without reason", "resolved", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) {
			return tk.Reopen(requester, "", n, policy, cal)
		}, problem.CodeValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := inStatus(t, tt.status)
			if _, err := tt.run(h.tk, h.now); problem.CodeOf(err) != tt.want {
				t.Fatalf("err = %v, want %s", err, tt.want)
			}
			if h.tk.Status() != tt.status {
				t.Fatalf("status changed to %s", h.tk.Status())
			}
		})
	}
}

func TestOpen_validation(t *testing.T) {
	tests := []struct {
		name   string
		actor  ticket.Actor
		cmd    ticketapi.OpenTicket
		fields []string
		code   problem.Code
	}{
		{"200 Chinese characters is fine", requester, ticketapi.OpenTicket{Title: strings.Repeat("长", 200)}, nil, ""},
		{"201 Chinese characters is too long", requester, ticketapi.OpenTicket{Title: strings.Repeat("长", 201)}, []string{"title"}, problem.CodeValidation},
		{"missing title", requester, ticketapi.OpenTicket{Title: "  "}, []string{"title"}, problem.CodeValidation},
		{"bad UTF-8", requester, ticketapi.OpenTicket{Title: "a\xffb"}, []string{"title"}, problem.CodeValidation},
		{"control character", requester, ticketapi.OpenTicket{Title: "a\x07b"}, []string{"title"}, problem.CodeValidation},
		{"multiline description is fine", requester, ticketapi.OpenTicket{Title: "t", Description: "第一行\n第二行\t。"}, nil, ""},
		{"description too long", requester, ticketapi.OpenTicket{Title: "t", Description: strings.Repeat("d", 20001)}, []string{"description"}, problem.CodeValidation},
		{"everything wrong at once", requester, ticketapi.OpenTicket{Title: "", Priority: "P0", Channel: "fax", Category: strings.Repeat("c", 101)},
			[]string{"title", "category", "priority", "channel"}, problem.CodeValidation},
		{"customer opens for someone else", requester, ticketapi.OpenTicket{Title: "t", Requester: "cust-2"}, nil, problem.CodePermissionDenied},
		{"agent opens for a customer", agent, ticketapi.OpenTicket{Title: "电话来电", Requester: "cust-2", Channel: "phone"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk, evs, err := ticket.Open("t-1", tt.actor, tt.cmd, monday, policy, cal)
			if tt.code == "" {
				if err != nil || len(evs) != 1 || tk.Status() != ticketapi.StatusNew {
					t.Fatalf("err = %v, events %d", err, len(evs))
				}
				return
			}
			if problem.CodeOf(err) != tt.code {
				t.Fatalf("err = %v, want %s", err, tt.code)
			}
			var got []string
			for _, f := range problem.As(err).Fields {
				got = append(got, f.Field)
			}
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Fatalf("fields %v, want %v", got, tt.fields)
			}
		})
	}
}

func TestOpen_defaults_and_SLA(t *testing.T) {
	friday := time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)
	tests := []struct {
		priority               string
		firstResponse, resolve time.Time
	}{
		{"P1", friday.Add(time.Hour), friday.Add(4 * time.Hour)},
		{"P2", friday.Add(4 * time.Hour), time.Date(2026, 3, 9, 16, 0, 0, 0, time.UTC)},
		{"", time.Date(2026, 3, 9, 16, 0, 0, 0, time.UTC), time.Date(2026, 3, 11, 16, 0, 0, 0, time.UTC)}, // P3 default
		{"P4", time.Date(2026, 3, 10, 16, 0, 0, 0, time.UTC), time.Date(2026, 3, 13, 16, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run("priority "+tt.priority, func(t *testing.T) {
			tk, _, err := ticket.Open("t", requester, ticketapi.OpenTicket{Title: "t", Priority: tt.priority}, friday, policy, cal)
			if err != nil {
				t.Fatal(err)
			}
			v := tk.View(requester)
			if !v.SLA.FirstResponseDue.Equal(tt.firstResponse) || !v.SLA.ResolutionDue.Equal(tt.resolve) {
				t.Fatalf("SLA %v / %v, want %v / %v", v.SLA.FirstResponseDue, v.SLA.ResolutionDue, tt.firstResponse, tt.resolve)
			}
			if v.Channel != "web" || v.Requester != requester.ID || (tt.priority == "" && v.Priority != "P3") {
				t.Fatalf("defaults: %+v", v)
			}
		})
	}
}

func TestTicket_RecordSLABreaches(t *testing.T) {
	h := opened(t) // P2: first response 4h, resolution 1 working day
	if got := h.tk.RecordSLABreaches(monday.Add(4 * time.Hour)); len(got) != 0 {
		t.Fatalf("breach at the deadline itself: %v", got)
	}
	got := h.tk.RecordSLABreaches(monday.Add(4*time.Hour + time.Second))
	if len(got) != 1 || got[0].(ticketapi.SLABreached).Target != ticket.TargetFirstResponse {
		t.Fatalf("got %v, want a first-response breach", got)
	}
	if again := h.tk.RecordSLABreaches(monday.Add(5 * time.Hour)); len(again) != 0 {
		t.Fatalf("breach recorded twice: %v", again)
	}
	got = h.tk.RecordSLABreaches(monday.AddDate(0, 0, 2))
	if len(got) != 1 || got[0].(ticketapi.SLABreached).Target != ticket.TargetResolution {
		t.Fatalf("got %v, want a resolution breach", got)
	}
	v := h.tk.View(agent)
	if !v.SLA.FirstResponseBreached || !v.SLA.ResolutionBreached {
		t.Fatalf("breaches not recorded on the ticket: %+v", v.SLA)
	}

	// A first response in time means no first-response breach.
	h = opened(t)
	h.do(h.tk.Reply(agent, "r", "收到", false, false, monday.Add(time.Hour)))
	if got := h.tk.RecordSLABreaches(monday.Add(5 * time.Hour)); len(got) != 0 {
		t.Fatalf("breach after a timely first response: %v", got)
	}
	// Internal notes are not a response.
	h = opened(t)
	h.do(h.tk.Reply(agent, "r", "内部", true, false, monday.Add(time.Hour)))
	if got := h.tk.RecordSLABreaches(monday.Add(5 * time.Hour)); len(got) != 1 {
		t.Fatalf("internal note counted as first response")
	}
	// Resolved tickets breach nothing.
	h = inStatus(t, ticketapi.StatusResolved)
	if got := h.tk.RecordSLABreaches(monday.AddDate(0, 1, 0)); len(got) != 0 {
		t.Fatalf("resolved ticket breached: %v", got)
	}
}

func TestTicket_AutoClose(t *testing.T) {
	h := inStatus(t, ticketapi.StatusResolved) // resolved Monday 09:00; 3 working days → Thursday 09:00
	thursday := time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)
	if h.tk.AutoCloseDue(thursday.Add(-time.Second)) {
		t.Fatal("due before the waiting period is over")
	}
	if _, err := h.tk.AutoClose(thursday.Add(-time.Second)); problem.CodeOf(err) != problem.CodeConflict {
		t.Fatalf("early auto-close: %v", err)
	}
	evs, err := h.tk.AutoClose(thursday)
	if err != nil || !evs[0].(ticketapi.Closed).Automatic || h.tk.Status() != ticketapi.StatusClosed {
		t.Fatalf("auto-close: %v %v", evs, err)
	}
	if h.tk.AutoCloseDue(thursday.AddDate(0, 0, 1)) {
		t.Fatal("closed ticket still due")
	}
}

func TestTicket_Reopen_window(t *testing.T) {
	// Resolved Monday 2026-03-02 09:00; the window is 7 working days: until
	// Wednesday 2026-03-11 09:00.
	end := time.Date(2026, 3, 11, 9, 0, 0, 0, time.UTC)
	h := inStatus(t, ticketapi.StatusClosed)
	if _, err := h.tk.Reopen(requester, "又坏了", end, policy, cal); problem.CodeOf(err) != problem.CodeConflict {
		t.Fatalf("reopen at the end of the window: %v", err)
	}
	evs, err := h.tk.Reopen(requester, "又坏了", end.Add(-time.Minute), policy, cal)
	if err != nil {
		t.Fatal(err)
	}
	v := h.tk.View(agent)
	wantDue := cal.AddWorkingDays(end.Add(-time.Minute), 1) // P2 resolution: 1 working day
	if v.Status != ticketapi.StatusInProgress || v.ReopenCount != 1 || v.Resolution != "" || !v.SLA.ResolutionDue.Equal(wantDue) ||
		!evs[0].(ticketapi.Reopened).ResolutionDue.Equal(wantDue) {
		t.Fatalf("after reopen: %+v", v)
	}
	// Without an assignee a reopened ticket is new again.
	h = opened(t)
	h.do(h.tk.Resolve(agent, "ok", monday, policy, cal))
	h.do(h.tk.Reopen(agent, "not ok", monday.Add(time.Hour), policy, cal))
	if h.tk.Status() != ticketapi.StatusNew {
		t.Fatalf("status %s, want new", h.tk.Status())
	}
}

func TestTicket_View_hides_internal_notes_from_customers(t *testing.T) {
	h := inStatus(t, ticketapi.StatusInProgress)
	h.do(h.tk.Reply(agent, "n1", "内部备注", true, false, monday))
	h.do(h.tk.Reply(agent, "r1", "公开回复", false, false, monday))
	if n := len(h.tk.View(requester).Replies); n != 1 {
		t.Fatalf("customer sees %d replies, want 1", n)
	}
	if n := len(h.tk.View(agent).Replies); n != 2 {
		t.Fatalf("agent sees %d replies, want 2", n)
	}
	if !h.tk.CanView(requester) || h.tk.CanView(stranger) || !h.tk.CanView(agent) || !h.tk.CanView(system) {
		t.Fatal("CanView is wrong")
	}
}

func TestFromEvents_unknown_type(t *testing.T) {
	if _, err := ticket.FromEvents([]events.Envelope{{Type: "ticket.exploded", AggregateID: "t"}}); err == nil {
		t.Fatal("unknown event type accepted")
	}
}

func TestPolicy_Validate(t *testing.T) {
	if err := ticket.DefaultPolicy().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := ticket.DefaultPolicy()
	bad.SLA = map[string]ticket.SLATarget{"P1": {FirstResponse: ticket.Duration{Hours: 1, WorkingDays: 1}}}
	bad.AutoCloseAfter = 0
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "P2") || !strings.Contains(err.Error(), "auto-close") {
		t.Fatalf("Validate = %v", err)
	}
}

func TestCanSeeEvent(t *testing.T) {
	h := inStatus(t, ticketapi.StatusInProgress)
	h.do(h.tk.Reply(agent, "n1", "内部备注", true, false, monday))
	h.do(h.tk.Reply(agent, "r1", "公开回复", false, false, monday))
	for _, tt := range []struct {
		actor ticket.Actor
		want  int
	}{{requester, len(h.evs) - 1}, {agent, len(h.evs)}, {system, len(h.evs)}} {
		seen := 0
		for _, e := range h.evs {
			ok, err := ticket.CanSeeEvent(tt.actor, e)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				seen++
			}
		}
		if seen != tt.want {
			t.Errorf("%s sees %d of %d events, want %d", tt.actor.Role, seen, len(h.evs), tt.want)
		}
	}
}
