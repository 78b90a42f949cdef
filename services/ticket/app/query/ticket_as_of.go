package query

import (
	"context"
	"fmt"
	"time"

	"helpdesk/contracts/problem"
	"helpdesk/contracts/ticketapi"
	"helpdesk/services/ticket/domain/ticket"
)

// asOf returns the ticket as it stood at the moment at: rebuilt from its
// events, in their stored order, up to the first that occurred after at,
// with the version it had then. A
// ticket not yet opened at that moment is not found; a moment in the future
// is an invalid argument. Who may see the ticket, and its internal notes,
// follows the same rules as the current ticket.
func (h TicketHandler) asOf(ctx context.Context, id string, at time.Time) (ticketapi.Ticket, error) {
	if now := h.now(); at.After(now) {
		return ticketapi.Ticket{}, &problem.Error{Code: problem.CodeInvalidArgument, Message: "as_of is in the future",
			Fields: []problem.FieldError{{Field: "as_of", Message: fmt.Sprintf("a moment no later than now (%s)", now.UTC().Format(time.RFC3339))}}}
	}
	actor, _, evs, err := loadVisible(ctx, h.repo, id)
	if err != nil {
		return ticketapi.Ticket{}, err
	}
	n := 0
	for n < len(evs) && !evs[n].OccurredAt.After(at) {
		n++
	}
	if n == 0 {
		return ticketapi.Ticket{}, problem.New(problem.CodeNotFound, "ticket %q did not exist yet at %s", id, at.Format(time.RFC3339))
	}
	then, err := ticket.FromEvents(evs[:n])
	if err != nil {
		return ticketapi.Ticket{}, fmt.Errorf("rebuild ticket %s as of %s: %w", id, at.Format(time.RFC3339), err)
	}
	return then.View(actor), nil
}

// now is the clock of the repository, which stamps the ticket's events.
func (h TicketHandler) now() time.Time {
	if h.repo.Now != nil {
		return h.repo.Now()
	}
	return time.Now()
}
