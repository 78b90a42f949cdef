package adapters

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"

	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/rpc"
)

// TicketHolds tells whether the ticket opened from a call holds the call's
// recording, by asking the ticket service over NATS: a ticket holds it
// until it is closed. A ticket the service does not know holds nothing.
// When the ticket service does not answer, OnHold fails and the purge
// keeps the recording for its next run.
//
// Complaints are not checked: the satisfaction service, whose open
// complaints will hold recordings too, does not exist yet.
type TicketHolds struct {
	Conn *nats.Conn
}

// OnHold reports whether the ticket is not closed.
func (h TicketHolds) OnHold(ctx context.Context, ticketID string) (bool, error) {
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
