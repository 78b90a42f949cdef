package command

import (
	"context"
	"fmt"
	"time"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/satapi"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/rpc"
	"helpdesk/services/satisfaction/domain/survey"
)

// ProcessManager is the closed loop, driven by events: a resolved ticket
// or an answered call gets a survey; a caller's IVR rating answers the
// call's survey; an answer that says the problem was solved closes the
// ticket, one that says it was not reopens it, and a low score or an
// unsolved problem opens a follow-up; an expired survey closes its ticket.
// Every reaction is idempotent (ids derive from their cause, and the
// ticket commands carry idempotency keys), so redelivered events do
// nothing twice.
type ProcessManager struct {
	d       Deps
	tickets Tickets
	calls   Calls
}

// NewProcessManager returns the process manager.
func NewProcessManager(d Deps, tickets Tickets, calls Calls) ProcessManager {
	d.mustBeComplete("NewProcessManager")
	if tickets == nil || calls == nil {
		panic("NewProcessManager: nil Tickets or Calls")
	}
	return ProcessManager{d: d, tickets: tickets, calls: calls}
}

// OnTicketEvent issues a survey to the requester of a resolved ticket.
func (p ProcessManager) OnTicketEvent(ctx context.Context, env events.Envelope) error {
	if env.Type != ticketapi.EventResolved || p.tooOld(env) {
		return nil
	}
	ctx = asSystem(ctx, "")
	t, err := p.tickets.Ticket(ctx, env.AggregateID)
	if err != nil {
		return fmt.Errorf("ticket %s: %w", env.AggregateID, err)
	}
	return p.issue(ctx, satapi.SurveyForTicket(t.ID, env.AggregateVersion), satapi.SurveyIssued{
		About: satapi.AboutTicket, TicketID: t.ID, Resolution: env.AggregateVersion, ResolvedAt: env.OccurredAt,
		Respondent: t.Requester, AgentID: t.Assignee, Category: t.Category, Channel: t.Channel,
	}, env)
}

// tooOld tells that a survey caused by env would be born expired: the
// service reading the history it started after, or catching up after a
// long outage. Such causes issue nothing and ask no other service.
func (p ProcessManager) tooOld(cause events.Envelope) bool {
	return !p.d.Clock().Before(p.expiry(cause))
}

// expiry is when a survey caused by cause expires.
func (p ProcessManager) expiry(cause events.Envelope) time.Time {
	return p.d.Calendar.AddWorkingDays(cause.OccurredAt, p.d.SurveyDays).UTC()
}

// OnCallEvent issues a survey for a call that ended answered, and answers
// it with the caller's IVR rating.
func (p ProcessManager) OnCallEvent(ctx context.Context, env events.Envelope) error {
	if p.tooOld(env) {
		return nil
	}
	ctx = asSystem(ctx, "")
	switch env.Type {
	case callapi.EventCallEnded:
		var e callapi.CallEnded
		if err := env.Decode(&e); err != nil {
			return err
		}
		if e.Disposition != callapi.DispositionAnswered {
			return nil
		}
		return p.issueForCall(ctx, e.CallID, env)
	case callapi.EventCallRated:
		var e callapi.CallRated
		if err := env.Decode(&e); err != nil {
			return err
		}
		// The rating may come before the end is known here: issue first.
		if err := p.issueForCall(ctx, e.CallID, env); err != nil {
			return err
		}
		_, err := p.d.Surveys.Update(ctx, satapi.SurveyForCall(e.CallID), 0, func(s *survey.Survey) ([]events.Payload, error) {
			return s.RateByIVR(e.Score, env.OccurredAt)
		})
		return ignoreConflict(err)
	}
	return nil
}

func (p ProcessManager) issueForCall(ctx context.Context, callID string, cause events.Envelope) error {
	c, err := p.calls.Call(ctx, callID)
	if err != nil {
		return fmt.Errorf("call %s: %w", callID, err)
	}
	agent := ""
	if c.Agent != nil {
		agent = c.Agent.ID
	}
	return p.issue(ctx, satapi.SurveyForCall(callID), satapi.SurveyIssued{
		About: satapi.AboutCall, CallID: callID, AgentID: agent, Category: c.Skill, Channel: "phone",
	}, cause)
}

