// Package eventstore is the append-only log every aggregate is stored in.
//
// The Store interface is what services program against; jetstream.go holds
// the NATS JetStream implementation and the eventstoretest package a
// conformance suite that every implementation must pass.
package eventstore

import (
	"context"
	"errors"

	"helpdesk/contracts/events"
	"helpdesk/contracts/subjects"
)

// Errors returned by a Store, wrapped with context; test with errors.Is.
var (
	// ErrConflict means the aggregate's current version is not the expected
	// one: somebody else appended first. Reload and retry, or tell the client.
	ErrConflict = errors.New("eventstore: version conflict")
	// ErrInterleaved means a chain (AppendChain) was cut short because
	// another append to the stream came between two of its events: what
	// was stored is a prefix, and the aggregate was not changed by anyone
	// else, so the rest may be appended again at once.
	ErrInterleaved = errors.New("eventstore: another append came between the events of a chain")
	// ErrNoEvents means Append was called with nothing to append.
	ErrNoEvents = errors.New("eventstore: no events to append")
	// ErrBatchUnsupported means several events were appended in one call but
	// the server cannot append them atomically (NATS before 2.12).
	ErrBatchUnsupported = errors.New("eventstore: atomic multi-event append needs NATS server 2.12 or later")
)

// Append options.
type AppendOptions struct {
	// ExpectedVersion is the version (stream sequence of the last event) the
	// aggregate must have; 0 means the aggregate must not exist yet.
	ExpectedVersion uint64
	// IdempotencyKey, when set, makes the append idempotent: appending again
	// with the same key (within the store's duplicate window) changes nothing
	// and returns the first append's result with Duplicate set. Keys must be
	// unique per aggregate command; callers scope them (e.g. by actor).
	IdempotencyKey string
}

// AppendResult says where the events landed.
type AppendResult struct {
	// Version is the stream sequence of the last appended event: the new
	// version of the aggregate.
	Version uint64
	// Duplicate is true when the append was recognised as a retry of an
	// earlier one with the same idempotency key and nothing new was written.
	Duplicate bool
}

// ChainResult says how much of a chain was stored.
type ChainResult struct {
	// Stored is how many events, from the first, were stored.
	Stored int
	// Version is the stream sequence of the last stored event (the
	// aggregate's version), or the expected version when none was stored.
	Version uint64
}

// Store is an append-only event log with one ordered subject per aggregate.
//
// Implementations are safe for concurrent use. Append is atomic: either all
// events of a call are stored, or none.
//
// Every appended event is linked into its aggregate's hash chain: its Hash
// is ChainHash(PrevHash) and its PrevHash the Hash of the aggregate's event
// before it ("" for the first, or when that event predates the chain).
// Appends and chains set both on the envelopes they store.
type Store interface {
	// Append stores evs, in order, as the next events of agg, if agg's
	// current version equals opts.ExpectedVersion; otherwise it returns an
	// error wrapping ErrConflict and stores nothing. On success each
	// envelope's AggregateVersion in evs is set to its stream sequence.
	Append(ctx context.Context, agg subjects.Aggregate, evs []events.Envelope, opts AppendOptions) (AppendResult, error)
	// AppendChain stores evs as the next events of agg, each in a message of
	// its own, sent one after the other without waiting for the one
	// before: the first event needs opts.ExpectedVersion to be agg's
	// version, and every later one needs the event before it to be the
	// last thing stored in the stream. What is stored is therefore always
	// a prefix of evs, with nothing between its events; when not all were
	// stored, the error says why the first missing one was refused:
	// ErrConflict when another writer changed agg first, ErrInterleaved
	// when an append to another aggregate of the stream came between two
	// events (then agg is as the stored prefix left it). Chain only events
	// that each stand alone: a command's events belong in one Append.
	// opts.IdempotencyKey is not supported. On success each envelope's
	// AggregateVersion is set. Never send an event again whose outcome was
	// unknown: reload the aggregate instead (a re-sent stored event is
	// reported as ErrConflict).
	AppendChain(ctx context.Context, agg subjects.Aggregate, evs []events.Envelope, opts AppendOptions) (ChainResult, error)
	// Load returns every event of agg in order, with AggregateVersion set;
	// an aggregate with no events yields an empty slice and no error.
	Load(ctx context.Context, agg subjects.Aggregate) ([]events.Envelope, error)
}
