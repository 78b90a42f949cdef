package command_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/satapi"
	"helpdesk/contracts/subjects"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/calendar"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/rpc"
	"helpdesk/services/satisfaction/app/command"
	"helpdesk/services/satisfaction/domain/survey"
)

// tickets records what the process manager asks of the ticket service,
// which is not started here.
type tickets struct {
	mu         sync.Mutex
	asks       []string
	resolvedAt time.Time // when the ticket's current resolution was made
}

func (t *tickets) Ticket(_ context.Context, id string) (ticketapi.Ticket, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	at := t.resolvedAt
	return ticketapi.Ticket{ID: id, Requester: "cust", Assignee: "agent", Category: "考试认证", Channel: "web",
		Status: ticketapi.StatusResolved, ResolvedAt: &at}, nil
}

func (t *tickets) Close(_ context.Context, id, asUser, reason, key string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.asks = append(t.asks, "close "+id+" as "+asUser+": "+reason+" ["+key+"]")
	return nil
}

func (t *tickets) Reopen(_ context.Context, id, asUser, reason, key string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.asks = append(t.asks, "reopen "+id+" as "+asUser+" ["+key+"]")
	return nil
}

type calls struct{}

func (calls) Call(_ context.Context, id string) (callapi.Call, error) {
	return callapi.Call{CallID: id, Skill: "账号", Agent: &callapi.AgentRef{ID: "agent"}}, nil
}

// clock is a settable fake clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

func setup(t *testing.T) (command.ProcessManager, command.RespondHandler, command.Deps, *tickets, *clock) {
	t.Helper()
	_, nc := natsembed.StartForTest(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	store, err := eventstore.NewJetStream(context.Background(), js, subjects.ServiceSatisfaction)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Date(2025, 9, 30, 10, 0, 0, 0, time.UTC)}
	d := command.Deps{
		Surveys: &aggregate.Repository[*survey.Survey]{Store: store, Kind: "survey", Source: satapi.Source,
			Ref: subjects.Survey, Rebuild: survey.FromEvents, New: survey.New, Now: clk.Now, Retries: 5},
		FollowUps: &aggregate.Repository[*survey.FollowUp]{Store: store, Kind: "follow-up", Source: satapi.Source,
			Ref: subjects.FollowUp, Rebuild: survey.FollowUpFromEvents, New: survey.NewFollowUp, Now: clk.Now, Retries: 5},
		Clock: clk.Now, Calendar: calendar.NewChina(), SurveyDays: 3, FollowUpDays: 1,
	}
	tk := &tickets{}
	return command.NewProcessManager(d, tk, calls{}), command.NewRespondHandler(d), d, tk, clk
}

