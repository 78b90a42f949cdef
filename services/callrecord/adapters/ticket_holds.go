package adapters

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"

	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/satapi"
	"helpdesk/contracts/subjects"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/rpc"
)

// Holds tells whether a call's recording is on hold:
//   - while the ticket opened from the call is not closed, asking the
//     ticket service over NATS (a ticket it does not know holds nothing);
//   - while a complaint about the call is open: the follow-up the
//     satisfaction service opened for the call's unhappy rating, read from
//     its events (the published language), until a supervisor completes it.
//
// When an answer cannot be had, OnHold fails and the purge keeps the
// recording for its next run.
type Holds struct {
	Conn *nats.Conn
	// Store reads the satisfaction service's follow-up events.
	Store eventstore.Store
}

// OnHold reports whether the recording of the call is on hold.
func (h Holds) OnHold(ctx context.Context, callID, ticketID string) (bool, error) {
	if ticketID != "" {
		open, err := h.ticketOpen(ctx, ticketID)
		if err != nil || open {
			return open, err
		}
	}
	evs, err := h.Store.Load(ctx, subjects.FollowUp(satapi.FollowUpFor(satapi.SurveyForCall(callID))))
	if err != nil {
		return false, fmt.Errorf("complaint about call %s: %w", callID, err)
	}
	open := false
	for _, e := range evs {
		switch e.Type {
		case satapi.EventFollowUpOpened:
			open = true
		case satapi.EventFollowUpCompleted:
			open = false
		}
	}
	return open, nil
}

// ticketOpen reports whether the ticket is not closed.
func (h Holds) ticketOpen(ctx context.Context, ticketID string) (bool, error) {
	ctx = rpc.WithCaller(ctx, rpc.Caller{ID: "system:retention", Role: identityapi.RoleSystem,
		CorrelationID: rpc.CallerFrom(ctx).CorrelationID})
	t, err := rpc.Call[ticketapi.Ticket](ctx, h.Conn, subjects.Endpoint(subjects.ServiceTicket, ticketapi.EndpointGet),
		ticketapi.GetTicket{TicketID: ticketID})
	if problem.CodeOf(err) == problem.CodeNotFound {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("get ticket %s: %w", ticketID, err)
	}
	return t.Status != ticketapi.StatusClosed, nil
}
