package command

import (
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/ticketapi"
	"helpdesk/services/ticket/domain/ticket"
)

// NewReopenTicketHandler returns the handler that reopens a resolved or closed ticket within the reopen window.
func NewReopenTicketHandler(d Deps) ChangeHandler[ticketapi.ReopenTicket] {
	return newChangeHandler("NewReopenTicketHandler", d, func(cmd ticketapi.ReopenTicket) ticketapi.Target { return cmd.Target },
		func(t *ticket.Ticket, a ticket.Actor, cmd ticketapi.ReopenTicket, now time.Time) ([]events.Payload, error) {
			return t.Reopen(a, cmd.Reason, now, d.Policy, d.Calendar)
		})
}
