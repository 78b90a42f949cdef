// Package command holds the ticket service's command handlers, one use case
// per file, and the small machinery they share.
package command

import (
	"context"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/rpc"
	"helpdesk/services/ticket/domain/ticket"
)

// Repository stores tickets.
type Repository = *aggregate.Repository[*ticket.Ticket]

// Clock tells the time; tests pass a fake one.
type Clock func() time.Time

// Deps are what every ticket command handler needs.
type Deps struct {
	Repo     Repository
	Clock    Clock
	Policy   ticket.Policy
	Calendar ticket.Calendar
}

func (d Deps) mustBeComplete(name string) {
	if d.Repo == nil || d.Clock == nil || d.Calendar == nil {
		panic(name + ": nil dependency")
	}
}

// actorOf returns the domain actor of the request in ctx.
func actorOf(ctx context.Context) ticket.Actor {
	c := rpc.CallerFrom(ctx)
	return ticket.Actor{ID: c.ID, Role: c.Role}
}

// change runs a domain method on the target ticket and returns the ticket as
// the acting user may see it. A ticket the user may not see is not found,
// whatever version the command expects: the visibility check comes before
// the If-Match comparison, so a stale version reveals nothing.
func (d Deps) change(ctx context.Context, target ticketapi.Target, do func(t *ticket.Ticket, actor ticket.Actor, now time.Time) ([]events.Payload, error)) (ticketapi.Ticket, error) {
	actor := actorOf(ctx)
	t, err := d.Repo.UpdateVisible(ctx, target.TicketID, target.ExpectedVersion,
		func(t *ticket.Ticket) bool { return t.CanView(actor) },
		func(t *ticket.Ticket) ([]events.Payload, error) { return do(t, actor, d.Clock()) })
	if err != nil {
		return ticketapi.Ticket{}, err
	}
	return t.View(actor), nil
}

// ChangeHandler runs one command that changes an existing ticket: it loads
// the ticket named by the command, checks the caller may see it, runs the
// domain method and stores the events, honouring If-Match and idempotency.
type ChangeHandler[C any] struct {
	d      Deps
	target func(C) ticketapi.Target
	run    func(t *ticket.Ticket, a ticket.Actor, cmd C, now time.Time) ([]events.Payload, error)
}

// newChangeHandler builds the handler of one use case.
func newChangeHandler[C any](name string, d Deps, target func(C) ticketapi.Target,
	run func(t *ticket.Ticket, a ticket.Actor, cmd C, now time.Time) ([]events.Payload, error)) ChangeHandler[C] {
	d.mustBeComplete(name)
	return ChangeHandler[C]{d: d, target: target, run: run}
}

// Handle runs the command and returns the ticket as the caller may see it.
func (h ChangeHandler[C]) Handle(ctx context.Context, cmd C) (ticketapi.Ticket, error) {
	return h.d.change(ctx, h.target(cmd), func(t *ticket.Ticket, a ticket.Actor, now time.Time) ([]events.Payload, error) {
		return h.run(t, a, cmd, now)
	})
}
