package adapters

import (
	"context"

	"github.com/nats-io/nats.go"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/subjects"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/rpc"
)

// TicketService asks the ticket service, over NATS, for tickets and to
// close or reopen them: the ticket service stays their only writer.
type TicketService struct {
	Conn *nats.Conn
}

// system is this service as a caller, within the correlation of ctx and
// with an idempotency key.
func system(ctx context.Context, key string) context.Context {
	return rpc.WithCaller(ctx, rpc.Caller{ID: "system:satisfaction", Role: identityapi.RoleSystem,
		CorrelationID: rpc.CallerFrom(ctx).CorrelationID, IdempotencyKey: key})
}

// onBehalfOf is the requester as a caller: the survey's answer is theirs,
// and the ticket records them as its actor, from the address and request
// they answered in.
func onBehalfOf(ctx context.Context, userID, key string) context.Context {
	outer := rpc.CallerFrom(ctx)
	return rpc.WithCaller(ctx, rpc.Caller{ID: userID, Role: identityapi.RoleCustomer,
		CorrelationID: outer.CorrelationID, SourceIP: outer.SourceIP, RequestID: outer.RequestID, IdempotencyKey: key})
}

// Ticket returns the ticket as an internal component sees it.
func (s TicketService) Ticket(ctx context.Context, id string) (ticketapi.Ticket, error) {
	return rpc.Call[ticketapi.Ticket](system(ctx, ""), s.Conn, subjects.Endpoint(subjects.ServiceTicket, ticketapi.EndpointGet),
		ticketapi.GetTicket{TicketID: id})
}

// Close closes a resolved ticket as its requester asUser, or as this
// service when asUser is empty.
func (s TicketService) Close(ctx context.Context, ticketID, asUser, reason, key string) error {
	if asUser != "" {
		ctx = onBehalfOf(ctx, asUser, key)
	} else {
		ctx = system(ctx, key)
	}
	_, err := rpc.Call[ticketapi.Ticket](ctx, s.Conn, subjects.Endpoint(subjects.ServiceTicket, ticketapi.EndpointClose),
		ticketapi.CloseTicket{Target: ticketapi.Target{TicketID: ticketID}, Reason: reason})
	return err
}

// Reopen reopens a ticket as its requester.
func (s TicketService) Reopen(ctx context.Context, ticketID, asUser, reason, key string) error {
	_, err := rpc.Call[ticketapi.Ticket](onBehalfOf(ctx, asUser, key), s.Conn, subjects.Endpoint(subjects.ServiceTicket, ticketapi.EndpointReopen),
		ticketapi.ReopenTicket{Target: ticketapi.Target{TicketID: ticketID}, Reason: reason})
	return err
}

// CallRecords asks the call-record service for calls over NATS.
type CallRecords struct {
	Conn *nats.Conn
}

// Call returns the call, as an internal component sees it (the caller's
// number masked).
func (c CallRecords) Call(ctx context.Context, callID string) (callapi.Call, error) {
	return rpc.Call[callapi.Call](system(ctx, ""), c.Conn, subjects.Endpoint(subjects.ServiceCallRecord, callapi.EndpointGet),
		callapi.CallTarget{CallID: callID})
}
