package query

import (
	"context"

	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/aggregate"
	"helpdesk/services/ticket/domain/ticket"
)

// HistoryHandler returns a ticket's event history.
type HistoryHandler struct {
	repo *aggregate.Repository[*ticket.Ticket]
}

// NewHistoryHandler returns the handler.
func NewHistoryHandler(repo *aggregate.Repository[*ticket.Ticket]) HistoryHandler {
	if repo == nil {
		panic("NewHistoryHandler: nil repository")
	}
	return HistoryHandler{repo: repo}
}

// Handle returns every event of the ticket in order. Customers see their own
// tickets only, and never internal notes.
func (h HistoryHandler) Handle(ctx context.Context, q ticketapi.GetEvents) (ticketapi.History, error) {
	actor, _, evs, err := loadVisible(ctx, h.repo, q.TicketID)
	if err != nil {
		return ticketapi.History{}, err
	}
	out := ticketapi.History{TicketID: q.TicketID, Events: make([]ticketapi.Event, 0, len(evs))}
	for _, e := range evs {
		visible, err := ticket.CanSeeEvent(actor, e)
		if err != nil {
			return ticketapi.History{}, err
		}
		if !visible {
			continue
		}
		out.Events = append(out.Events, e.Entry())
	}
	return out, nil
}
