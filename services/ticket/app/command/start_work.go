package command

import (
	"context"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/ticketapi"
	"helpdesk/services/ticket/domain/ticket"
)

// StartWorkHandler moves an assigned ticket to in_progress.
type StartWorkHandler struct{ d Deps }

// NewStartWorkHandler returns the handler.
func NewStartWorkHandler(d Deps) StartWorkHandler {
	d.mustBeComplete("NewStartWorkHandler")
	return StartWorkHandler{d: d}
}

// Handle moves an assigned ticket to in_progress.
func (h StartWorkHandler) Handle(ctx context.Context, cmd ticketapi.StartWork) (ticketapi.Ticket, error) {
	return h.d.change(ctx, cmd.Target, func(t *ticket.Ticket, actor ticket.Actor, now time.Time) ([]events.Payload, error) {
		return t.StartWork(actor, now)
	})
}
