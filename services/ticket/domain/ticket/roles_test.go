package ticket_test

import (
	"testing"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/ticketapi"
	"helpdesk/services/ticket/domain/ticket"
)

var (
	supervisor = ticket.Actor{ID: "sup-1", Role: "supervisor"}
	auditor    = ticket.Actor{ID: "aud-1", Role: "auditor"}
)

// TestTicket_supervisor_and_auditor pins the roles the authorization matrix
// added: a supervisor works tickets and closes any of them, as admins do;
// an auditor sees every ticket but writes nothing and never sees internal
// notes.
func TestTicket_supervisor_and_auditor(t *testing.T) {
	tests := []struct {
		name   string
		status string
		run    func(tk *ticket.Ticket, now time.Time) ([]events.Payload, error)
		want   problem.Code // "" when the command succeeds
	}{
		{"supervisor assigns", "new", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) {
			return tk.Assign(supervisor, agent.ID, n)
		}, ""},
		{"supervisor closes with a reason", "in_progress", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) {
			return tk.Close(supervisor, "重复工单", n)
		}, ""},
		{"supervisor closes without a reason", "in_progress", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) {
			return tk.Close(supervisor, "", n)
		}, problem.CodeValidation},
		{"supervisor writes an internal note", "in_progress", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) {
			return tk.Reply(supervisor, "r", "内部", true, false, n)
		}, ""},
		{"auditor assigns", "new", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) {
			return tk.Assign(auditor, agent.ID, n)
		}, problem.CodePermissionDenied},
		{"auditor replies", "in_progress", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) {
			return tk.Reply(auditor, "r", "x", false, false, n)
		}, problem.CodePermissionDenied},
		{"auditor resolves", "in_progress", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) {
			return tk.Resolve(auditor, "x", n, policy, cal)
		}, problem.CodePermissionDenied},
		{"auditor closes", "resolved", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) {
			return tk.Close(auditor, "x", n)
		}, problem.CodePermissionDenied},
		{"auditor reopens", "resolved", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) {
			return tk.Reopen(auditor, "x", n, policy, cal)
		}, problem.CodePermissionDenied},
		{"unknown role replies", "in_progress", func(tk *ticket.Ticket, n time.Time) ([]events.Payload, error) {
			return tk.Reply(ticket.Actor{ID: "x-1", Role: "root"}, "r", "x", false, false, n)
		}, problem.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := inStatus(t, tt.status)
			_, err := tt.run(h.tk, h.now)
			if tt.want == "" && err != nil || tt.want != "" && problem.CodeOf(err) != tt.want {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestTicket_auditor_sees_every_ticket_but_no_internal_note(t *testing.T) {
	h := inStatus(t, ticketapi.StatusInProgress)
	h.do(h.tk.Reply(agent, "n1", "内部备注", true, false, monday))
	h.do(h.tk.Reply(agent, "r1", "公开回复", false, false, monday))
	if !h.tk.CanView(auditor) || !h.tk.CanView(supervisor) {
		t.Fatal("the auditor or the supervisor cannot see the ticket")
	}
	if n := len(h.tk.View(auditor).Replies); n != 1 {
		t.Errorf("the auditor sees %d replies, want 1", n)
	}
	if n := len(h.tk.View(supervisor).Replies); n != 2 {
		t.Errorf("the supervisor sees %d replies, want 2", n)
	}
	for _, e := range h.evs {
		ok, err := ticket.CanSeeEvent(auditor, e)
		if err != nil {
			t.Fatal(err)
		}
		if e.Type == ticketapi.EventReplied && ok {
			var r ticketapi.Replied
			if err := e.Decode(&r); err != nil {
				t.Fatal(err)
			}
			if r.Internal {
				t.Error("the auditor sees an internal note in the history")
			}
		}
	}
}
