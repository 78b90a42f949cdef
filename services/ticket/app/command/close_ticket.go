package command

import (
	"context"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/ticketapi"
	"helpdesk/services/ticket/domain/ticket"
)

// CloseTicketHandler closes resolved tickets on the requester's confirmation,
// or any open ticket on an admin's decision with a reason.
type CloseTicketHandler struct{ d Deps }

// NewCloseTicketHandler returns the handler.
func NewCloseTicketHandler(d Deps) CloseTicketHandler {
	d.mustBeComplete("NewCloseTicketHandler")
	return CloseTicketHandler{d: d}
}

// Handle closes the ticket.
func (h CloseTicketHandler) Handle(ctx context.Context, cmd ticketapi.CloseTicket) (ticketapi.Ticket, error) {
	return h.d.change(ctx, cmd.Target, func(t *ticket.Ticket, actor ticket.Actor, now time.Time) ([]events.Payload, error) {
		return t.Close(actor, cmd.Reason, now)
	})
}
