package command

import (
	"context"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/ticketapi"
	"helpdesk/services/ticket/domain/ticket"
)

// ResolveTicketHandler resolves a ticket with a resolution note.
type ResolveTicketHandler struct{ d Deps }

// NewResolveTicketHandler returns the handler.
func NewResolveTicketHandler(d Deps) ResolveTicketHandler {
	d.mustBeComplete("NewResolveTicketHandler")
	return ResolveTicketHandler{d: d}
}

// Handle resolves a ticket with a resolution note.
func (h ResolveTicketHandler) Handle(ctx context.Context, cmd ticketapi.ResolveTicket) (ticketapi.Ticket, error) {
	return h.d.change(ctx, cmd.Target, func(t *ticket.Ticket, actor ticket.Actor, now time.Time) ([]events.Payload, error) {
		return t.Resolve(actor, cmd.Resolution, now, h.d.Policy, h.d.Calendar)
	})
}
