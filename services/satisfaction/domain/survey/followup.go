package survey

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/satapi"
)

// FollowUp is the follow-up of an unhappy answer: open until a supervisor
// records the contact with the customer and its outcome.
type FollowUp struct {
	id          string
	version     uint64
	opened      *satapi.FollowUpOpened
	openedAt    time.Time
	done        *satapi.FollowUpCompleted
	completedAt time.Time
	completedBy string
}

// NewFollowUp returns the follow-up with the given id before it is opened.
func NewFollowUp(id string) *FollowUp { return &FollowUp{id: id} }

// FollowUpFromEvents folds a follow-up's events, in order.
func FollowUpFromEvents(evs []events.Envelope) (*FollowUp, error) {
	f := &FollowUp{}
	for _, env := range evs {
		f.id = env.AggregateID
		switch env.Type {
		case satapi.EventFollowUpOpened:
			var p satapi.FollowUpOpened
			if err := env.Decode(&p); err != nil {
				return nil, fmt.Errorf("follow-up event %d: %w", env.AggregateVersion, err)
			}
			f.opened, f.openedAt = &p, env.OccurredAt
		case satapi.EventFollowUpCompleted:
			var p satapi.FollowUpCompleted
			if err := env.Decode(&p); err != nil {
				return nil, fmt.Errorf("follow-up event %d: %w", env.AggregateVersion, err)
			}
			f.done, f.completedAt, f.completedBy = &p, env.OccurredAt, env.Actor
		}
		f.version = env.AggregateVersion
	}
	return f, nil
}

// Version is the stream sequence of the follow-up's last event.
func (f *FollowUp) Version() uint64 { return f.version }

// Open opens the follow-up; opening it again changes nothing.
func (f *FollowUp) Open(p satapi.FollowUpOpened) []events.Payload {
	if f.opened != nil {
		return nil
	}
	return []events.Payload{p}
}

// Complete records the supervisor's contact with the customer and its
// outcome; a follow-up is completed once.
func (f *FollowUp) Complete(a identityapi.Actor, contact, outcome string) ([]events.Payload, error) {
	if f.opened == nil {
		return nil, problem.NotFound("follow-up", f.id)
	}
	if !authz.Allowed(a.Role, authz.SatisfactionFollowUpComplete) {
		return nil, problem.New(problem.CodePermissionDenied, "follow-ups are completed by supervisors and admins")
	}
	contact, outcome = strings.TrimSpace(contact), strings.TrimSpace(outcome)
	var bad []problem.FieldError
	if n := utf8.RuneCountInString(contact); n == 0 || n > 500 {
		bad = append(bad, problem.FieldError{Field: "contact", Message: "1 to 500 characters"})
	}
	if n := utf8.RuneCountInString(outcome); n == 0 || n > 2000 {
		bad = append(bad, problem.FieldError{Field: "outcome", Message: "1 to 2000 characters"})
	}
	if len(bad) > 0 {
		return nil, problem.Validation(bad...)
	}
	if f.done != nil {
		return nil, problem.New(problem.CodeConflict, "follow-up %s was completed by %s", f.id, f.completedBy)
	}
	return []events.Payload{satapi.FollowUpCompleted{Contact: contact, Outcome: outcome}}, nil
}

// View is the follow-up as the API shows it at now.
func (f *FollowUp) View(now time.Time) satapi.FollowUp {
	v := satapi.FollowUp{ID: f.id, Version: f.version, OpenedAt: f.openedAt, Status: satapi.FollowUpOpen}
	if o := f.opened; o != nil {
		v.SurveyID, v.TicketID, v.CallID, v.AgentID, v.Reason, v.Score, v.DueAt = o.SurveyID, o.TicketID, o.CallID, o.AgentID, o.Reason, o.Score, o.DueAt
		if now.After(o.DueAt) {
			v.Status = satapi.FollowUpOverdue
		}
	}
	if d := f.done; d != nil {
		at := f.completedAt
		v.Status, v.CompletedAt, v.CompletedBy, v.Contact, v.Outcome = satapi.FollowUpDone, &at, f.completedBy, d.Contact, d.Outcome
	}
	return v
}
