package command

import (
	"context"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/rpc"
	"helpdesk/services/ticket/domain/ticket"
)

// CheckDeadlines asks the ticket service to act on a ticket's passed
// deadlines: record SLA breaches and close resolved tickets whose waiting
// period is over. It is sent by the deadline scheduler, never by users.
type CheckDeadlines struct {
	TicketID string
}

// CheckDeadlinesHandler records SLA breaches and auto-closes tickets.
type CheckDeadlinesHandler struct{ d Deps }

// NewCheckDeadlinesHandler returns the handler.
func NewCheckDeadlinesHandler(d Deps) CheckDeadlinesHandler {
	d.mustBeComplete("NewCheckDeadlinesHandler")
	return CheckDeadlinesHandler{d: d}
}

// Handle acts on every deadline of the ticket that has passed, one event per
// append, and reports how many events it recorded. Running it again, or on
// two replicas at once, records nothing twice: the domain knows what is
// already recorded and the store rejects the slower of two writers.
func (h CheckDeadlinesHandler) Handle(ctx context.Context, cmd CheckDeadlines) (int, error) {
	system := ticket.SystemActor("deadlines")
	ctx = rpc.WithCaller(ctx, rpc.Caller{ID: system.ID, Role: system.Role})
	recorded := 0
	for {
		var next []events.Payload
		_, err := h.d.change(ctx, ticketapi.Target{TicketID: cmd.TicketID}, func(t *ticket.Ticket, _ ticket.Actor, now time.Time) ([]events.Payload, error) {
			next = nil
			if due := t.RecordSLABreaches(now); len(due) > 0 {
				next = due[:1]
			} else if t.AutoCloseDue(now) {
				evs, err := t.AutoClose(now)
				if err != nil {
					return nil, err
				}
				next = evs
			}
			return next, nil
		})
		if err != nil {
			return recorded, err
		}
		if len(next) == 0 {
			return recorded, nil
		}
		recorded += len(next)
	}
}