// resolved is a ticket.resolved event of ticket T at version v.
func resolved(t *testing.T, at time.Time, v uint64) events.Envelope {
	t.Helper()
	env, err := events.New(ticketapi.Source, subjects.AggregateTicket, "T", ticketapi.Resolved{Resolution: "x"}, at, events.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	env.AggregateVersion = v
	return env
}

// lastEvent is the last event of a survey or follow-up.
func lastEvent(t *testing.T, d command.Deps, ref subjects.Aggregate) events.Envelope {
	t.Helper()
	evs, err := d.Surveys.Store.Load(context.Background(), ref)
	if err != nil || len(evs) == 0 {
		t.Fatalf("load %s: %d events, %v", ref.Subject(), len(evs), err)
	}
	return evs[len(evs)-1]
}

// TestProcessManager_expired_survey_closes_its_ticket issues a survey on
// the eve of National Day 2025: it stays open three working days (Oct 1–8
// are off; Oct 9, Oct 10 and the adjusted working Saturday Oct 11 count),
// then expires, and its ticket is closed.
func TestProcessManager_expired_survey_closes_its_ticket(t *testing.T) {
	pm, _, d, tk, clk := setup(t)
	ctx := context.Background()
	env := resolved(t, clk.Now(), 7)
	tk.resolvedAt = env.OccurredAt
	for range 2 { // delivered twice: one survey
		if err := pm.OnTicketEvent(ctx, env); err != nil {
			t.Fatal(err)
		}
	}
	// A resolution from before the service's time issues nothing.
	if err := pm.OnTicketEvent(ctx, resolved(t, clk.Now().AddDate(0, -1, 0), 3)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Surveys.Load(ctx, satapi.SurveyForTicket("T", 3)); err == nil {
		t.Fatal("a survey born expired was issued")
	}
	id := satapi.SurveyForTicket("T", 7)
	s, evs, err := d.Surveys.Load(ctx, id)
	if err != nil || len(evs) != 1 {
		t.Fatalf("survey: %d events, %v", len(evs), err)
	}
	wantExpiry := time.Date(2025, 10, 11, 10, 0, 0, 0, time.UTC)
	if v := s.View(); !v.ExpiresAt.Equal(wantExpiry) || v.Respondent != "cust" || v.AgentID != "agent" {
		t.Fatalf("survey: %+v, want expiry %s", v, wantExpiry)
	}
	clk.Set(wantExpiry.Add(-time.Minute))
	if err := pm.Expire(ctx, id); err != nil {
		t.Fatal(err)
	}
	if e := lastEvent(t, d, subjects.Survey(id)); e.Type != satapi.EventSurveyIssued {
		t.Fatalf("expired early: %s", e.Type)
	}
	clk.Set(wantExpiry)
	if err := pm.Expire(ctx, id); err != nil {
		t.Fatal(err)
	}
	expired := lastEvent(t, d, subjects.Survey(id))
	if expired.Type != satapi.EventSurveyExpired {
		t.Fatalf("not expired: %s", expired.Type)
	}
	if err := pm.OnSurveyEvent(ctx, expired); err != nil {
		t.Fatal(err)
	}
	if len(tk.asks) != 1 || tk.asks[0] != "close T as : the satisfaction survey expired [survey-expired:"+id+"]" {
		t.Fatalf("asked of the ticket service: %q", tk.asks)
	}
}

// TestProcessManager_answers: solved closes the ticket as its requester,
// not solved reopens it and opens a follow-up, a low score opens one too;
// a call's survey is answered by the IVR rating.
func TestProcessManager_answers(t *testing.T) {
	pm, respond, d, tk, clk := setup(t)
	ctx := context.Background()
	cust := rpc.WithCaller(ctx, rpc.Caller{ID: "cust", Role: identityapi.RoleCustomer})
	tk.resolvedAt = clk.Now().UTC()
	yes, no := true, false
	for i, tc := range []struct {
		answer   satapi.Respond
		ask      string
		followUp string
	}{
		{satapi.Respond{Score: 5, Solved: &yes}, "close T as cust", ""},
		{satapi.Respond{Score: 4, Solved: &no}, "reopen T as cust", satapi.ReasonNotSolved},
		{satapi.Respond{Score: 1}, "", satapi.ReasonLowScore},
	} {
		v := uint64(10 + i)
		if err := pm.OnTicketEvent(ctx, resolved(t, clk.Now(), v)); err != nil {
			t.Fatal(err)
		}
		tc.answer.SurveyID = satapi.SurveyForTicket("T", v)
		if _, err := respond.Respond(cust, tc.answer); err != nil {
			t.Fatal(err)
		}
		tk.asks = nil
		answered := lastEvent(t, d, subjects.Survey(tc.answer.SurveyID))
		for range 2 { // delivered twice: the ticket service gets the same key twice
			if err := pm.OnSurveyEvent(ctx, answered); err != nil {
				t.Fatal(err)
			}
		}
		want := []string{}
		if tc.ask != "" {
			ask := tc.ask + " [survey-answer:" + tc.answer.SurveyID + "]"
			if tc.ask[:5] == "close" {
				ask = tc.ask + ":  [survey-answer:" + tc.answer.SurveyID + "]"
			}
			want = []string{ask, ask}
		}
		if len(tk.asks) != len(want) || len(want) > 0 && (tk.asks[0] != want[0] || tk.asks[1] != want[1]) {
			t.Errorf("answer %d: asked %q, want %q", i, tk.asks, want)
		}
		f, evs, err := d.FollowUps.Load(ctx, satapi.FollowUpFor(tc.answer.SurveyID))
		switch {
		case tc.followUp == "" && err == nil:
			t.Errorf("answer %d: a follow-up was opened", i)
		case tc.followUp != "" && (err != nil || len(evs) != 1 || f.View(clk.Now()).Reason != tc.followUp):
			t.Errorf("answer %d: follow-up %d events, %v, want one %s", i, len(evs), err, tc.followUp)
		}
	}

	// The answer to a survey of an earlier resolution (the ticket was
	// reopened and resolved again since) leaves the ticket alone.
	if err := pm.OnTicketEvent(ctx, resolved(t, clk.Now(), 20)); err != nil {
		t.Fatal(err)
	}
	tk.resolvedAt = clk.Now().Add(time.Hour)
	stale := satapi.SurveyForTicket("T", 20)
	if _, err := respond.Respond(cust, satapi.Respond{SurveyID: stale, Score: 5, Solved: &yes}); err != nil {
		t.Fatal(err)
	}
	tk.asks = nil
	if err := pm.OnSurveyEvent(ctx, lastEvent(t, d, subjects.Survey(stale))); err != nil || len(tk.asks) != 0 {
		t.Fatalf("a stale survey's answer: asked %q, %v; want nothing", tk.asks, err)
	}

	// A call: the rating may arrive before the end is handled.
	rated, _ := events.New(callapi.Source, subjects.AggregateCall, callapi.CallAggregateID("C"), callapi.CallRated{CallID: "C", Score: 2}, clk.Now(), events.Metadata{})
	ended, _ := events.New(callapi.Source, subjects.AggregateHotline, callapi.BoardID, callapi.CallEnded{CallID: "C", Disposition: callapi.DispositionAnswered}, clk.Now(), events.Metadata{})
	old, _ := events.New(callapi.Source, subjects.AggregateCall, callapi.CallAggregateID("old"), callapi.CallRated{CallID: "old", Score: 1}, clk.Now().AddDate(0, -1, 0), events.Metadata{})
	for _, env := range []events.Envelope{rated, ended, rated, old} { // a rating too old for a survey is passed over
		if err := pm.OnCallEvent(ctx, env); err != nil {
			t.Fatal(err)
		}
	}
	s, _, err := d.Surveys.Load(ctx, satapi.SurveyForCall("C"))
	if v := s.View(); err != nil || v.Status != satapi.StatusAnswered || v.Score != 2 || v.Via != satapi.ViaIVR || v.Category != "账号" {
		t.Fatalf("the call's survey: %+v, %v", v, err)
	}
}
