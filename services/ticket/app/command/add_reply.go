package command

import (
	"time"

	"github.com/google/uuid"

	"helpdesk/contracts/events"
	"helpdesk/contracts/ticketapi"
	"helpdesk/services/ticket/domain/ticket"
)

// NewAddReplyHandler returns the handler that adds a public reply or, for staff, an internal note; a staff reply may wait for the customer.
func NewAddReplyHandler(d Deps) ChangeHandler[ticketapi.AddReply] {
	return newChangeHandler("NewAddReplyHandler", d, func(cmd ticketapi.AddReply) ticketapi.Target { return cmd.Target },
		func(t *ticket.Ticket, a ticket.Actor, cmd ticketapi.AddReply, now time.Time) ([]events.Payload, error) {
			return t.Reply(a, uuid.Must(uuid.NewV7()).String(), cmd.Body, cmd.Internal, cmd.AwaitCustomer, now)
		})
}
