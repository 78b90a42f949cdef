package command

import (
	"context"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/ticketapi"
	"helpdesk/services/ticket/domain/ticket"
)

// ReopenTicketHandler reopens a resolved or closed ticket within the reopen window.
type ReopenTicketHandler struct{ d Deps }

// NewReopenTicketHandler returns the handler.
func NewReopenTicketHandler(d Deps) ReopenTicketHandler {
	d.mustBeComplete("NewReopenTicketHandler")
	return ReopenTicketHandler{d: d}
}

// Handle reopens a resolved or closed ticket within the reopen window.
func (h ReopenTicketHandler) Handle(ctx context.Context, cmd ticketapi.ReopenTicket) (ticketapi.Ticket, error) {
	return h.d.change(ctx, cmd.Target, func(t *ticket.Ticket, actor ticket.Actor, now time.Time) ([]events.Payload, error) {
		return t.Reopen(actor, cmd.Reason, now, h.d.Policy, h.d.Calendar)
	})
}
