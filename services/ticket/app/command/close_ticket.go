package command

import (
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/ticketapi"
	"helpdesk/services/ticket/domain/ticket"
)

// NewCloseTicketHandler returns the handler that closes a resolved ticket on its requester's confirmation, or any open ticket on an admin's decision with a reason.
func NewCloseTicketHandler(d Deps) ChangeHandler[ticketapi.CloseTicket] {
	return newChangeHandler("NewCloseTicketHandler", d, func(cmd ticketapi.CloseTicket) ticketapi.Target { return cmd.Target },
		func(t *ticket.Ticket, a ticket.Actor, cmd ticketapi.CloseTicket, now time.Time) ([]events.Payload, error) {
			return t.Close(a, cmd.Reason, now)
		})
}
