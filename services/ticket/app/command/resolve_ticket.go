package command

import (
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/ticketapi"
	"helpdesk/services/ticket/domain/ticket"
)

// NewResolveTicketHandler returns the handler that resolves an open ticket and starts its auto-close wait.
func NewResolveTicketHandler(d Deps) ChangeHandler[ticketapi.ResolveTicket] {
	return newChangeHandler("NewResolveTicketHandler", d, func(cmd ticketapi.ResolveTicket) ticketapi.Target { return cmd.Target },
		func(t *ticket.Ticket, a ticket.Actor, cmd ticketapi.ResolveTicket, now time.Time) ([]events.Payload, error) {
			return t.Resolve(a, cmd.Resolution, now, d.Policy, d.Calendar)
		})
}
