// Package events defines the event envelope every service writes to its
// JetStream stream, and the CloudEvents header names it travels with.
package events

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// CloudEvents binary-mode headers carried by every event message on NATS.
// The body of the message is the event's JSON data.
const (
	HeaderID          = "ce-id"
	HeaderType        = "ce-type"
	HeaderSource      = "ce-source"
	HeaderSpecVersion = "ce-specversion"
	HeaderTime        = "ce-time"
	HeaderSubject     = "ce-subject"
	HeaderDataSchema  = "ce-dataschema"
	HeaderContentType = "Content-Type"

	// Extension attributes (CloudEvents extension names are lowercase
	// alphanumerics).
	HeaderSchemaVersion  = "ce-schemaversion"
	HeaderAggregateType  = "ce-aggregatetype"
	HeaderActor          = "ce-actor"
	HeaderCorrelationID  = "ce-correlationid"
	HeaderCausationID    = "ce-causationid"
	HeaderIdempotencyKey = "ce-idempotencykey"
	HeaderActorRole      = "ce-actorrole"
	HeaderSourceIP       = "ce-sourceip"
	HeaderRequestID      = "ce-requestid"
	// HeaderHash and HeaderPrevHash carry the event's link in its
	// aggregate's hash chain (see Envelope.ChainHash).
	HeaderHash     = "ce-hash"
	HeaderPrevHash = "ce-prevhash"
	// HeaderTraceParent is the W3C trace context, as in the CloudEvents
	// distributed-tracing extension.
	HeaderTraceParent = "traceparent"
	HeaderTraceState  = "tracestate"

	// SpecVersion is the CloudEvents specification version we follow.
	SpecVersion = "1.0"
)

// Envelope is one domain event with its metadata. Data holds the JSON of the
// event-specific payload (see the payload types of each service).
type Envelope struct {
	// ID is a UUIDv7, unique per event.
	ID string `json:"id"`
	// Type names the event, e.g. "ticket.opened".
	Type string `json:"type"`
	// SchemaVersion is the version of Data's schema for this Type.
	SchemaVersion int `json:"schema_version"`
	// Source is the producing service as a URI reference, e.g. "/helpdesk/ticket".
	Source string `json:"source"`
	// AggregateType and AggregateID identify the aggregate the event belongs to.
	AggregateType string `json:"aggregate_type"`
	AggregateID   string `json:"aggregate_id"`
	// AggregateVersion is the stream sequence of this event; it is zero until
	// the event has been appended.
	AggregateVersion uint64 `json:"aggregate_version"`
	// OccurredAt is when the event happened, in UTC.
	OccurredAt time.Time `json:"occurred_at"`
	// Actor is the user id that caused the event, or "system:<component>".
	Actor string `json:"actor"`
	// ActorRole is the actor's role when it acted: "admin", "agent",
	// "customer", "pbx" or "system".
	ActorRole string `json:"actor_role,omitempty"`
	// SourceIP is the client address of the outside request that caused
	// the event, as the gateway saw it; empty for internal actors.
	SourceIP string `json:"source_ip,omitempty"`
	// RequestID identifies the one HTTP request that caused the event (a
	// fresh id per request, unlike CorrelationID, which a client may send).
	RequestID string `json:"request_id,omitempty"`
	// CorrelationID ties together everything caused by one outside request.
	CorrelationID string `json:"correlation_id,omitempty"`
	// CausationID is the id of the command or event that caused this one.
	CausationID string `json:"causation_id,omitempty"`
	// IdempotencyKey is the client's key for the command that produced the
	// event, scoped by the actor; a retried command with the same key is not
	// applied twice.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// TraceParent and TraceState carry the W3C trace context.
	TraceParent string `json:"traceparent,omitempty"`
	TraceState  string `json:"tracestate,omitempty"`
	// Data is the event payload as JSON.
	Data json.RawMessage `json:"data"`
	// Hash is the event's link in the hash chain of its aggregate:
	// ChainHash(PrevHash), set by the event store when it appends the
	// event. Events stored before the chain existed have none.
	Hash string `json:"hash,omitempty"`
	// PrevHash is the Hash of the aggregate's event before this one; empty
	// for the first event of a chain.
	PrevHash string `json:"prev_hash,omitempty"`
}

// Metadata is what a command handler knows about the request that causes
// events; New copies it into every envelope.
type Metadata struct {
	Actor          string
	ActorRole      string
	SourceIP       string
	RequestID      string
	CorrelationID  string
	CausationID    string
	IdempotencyKey string
	TraceParent    string
	TraceState     string
}

// New builds an envelope for payload p, marshalled as JSON, with a fresh
// UUIDv7 id. The aggregate version stays zero until the event is appended.
func New(source, aggregateType, aggregateID string, p Payload, at time.Time, md Metadata) (Envelope, error) {
	data, err := json.Marshal(p)
	if err != nil {
		return Envelope{}, fmt.Errorf("marshal %s: %w", p.EventType(), err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Envelope{}, fmt.Errorf("new event id: %w", err)
	}
	return Envelope{
		ID:             id.String(),
		Type:           p.EventType(),
		SchemaVersion:  p.SchemaVersion(),
		Source:         source,
		AggregateType:  aggregateType,
		AggregateID:    aggregateID,
		OccurredAt:     at.UTC(),
		Actor:          md.Actor,
		ActorRole:      md.ActorRole,
		SourceIP:       md.SourceIP,
		RequestID:      md.RequestID,
		CorrelationID:  md.CorrelationID,
		CausationID:    md.CausationID,
		IdempotencyKey: md.IdempotencyKey,
		TraceParent:    md.TraceParent,
		TraceState:     md.TraceState,
		Data:           data,
	}, nil
}

// HistoryEntry is one event of an aggregate's history as the API shows it
// to clients (tickets' and custom-development requests' histories).
type HistoryEntry struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	Version    uint64    `json:"version"`
	OccurredAt time.Time `json:"occurred_at"`
	Actor      string    `json:"actor"`
	Data       any       `json:"data"`
}

// Entry is the envelope as a history entry, its data as stored.
func (e Envelope) Entry() HistoryEntry {
	return HistoryEntry{ID: e.ID, Type: e.Type, Version: e.AggregateVersion, OccurredAt: e.OccurredAt,
		Actor: e.Actor, Data: json.RawMessage(e.Data)}
}

// Decode unmarshals the envelope's data into p.
func (e Envelope) Decode(p any) error {
	if err := json.Unmarshal(e.Data, p); err != nil {
		return fmt.Errorf("decode %s %s: %w", e.Type, e.ID, err)
	}
	return nil
}

// DataSchema is the value of the ce-dataschema header for this event: the
// path of its JSON Schema inside the contracts module.
func (e Envelope) DataSchema() string {
	return SchemaPath(e.Type, e.SchemaVersion)
}

// SchemaPath names the JSON Schema file of an event type and version.
func SchemaPath(eventType string, version int) string {
	return fmt.Sprintf("contracts/events/schema/%s.v%d.json", eventType, version)
}

// Payload is implemented by every event payload type.
type Payload interface {
	// EventType is the ce-type of the event, e.g. "ticket.opened".
	EventType() string
	// SchemaVersion is the version of the payload's JSON Schema.
	SchemaVersion() int
}
