package adapters

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/subjects"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/rpc"
)

// IdentityDirectory looks users up in the identity service over NATS.
type IdentityDirectory struct {
	Conn *nats.Conn
}

// User returns the account, or a problem.CodeNotFound error.
func (d IdentityDirectory) User(ctx context.Context, userID string) (identityapi.User, error) {
	ctx = rpc.WithCaller(ctx, rpc.Caller{ID: "system:callrecord", Role: identityapi.RoleSystem, CorrelationID: rpc.CallerFrom(ctx).CorrelationID})
	return rpc.Call[identityapi.User](ctx, d.Conn, subjects.Endpoint(subjects.ServiceIdentity, identityapi.EndpointGet), identityapi.GetUser{UserID: userID})
}

// TicketService opens tickets in the ticket service over NATS, as the
// caller of the request (the agent who opens a ticket from a call).
type TicketService struct {
	Conn *nats.Conn
}

// Open opens the ticket and returns its id.
func (s TicketService) Open(ctx context.Context, cmd ticketapi.OpenTicket) (string, error) {
	t, err := rpc.Call[ticketapi.Ticket](ctx, s.Conn, subjects.Endpoint(subjects.ServiceTicket, ticketapi.EndpointOpen), cmd)
	if err != nil {
		return "", err
	}
	return t.ID, nil
}

// Waiter is a read model that can wait until it has applied an event.
type Waiter interface {
	WaitFor(ctx context.Context, seq uint64) error
}

// Freshness makes queries read their writes: it waits until the calls read
// model has applied every event the call-record stream holds.
type Freshness struct {
	JS        jetstream.JetStream
	ReadModel Waiter
}

// CatchUp returns once the read model has caught up with the stream.
func (f Freshness) CatchUp(ctx context.Context) error {
	s, err := f.JS.Stream(ctx, subjects.Stream(subjects.ServiceCallRecord))
	if err != nil {
		return fmt.Errorf("call-record stream: %w", err)
	}
	return f.ReadModel.WaitFor(ctx, s.CachedInfo().State.LastSeq)
}

// CallRecord finds a call in the read model.
type CallRecord interface {
	Get(ctx context.Context, callID string, admin bool) (callapi.Call, bool, error)
}

// KnownCalls tells the calls the hotline knows: the read model, once it
// has caught up, holds every call the board was offered or a CDR reported.
type KnownCalls struct {
	Fresh   Freshness
	Records CallRecord
}

// Known tells whether the hotline knows the call.
func (k KnownCalls) Known(ctx context.Context, callID string) (bool, error) {
	if err := k.Fresh.CatchUp(ctx); err != nil {
		return false, err
	}
	_, ok, err := k.Records.Get(ctx, callID, false)
	return ok, err
}
