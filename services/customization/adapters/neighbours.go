package adapters

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"

	"helpdesk/contracts/custapi"
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

// ReadModel is the request list as the application asks it.
type ReadModel struct {
	Requests *RequestList
}

// List lists requests, newest first.
func (r ReadModel) List(ctx context.Context, q custapi.ListRequests) (custapi.RequestPage, error) {
	return r.Requests.List(ctx, ListFilter{Status: q.Status, Kind: q.Kind, Requester: q.Requester, Assignee: q.Assignee, Limit: q.Limit, Cursor: q.Cursor})
}

// Board returns the requests by status.
func (r ReadModel) Board(ctx context.Context, kind, requester string, perStatus int) (custapi.Board, error) {
	return r.Requests.Board(ctx, kind, requester, perStatus)
}

// Stats returns the lead-time figures.
func (r ReadModel) Stats(ctx context.Context, q custapi.GetStats, now time.Time) (custapi.Stats, error) {
	return r.Requests.Stats(ctx, q, now)
}
