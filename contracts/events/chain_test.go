package events_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"helpdesk/contracts/events"
)

func sample() events.Envelope {
	return events.Envelope{
		ID: "0190c0de-0000-7000-8000-000000000001", Type: "ticket.opened", SchemaVersion: 1, Source: "/helpdesk/ticket",
		AggregateType: "ticket", AggregateID: "0190c0de-0000-7000-8000-000000000002", AggregateVersion: 9,
		OccurredAt: time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC), Actor: "u1", ActorRole: "customer",
		SourceIP: "203.0.113.7", RequestID: "r1", CorrelationID: "c1", CausationID: "k1", IdempotencyKey: "u1:key",
		TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", Data: []byte(`{"title":"打印机"}`),
	}
}

// TestEnvelope_ChainHash_encoding pins the encoding contracts/EVENTS.md
// documents: netstrings of the scheme, prev hash and fields, in order.
func TestEnvelope_ChainHash_encoding(t *testing.T) {
	t.Parallel()
	const prev = "5e88"
	want := sha256.Sum256([]byte("17:helpdesk-chain-v1,4:5e88,36:0190c0de-0000-7000-8000-000000000001,13:ticket.opened,1:1," +
		"16:/helpdesk/ticket,6:ticket,36:0190c0de-0000-7000-8000-000000000002,28:2026-01-02T03:04:05.0000006Z," +
		"2:u1,8:customer,11:203.0.113.7,2:r1,2:c1,2:k1,6:u1:key,21:{\"title\":\"打印机\"},"))
	if got := sample().ChainHash(prev); got != hex.EncodeToString(want[:]) {
		t.Fatalf("ChainHash = %s, want %x", got, want)
	}
}

// TestEnvelope_ChainHash_covers_content: a change to any hashed field, or
// to the prev hash, changes the hash; the version, trace context and the
// hash fields themselves do not take part; local times hash as UTC.
func TestEnvelope_ChainHash_covers_content(t *testing.T) {
	t.Parallel()
	base := sample().ChainHash("p")
	tests := []struct {
		name    string
		prev    string
		edit    func(*events.Envelope)
		changes bool
	}{
		{"prev hash", "q", func(*events.Envelope) {}, true},
		{"id", "p", func(e *events.Envelope) { e.ID += "x" }, true},
		{"type", "p", func(e *events.Envelope) { e.Type = "ticket.closed" }, true},
		{"schema version", "p", func(e *events.Envelope) { e.SchemaVersion = 2 }, true},
		{"source", "p", func(e *events.Envelope) { e.Source = "/helpdesk/other" }, true},
		{"aggregate type", "p", func(e *events.Envelope) { e.AggregateType = "user" }, true},
		{"aggregate id", "p", func(e *events.Envelope) { e.AggregateID += "x" }, true},
		{"occurred at", "p", func(e *events.Envelope) { e.OccurredAt = e.OccurredAt.Add(time.Nanosecond) }, true},
		{"actor", "p", func(e *events.Envelope) { e.Actor = "u2" }, true},
		{"actor role", "p", func(e *events.Envelope) { e.ActorRole = "admin" }, true},
		{"source ip", "p", func(e *events.Envelope) { e.SourceIP = "203.0.113.8" }, true},
		{"request id", "p", func(e *events.Envelope) { e.RequestID = "r2" }, true},
		{"correlation id", "p", func(e *events.Envelope) { e.CorrelationID = "c2" }, true},
		{"causation id", "p", func(e *events.Envelope) { e.CausationID = "k2" }, true},
		{"idempotency key", "p", func(e *events.Envelope) { e.IdempotencyKey = "" }, true},
		{"data", "p", func(e *events.Envelope) { e.Data = []byte(`{"title":"打印机 "}`) }, true},
		{"field boundary moved", "p", func(e *events.Envelope) { e.Actor, e.ActorRole = "u1c", "ustomer" }, true},
		{"aggregate version", "p", func(e *events.Envelope) { e.AggregateVersion = 10 }, false},
		{"trace context", "p", func(e *events.Envelope) { e.TraceParent, e.TraceState = "", "x=y" }, false},
		{"hash fields", "p", func(e *events.Envelope) { e.Hash, e.PrevHash = "h", "g" }, false},
		{"same instant in another zone", "p", func(e *events.Envelope) { e.OccurredAt = e.OccurredAt.In(time.FixedZone("CST", 8*3600)) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := sample()
			tt.edit(&e)
			if changed := e.ChainHash(tt.prev) != base; changed != tt.changes {
				t.Fatalf("hash changed = %v, want %v", changed, tt.changes)
			}
		})
	}
}
