package eventstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"helpdesk/contracts/events"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
)

func chainEvent(t *testing.T, agg subjects.Aggregate, n int) events.Envelope {
	t.Helper()
	return events.Envelope{
		ID: uuid.Must(uuid.NewV7()).String(), Type: "thing.happened", SchemaVersion: 1, Source: "/helpdesk/test",
		AggregateType: agg.Type, AggregateID: agg.ID, OccurredAt: time.Date(2026, 5, 1, 8, 0, n, 0, time.UTC),
		Actor: "u1", ActorRole: "agent", Data: []byte(`{"n":1}`),
	}
}

// TestJetStream_chain_across_stores: a store that did not load the
// aggregate (another process, say) reads the last event's hash from the
// server and links to it; with a stale version it refuses with
// ErrConflict, as the server would.
func TestJetStream_chain_across_stores(t *testing.T) {
	t.Parallel()
	_, nc := natsembed.StartForTest(t)
	a, b := newStore(t, nc, "chain"), newStore(t, nc, "chain")
	ctx := context.Background()
	agg := subjects.Aggregate{Service: "chain", Type: "thing", ID: uuid.Must(uuid.NewV7()).String()}
	e1 := []events.Envelope{chainEvent(t, agg, 1)}
	r1, err := a.Append(ctx, agg, e1, eventstore.AppendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e2 := []events.Envelope{chainEvent(t, agg, 2)}
	r2, err := b.Append(ctx, agg, e2, eventstore.AppendOptions{ExpectedVersion: r1.Version})
	if err != nil {
		t.Fatal(err)
	}
	if e2[0].PrevHash != e1[0].Hash || e1[0].Hash == "" {
		t.Fatalf("second store linked to %q, the first event's hash is %q", e2[0].PrevHash, e1[0].Hash)
	}
	// a's head is stale (version r1): it must not link to it.
	if _, err := a.Append(ctx, agg, []events.Envelope{chainEvent(t, agg, 3)}, eventstore.AppendOptions{ExpectedVersion: r1.Version}); !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("append at a stale version: %v, want ErrConflict", err)
	}
	e3 := []events.Envelope{chainEvent(t, agg, 3)}
	if _, err := a.AppendChain(ctx, agg, e3, eventstore.AppendOptions{ExpectedVersion: r2.Version}); err != nil {
		t.Fatal(err)
	}
	if e3[0].PrevHash != e2[0].Hash {
		t.Fatalf("chain linked to %q, want %q", e3[0].PrevHash, e2[0].Hash)
	}
}

// TestJetStream_chain_starts_after_legacy_events: events stored before the
// chain existed have no hash; the first chained event after them has no
// prev hash.
func TestJetStream_chain_starts_after_legacy_events(t *testing.T) {
	t.Parallel()
	_, nc := natsembed.StartForTest(t)
	store := newStore(t, nc, "legacy")
	ctx := context.Background()
	agg := subjects.Aggregate{Service: "legacy", Type: "thing", ID: uuid.Must(uuid.NewV7()).String()}
	ack, err := nc.RequestMsg(eventstore.EncodeMsg(agg.Subject(), chainEvent(t, agg, 1)), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := store.Load(ctx, agg)
	if err != nil || len(evs) != 1 || evs[0].Hash != "" {
		t.Fatalf("legacy event: %+v, %v (ack %s)", evs, err, ack.Data)
	}
	e := []events.Envelope{chainEvent(t, agg, 2)}
	if _, err := store.Append(ctx, agg, e, eventstore.AppendOptions{ExpectedVersion: evs[0].AggregateVersion}); err != nil {
		t.Fatal(err)
	}
	if e[0].PrevHash != "" || e[0].Hash != e[0].ChainHash("") {
		t.Fatalf("first chained event: prev %q, hash %q", e[0].PrevHash, e[0].Hash)
	}
}
