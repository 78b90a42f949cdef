package command

import (
	"context"
	"time"

	"github.com/google/uuid"

	"helpdesk/contracts/events"
	"helpdesk/contracts/ticketapi"
	"helpdesk/services/ticket/domain/ticket"
)

// AddReplyHandler adds a public reply or an internal note.
type AddReplyHandler struct{ d Deps }

// NewAddReplyHandler returns the handler.
func NewAddReplyHandler(d Deps) AddReplyHandler {
	d.mustBeComplete("NewAddReplyHandler")
	return AddReplyHandler{d: d}
}

// Handle adds a public reply or an internal note.
func (h AddReplyHandler) Handle(ctx context.Context, cmd ticketapi.AddReply) (ticketapi.Ticket, error) {
	return h.d.change(ctx, cmd.Target, func(t *ticket.Ticket, actor ticket.Actor, now time.Time) ([]events.Payload, error) {
		return t.Reply(actor, uuid.Must(uuid.NewV7()).String(), cmd.Body, cmd.Internal, cmd.AwaitCustomer, now)
	})
}
