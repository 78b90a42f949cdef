package adapters

import (
	"context"

	"github.com/nats-io/nats.go"

	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/rpc"
)

// TicketService asks the ticket service, as the caller of the request,
// whether they may see a ticket.
type TicketService struct {
	Conn *nats.Conn
}

// Visible tells whether the caller in ctx may see the ticket.
func (s TicketService) Visible(ctx context.Context, ticketID string) (bool, error) {
	_, err := rpc.Call[ticketapi.Ticket](ctx, s.Conn, subjects.Endpoint(subjects.ServiceTicket, ticketapi.EndpointGet),
		ticketapi.GetTicket{TicketID: ticketID})
	if problem.CodeOf(err) == problem.CodeNotFound {
		return false, nil
	}
	return err == nil, err
}
