package command

import (
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/ticketapi"
	"helpdesk/services/ticket/domain/ticket"
)

// NewStartWorkHandler returns the handler that moves an assigned ticket to in_progress.
func NewStartWorkHandler(d Deps) ChangeHandler[ticketapi.StartWork] {
	return newChangeHandler("NewStartWorkHandler", d, func(cmd ticketapi.StartWork) ticketapi.Target { return cmd.Target },
		func(t *ticket.Ticket, a ticket.Actor, cmd ticketapi.StartWork, now time.Time) ([]events.Payload, error) {
			return t.StartWork(a, now)
		})
}