// issue issues a survey, open for the configured working days from the
// time of its cause.
func (p ProcessManager) issue(ctx context.Context, id string, s satapi.SurveyIssued, cause events.Envelope) error {
	s.ExpiresAt = p.expiry(cause)
	_, err := p.d.Surveys.Update(ctx, id, 0, func(sv *survey.Survey) ([]events.Payload, error) { return sv.Issue(s), nil })
	return err
}

// OnSurveyEvent acts on an answered or expired survey.
func (p ProcessManager) OnSurveyEvent(ctx context.Context, env events.Envelope) error {
	switch env.Type {
	case satapi.EventSurveyAnswered, satapi.EventSurveyExpired:
	default:
		return nil
	}
	s, _, err := p.d.Surveys.Load(ctx, env.AggregateID)
	if err != nil {
		return err
	}
	about := s.About()
	if env.Type == satapi.EventSurveyAnswered {
		if err := p.openFollowUp(ctx, s, env); err != nil {
			return err
		}
	}
	ans, _ := s.Answer()
	if about.About != satapi.AboutTicket || env.Type == satapi.EventSurveyAnswered && ans.Solved == nil {
		return nil
	}
	// The ticket may have moved on: reopened, and perhaps resolved again
	// with a survey of its own. This survey acts only on its resolution.
	if current, err := p.inResolution(ctx, about); err != nil || !current {
		return err
	}
	if env.Type == satapi.EventSurveyExpired {
		err := p.tickets.Close(ctx, about.TicketID, "", "the satisfaction survey expired", "survey-expired:"+env.AggregateID)
		return ignoreConflict(err)
	}
	// The respondent acts, from the request that carried their answer.
	c := rpc.CallerFrom(ctx)
	c.SourceIP, c.RequestID = env.SourceIP, env.RequestID
	ctx = rpc.WithCaller(ctx, c)
	key := "survey-answer:" + env.AggregateID
	if *ans.Solved {
		err = p.tickets.Close(ctx, about.TicketID, about.Respondent, "", key)
	} else {
		err = p.tickets.Reopen(ctx, about.TicketID, about.Respondent, "not solved, says the satisfaction survey", key)
	}
	return ignoreConflict(err)
}

// inResolution tells whether the ticket is still in the resolution the
// survey is about: resolved (or closed) at that very time.
func (p ProcessManager) inResolution(ctx context.Context, about satapi.SurveyIssued) (bool, error) {
	t, err := p.tickets.Ticket(ctx, about.TicketID)
	if err != nil {
		return false, fmt.Errorf("ticket %s: %w", about.TicketID, err)
	}
	resolved := t.Status == ticketapi.StatusResolved || t.Status == ticketapi.StatusClosed
	return resolved && t.ResolvedAt != nil && t.ResolvedAt.Equal(about.ResolvedAt), nil
}

// openFollowUp opens the follow-up an unhappy answer calls for.
func (p ProcessManager) openFollowUp(ctx context.Context, s *survey.Survey, cause events.Envelope) error {
	reason, ok := s.FollowUpReason()
	if !ok {
		return nil
	}
	about := s.About()
	ans, _ := s.Answer()
	opened := satapi.FollowUpOpened{
		SurveyID: cause.AggregateID, TicketID: about.TicketID, CallID: about.CallID, AgentID: about.AgentID,
		Reason: reason, Score: ans.Score, DueAt: p.d.Calendar.AddWorkingDays(cause.OccurredAt, p.d.FollowUpDays).UTC(),
	}
	_, err := p.d.FollowUps.Update(asSystem(ctx, ""), satapi.FollowUpFor(cause.AggregateID), 0,
		func(f *survey.FollowUp) ([]events.Payload, error) { return f.Open(opened), nil })
	return err
}

// Expire expires a survey whose time has come (the expiry scheduler's
// command); a survey answered meanwhile is left alone.
func (p ProcessManager) Expire(ctx context.Context, surveyID string) error {
	_, err := p.d.Surveys.Update(asSystem(ctx, ""), surveyID, 0, func(s *survey.Survey) ([]events.Payload, error) {
		return s.Expire(p.d.Clock()), nil
	})
	return err
}

// ignoreConflict treats a conflict as done: the ticket is already where
// the reaction would put it (closed, reopened, or moved on by a person),
// or the survey was answered another way.
func ignoreConflict(err error) error {
	if problem.CodeOf(err) == problem.CodeConflict {
		return nil
	}
	return err
}
