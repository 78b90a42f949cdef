// Package rpc carries commands and queries between the gateway (or the CLI)
// and the services over NATS request-reply, using nats.go micro services.
//
// A request body is the JSON of a contracts message; the caller's identity,
// correlation id, idempotency key and trace context travel in headers. A
// failed request answers with the micro error headers and a JSON
// problem.Error body, so the machine-readable code survives the trip.
package rpc

import (
	"context"
	"strings"

	"github.com/nats-io/nats.go"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/infra/telemetry"
)

// Request headers set by Call and read by the service side.
const (
	HeaderActorID        = "Helpdesk-Actor-Id"
	HeaderActorRole      = "Helpdesk-Actor-Role"
	HeaderCorrelationID  = "Helpdesk-Correlation-Id"
	HeaderIdempotencyKey = "Helpdesk-Idempotency-Key"
	HeaderSourceIP       = "Helpdesk-Source-Ip"
	HeaderRequestID      = "Helpdesk-Request-Id"
	// HeaderCommandID is a fresh id per request; events the request causes
	// carry it as their causation id.
	HeaderCommandID = "Helpdesk-Command-Id"
)

// Caller is who sends a request and on behalf of which outside request.
type Caller struct {
	// ID is the user id, or "system:<component>" for internal callers.
	ID string
	// Role is the user's role ("admin", "agent", "customer", "system").
	Role string
	// CorrelationID ties together everything one outside request causes.
	CorrelationID string
	// IdempotencyKey is the client's Idempotency-Key, if it sent one.
	IdempotencyKey string
	// SourceIP is the client address of the outside request, as the
	// gateway determined it; empty for internal callers.
	SourceIP string
	// RequestID identifies the outside (HTTP) request; empty for internal
	// callers.
	RequestID string
	// CommandID identifies the request being handled; set by the server side.
	CommandID string
}

type callerKey struct{}

// WithCaller returns ctx carrying c; Call sends it along.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller carried by ctx, or the zero Caller.
func CallerFrom(ctx context.Context) Caller {
	c, _ := ctx.Value(callerKey{}).(Caller)
	return c
}

func (c Caller) writeTo(h nats.Header) {
	set := func(k, v string) {
		if v != "" {
			h.Set(k, v)
		}
	}
	set(HeaderActorID, c.ID)
	set(HeaderActorRole, c.Role)
	set(HeaderCorrelationID, c.CorrelationID)
	set(HeaderIdempotencyKey, c.IdempotencyKey)
	set(HeaderSourceIP, c.SourceIP)
	set(HeaderRequestID, c.RequestID)
}

func callerFromHeader(h nats.Header) Caller {
	return Caller{
		ID:             h.Get(HeaderActorID),
		Role:           h.Get(HeaderActorRole),
		CorrelationID:  h.Get(HeaderCorrelationID),
		IdempotencyKey: h.Get(HeaderIdempotencyKey),
		SourceIP:       h.Get(HeaderSourceIP),
		RequestID:      h.Get(HeaderRequestID),
		CommandID:      h.Get(HeaderCommandID),
	}
}

// Metadata returns the event metadata for events caused by the request in
// ctx: the caller with role, source IP and request id, correlation id, the
// request's command id as causation id, idempotency key (scoped by the
// caller, so two users' keys never collide) and the current trace context.
// An internal caller ("system:<component>") without a role has the role
// "system".
func Metadata(ctx context.Context) events.Metadata {
	c := CallerFrom(ctx)
	tp, ts := telemetry.TraceParent(ctx)
	role := c.Role
	if role == "" && strings.HasPrefix(c.ID, "system:") {
		role = identityapi.RoleSystem
	}
	md := events.Metadata{
		Actor:         c.ID,
		ActorRole:     role,
		SourceIP:      c.SourceIP,
		RequestID:     c.RequestID,
		CorrelationID: c.CorrelationID,
		CausationID:   c.CommandID,
		TraceParent:   tp,
		TraceState:    ts,
	}
	if c.IdempotencyKey != "" {
		md.IdempotencyKey = c.ID + ":" + c.IdempotencyKey
	}
	return md
}
