// Package command holds the satisfaction service's command handlers and
// its process manager: the reactions to ticket, call and survey events
// that issue surveys, open follow-ups and close or reopen tickets.
package command

import (
	"context"
	"time"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/rpc"
	"helpdesk/services/satisfaction/domain/survey"
)

// SurveyRepository stores surveys.
type SurveyRepository = *aggregate.Repository[*survey.Survey]

// FollowUpRepository stores follow-ups.
type FollowUpRepository = *aggregate.Repository[*survey.FollowUp]

// Calendar counts working days.
type Calendar interface {
	AddWorkingDays(t time.Time, n int) time.Time
}

// Tickets is the ticket service: the only writer of tickets, which the
// satisfaction side asks, never changes itself.
type Tickets interface {
	// Ticket returns the ticket as an internal component sees it.
	Ticket(ctx context.Context, id string) (ticketapi.Ticket, error)
	// Close closes a resolved ticket: as its requester confirming, or,
	// with asUser empty, as this service when the survey expired.
	Close(ctx context.Context, ticketID, asUser, reason, key string) error
	// Reopen reopens a ticket as its requester.
	Reopen(ctx context.Context, ticketID, asUser, reason, key string) error
}

// Calls is the call-record service.
type Calls interface {
	Call(ctx context.Context, callID string) (callapi.Call, error)
}

// Deps are what the handlers need.
type Deps struct {
	Surveys   SurveyRepository
	FollowUps FollowUpRepository
	Clock     func() time.Time
	Calendar  Calendar
	// SurveyDays is how many working days a survey stays open;
	// FollowUpDays how many a follow-up has before it is overdue.
	SurveyDays   int
	FollowUpDays int
}

func (d Deps) mustBeComplete(name string) {
	if d.Surveys == nil || d.FollowUps == nil || d.Clock == nil || d.Calendar == nil || d.SurveyDays <= 0 || d.FollowUpDays <= 0 {
		panic(name + ": incomplete dependencies")
	}
}

// actorOf returns the actor of the request in ctx.
func actorOf(ctx context.Context) identityapi.Actor {
	c := rpc.CallerFrom(ctx)
	return identityapi.Actor{ID: c.ID, Role: c.Role}
}

// asSystem runs the rest of a reaction as this service, within the
// correlation of the event that caused it and with an idempotency key.
func asSystem(ctx context.Context, key string) context.Context {
	c := rpc.CallerFrom(ctx)
	return rpc.WithCaller(ctx, rpc.Caller{ID: "system:satisfaction", Role: identityapi.RoleSystem,
		CorrelationID: c.CorrelationID, IdempotencyKey: key})
}
