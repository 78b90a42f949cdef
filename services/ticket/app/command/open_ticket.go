package command

import (
	"context"

	"helpdesk/contracts/events"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/aggregate"
	"helpdesk/services/ticket/domain/ticket"
)

// OpenTicketHandler opens tickets.
type OpenTicketHandler struct{ d Deps }

// NewOpenTicketHandler returns the handler.
func NewOpenTicketHandler(d Deps) OpenTicketHandler {
	d.mustBeComplete("NewOpenTicketHandler")
	return OpenTicketHandler{d: d}
}

// Handle opens a ticket. A retried request with the same idempotency key
// returns the ticket the first attempt opened.
func (h OpenTicketHandler) Handle(ctx context.Context, cmd ticketapi.OpenTicket) (ticketapi.Ticket, error) {
	actor := actorOf(ctx)
	id := aggregate.IDFor(ctx)
	t, err := h.d.Repo.Create(ctx, id, func() ([]events.Payload, error) {
		_, evs, err := ticket.Open(id, actor, cmd, h.d.Clock(), h.d.Policy, h.d.Calendar)
		return evs, err
	})
	if err != nil {
		return ticketapi.Ticket{}, err
	}
	return t.View(actor), nil
}
