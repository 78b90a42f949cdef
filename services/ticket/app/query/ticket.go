// Package query holds the ticket service's query handlers. The read-model
// interfaces they need are declared beside them.
package query

import (
	"context"

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
// not see are reported as not found.
func (h TicketHandler) Handle(ctx context.Context, q ticketapi.GetTicket) (ticketapi.Ticket, error) {
	actor := actorOf(ctx)
	t, _, err := h.repo.Load(ctx, q.TicketID)
	if err != nil {
		return ticketapi.Ticket{}, err
	}
	if !t.CanView(actor) {
		return ticketapi.Ticket{}, problem.NotFound("ticket", q.TicketID)
	}
	return t.View(actor), nil
}

func actorOf(ctx context.Context) ticket.Actor {
	c := rpc.CallerFrom(ctx)
	return ticket.Actor{ID: c.ID, Role: c.Role}
}
