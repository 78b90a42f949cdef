// Package query holds the ticket service's query handlers. The read-model
// interfaces they need are declared beside them.
package query

import (
	"context"

	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/rpc"
	"helpdesk/services/ticket/domain/ticket"
)

// TicketHandler returns one ticket, rebuilt from its events, so a client
// always reads its own writes.
type TicketHandler struct {
	repo *aggregate.Repository[*ticket.Ticket]
}

// NewTicketHandler returns the handler.
func NewTicketHandler(repo *aggregate.Repository[*ticket.Ticket]) TicketHandler {
	if repo == nil {
		panic("NewTicketHandler: nil repository")
	}
	return TicketHandler{repo: repo}
}

// Handle returns the ticket as the caller may see it; tickets a customer may
// not see are reported as not found. With q.AsOf it returns the ticket as it
// stood then (see asOf).
func (h TicketHandler) Handle(ctx context.Context, q ticketapi.GetTicket) (ticketapi.Ticket, error) {
	if q.AsOf != nil {
		return h.asOf(ctx, q.TicketID, *q.AsOf)
	}
	actor, t, _, err := loadVisible(ctx, h.repo, q.TicketID)
	if err != nil {
		return ticketapi.Ticket{}, err
	}
	return t.View(actor), nil
}

// loadVisible loads a ticket and its events for the caller in ctx, and
// reports a ticket the caller may not see as not found.
func loadVisible(ctx context.Context, repo *aggregate.Repository[*ticket.Ticket], id string) (ticket.Actor, *ticket.Ticket, []events.Envelope, error) {
	c := rpc.CallerFrom(ctx)
	actor := ticket.Actor{ID: c.ID, Role: c.Role}
	t, evs, err := repo.Load(ctx, id)
	if err != nil {
		return actor, nil, nil, err
	}
	if !t.CanView(actor) {
		return actor, nil, nil, problem.NotFound("ticket", id)
	}
	return actor, t, evs, nil
}
