// Package eventstoretest is the conformance suite of eventstore.Store: every
// implementation runs it in its tests and must pass it unchanged.
package eventstoretest

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"helpdesk/contracts/events"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
)

// testPayload is an event payload used only by the suite.
type testPayload struct {
	Text string `json:"text"`
	N    int    `json:"n"`
}

func (testPayload) EventType() string  { return "conformance.happened" }
func (testPayload) SchemaVersion() int { return 1 }

// Run runs the suite against stores made by newStore, which may return the
// same store every time; each subtest uses aggregates of its own, in the
// given service, whose stream the store must accept appends for.
func Run(t *testing.T, service string, newStore func(t *testing.T) eventstore.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s eventstore.Store, service string)
	}{
		{"append and load round trip", testRoundTrip},
		{"new aggregate must not exist", testNewMustNotExist},
		{"stale version conflicts and writes nothing", testStaleVersion},
		{"idempotent retry", testIdempotentRetry},
		{"atomic batch", testAtomicBatch},
		{"batch conflict writes nothing", testBatchConflict},
		{"unknown aggregate loads empty", testUnknown},
		{"aggregates are isolated", testIsolation},
		{"concurrent writers: exactly one wins", testConcurrentWriters},
		{"no events is an error", testNoEvents},
		{"chain stores every event in order", testChain},
		{"chain after a stale version stores nothing", testChainConflict},
		{"chain broken by another writer stores a prefix", testChainBroken},
		{"every event links to the one before it", testHashChain},
		{"loads leave nothing behind", testManyLoads},
		{"chain re-sending a stored event conflicts", testChainResent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, newStore(t), service)
		})
	}
}

func newAggregate(service string) subjects.Aggregate {
	return subjects.Aggregate{Service: service, Type: "thing", ID: uuid.Must(uuid.NewV7()).String()}
}

func event(t *testing.T, agg subjects.Aggregate, n int) events.Envelope {
	t.Helper()
	e, err := events.New("/helpdesk/conformance", agg.Type, agg.ID, testPayload{Text: "打印机无法连接网络 printer offline", N: n},
		time.Date(2026, 3, 2, 9, 30, 0, 123456789, time.UTC), events.Metadata{
			Actor: "user-1", ActorRole: "agent", SourceIP: "203.0.113.7", RequestID: "req-1",
			CorrelationID: "corr-1", CausationID: "cause-1", IdempotencyKey: "",
			TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", TraceState: "vendor=x",
		})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func appendOK(t *testing.T, s eventstore.Store, agg subjects.Aggregate, expected uint64, evs ...events.Envelope) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(context.Background(), agg, evs, eventstore.AppendOptions{ExpectedVersion: expected})
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	return res
}

func load(t *testing.T, s eventstore.Store, agg subjects.Aggregate) []events.Envelope {
	t.Helper()
	evs, err := s.Load(context.Background(), agg)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return evs
}

func testRoundTrip(t *testing.T, s eventstore.Store, service string) {
	agg := newAggregate(service)
	e1 := event(t, agg, 1)
	r1 := appendOK(t, s, agg, 0, e1)
	e2 := event(t, agg, 2)
	e2.IdempotencyKey = "user-1:key"
	r2 := appendOK(t, s, agg, r1.Version, e2)
	if r2.Version <= r1.Version {
		t.Fatalf("versions %d then %d: want increasing", r1.Version, r2.Version)
	}
	got := load(t, s, agg)
	if len(got) != 2 {
		t.Fatalf("loaded %d events, want 2", len(got))
	}
	prev := ""
	for i, want := range []events.Envelope{e1, e2} {
		want.AggregateVersion = []uint64{r1.Version, r2.Version}[i]
		want.PrevHash, want.Hash = prev, want.ChainHash(prev)
		prev = want.Hash
		if !equalEnvelope(got[i], want) {
			t.Errorf("event %d:\n got  %+v\n want %+v", i, got[i], want)
		}
	}
	var p testPayload
	if err := got[0].Decode(&p); err != nil || p.Text != "打印机无法连接网络 printer offline" {
		t.Errorf("payload = %+v, %v", p, err)
	}
}

// equalEnvelope compares envelopes, with JSON data compared by value.
func equalEnvelope(a, b events.Envelope) bool {
	var da, db any
	if json.Unmarshal(a.Data, &da) != nil || json.Unmarshal(b.Data, &db) != nil || !reflect.DeepEqual(da, db) {
		return false
	}
	a.Data, b.Data = nil, nil
	return a.OccurredAt.Equal(b.OccurredAt) && reflect.DeepEqual(withoutTime(a), withoutTime(b))
}

func withoutTime(e events.Envelope) events.Envelope {
	e.OccurredAt = time.Time{}
	return e
}

func testNewMustNotExist(t *testing.T, s eventstore.Store, service string) {
	agg := newAggregate(service)
	appendOK(t, s, agg, 0, event(t, agg, 1))
	_, err := s.Append(context.Background(), agg, []events.Envelope{event(t, agg, 2)}, eventstore.AppendOptions{ExpectedVersion: 0})
	if !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("second creation: err = %v, want ErrConflict", err)
	}
	if n := len(load(t, s, agg)); n != 1 {
		t.Fatalf("%d events stored, want 1", n)
	}
}

func testStaleVersion(t *testing.T, s eventstore.Store, service string) {
	agg := newAggregate(service)
	r1 := appendOK(t, s, agg, 0, event(t, agg, 1))
	appendOK(t, s, agg, r1.Version, event(t, agg, 2))
	_, err := s.Append(context.Background(), agg, []events.Envelope{event(t, agg, 3)}, eventstore.AppendOptions{ExpectedVersion: r1.Version})
	if !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("stale append: err = %v, want ErrConflict", err)
	}
	if n := len(load(t, s, agg)); n != 2 {
		t.Fatalf("%d events stored, want 2", n)
	}
}

func testIdempotentRetry(t *testing.T, s eventstore.Store, service string) {
	agg := newAggregate(service)
	opts := eventstore.AppendOptions{ExpectedVersion: 0, IdempotencyKey: "user-1:" + agg.ID}
	first, err := s.Append(context.Background(), agg, []events.Envelope{event(t, agg, 1)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	retry, err := s.Append(context.Background(), agg, []events.Envelope{event(t, agg, 1)}, opts)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if !retry.Duplicate || retry.Version != first.Version || first.Duplicate {
		t.Fatalf("first %+v, retry %+v: want the retry marked duplicate with the same version", first, retry)
	}
	if n := len(load(t, s, agg)); n != 1 {
		t.Fatalf("%d events stored, want 1", n)
	}
}

func testAtomicBatch(t *testing.T, s eventstore.Store, service string) {
	agg := newAggregate(service)
	r1 := appendOK(t, s, agg, 0, event(t, agg, 1))
	batch := []events.Envelope{event(t, agg, 2), event(t, agg, 3), event(t, agg, 4)}
	res, err := s.Append(context.Background(), agg, batch, eventstore.AppendOptions{ExpectedVersion: r1.Version})
	if errors.Is(err, eventstore.ErrBatchUnsupported) {
		t.Skip("the server cannot append batches atomically (NATS < 2.12)")
	}
	if err != nil {
		t.Fatal(err)
	}
	got := load(t, s, agg)
	if len(got) != 4 {
		t.Fatalf("loaded %d events, want 4", len(got))
	}
	for i, e := range got[1:] {
		if e.ID != batch[i].ID || e.AggregateVersion != batch[i].AggregateVersion {
			t.Errorf("batch event %d: got %s@%d, want %s@%d", i, e.ID, e.AggregateVersion, batch[i].ID, batch[i].AggregateVersion)
		}
	}
	if res.Version != got[3].AggregateVersion {
		t.Errorf("result version %d, last event version %d", res.Version, got[3].AggregateVersion)
	}
}

func testBatchConflict(t *testing.T, s eventstore.Store, service string) {
	agg := newAggregate(service)
	appendOK(t, s, agg, 0, event(t, agg, 1))
	_, err := s.Append(context.Background(), agg, []events.Envelope{event(t, agg, 2), event(t, agg, 3)}, eventstore.AppendOptions{ExpectedVersion: 0})
	if errors.Is(err, eventstore.ErrBatchUnsupported) {
		t.Skip("the server cannot append batches atomically (NATS < 2.12)")
	}
	if !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	if n := len(load(t, s, agg)); n != 1 {
		t.Fatalf("%d events stored after a failed batch, want 1", n)
	}
}

func testUnknown(t *testing.T, s eventstore.Store, service string) {
	if evs := load(t, s, newAggregate(service)); len(evs) != 0 {
		t.Fatalf("unknown aggregate has %d events", len(evs))
	}
}

func testIsolation(t *testing.T, s eventstore.Store, service string) {
	a, b := newAggregate(service), newAggregate(service)
	ra := appendOK(t, s, a, 0, event(t, a, 1))
	appendOK(t, s, b, 0, event(t, b, 1))
	appendOK(t, s, a, ra.Version, event(t, a, 2)) // b's append does not move a's version
	if na, nb := len(load(t, s, a)), len(load(t, s, b)); na != 2 || nb != 1 {
		t.Fatalf("a has %d events, b has %d; want 2 and 1", na, nb)
	}
}

func testConcurrentWriters(t *testing.T, s eventstore.Store, service string) {
	agg := newAggregate(service)
	r := appendOK(t, s, agg, 0, event(t, agg, 0))
	const writers = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	start := make(chan struct{})
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := s.Append(context.Background(), agg, []events.Envelope{event(t, agg, i+1)}, eventstore.AppendOptions{ExpectedVersion: r.Version})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, eventstore.ErrConflict):
				conflicts++
			default:
				t.Errorf("writer %d: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if wins != 1 || conflicts != writers-1 {
		t.Fatalf("%d wins and %d conflicts, want 1 and %d", wins, conflicts, writers-1)
	}
	if n := len(load(t, s, agg)); n != 2 {
		t.Fatalf("%d events stored, want 2", n)
	}
}

func testNoEvents(t *testing.T, s eventstore.Store, service string) {
	_, err := s.Append(context.Background(), newAggregate(service), nil, eventstore.AppendOptions{})
	if !errors.Is(err, eventstore.ErrNoEvents) {
		t.Fatalf("err = %v, want ErrNoEvents", err)
	}
}

func testChain(t *testing.T, s eventstore.Store, service string) {
	agg := newAggregate(service)
	first := appendOK(t, s, agg, 0, event(t, agg, 0))
	evs := []events.Envelope{event(t, agg, 1), event(t, agg, 2), event(t, agg, 3)}
	res, err := s.AppendChain(context.Background(), agg, evs, eventstore.AppendOptions{ExpectedVersion: first.Version})
	if err != nil || res.Stored != 3 || res.Version != evs[2].AggregateVersion {
		t.Fatalf("AppendChain = %+v, %v", res, err)
	}
	got := load(t, s, agg)
	if len(got) != 4 {
		t.Fatalf("loaded %d events, want 4", len(got))
	}
	for i, e := range got[1:] {
		if e.ID != evs[i].ID || e.AggregateVersion != evs[i].AggregateVersion {
			t.Errorf("event %d: %s v%d, want %s v%d", i+1, e.ID, e.AggregateVersion, evs[i].ID, evs[i].AggregateVersion)
		}
	}
}

func testChainConflict(t *testing.T, s eventstore.Store, service string) {
	agg := newAggregate(service)
	first := appendOK(t, s, agg, 0, event(t, agg, 0))
	appendOK(t, s, agg, first.Version, event(t, agg, 1))
	evs := []events.Envelope{event(t, agg, 2), event(t, agg, 3), event(t, agg, 4)}
	res, err := s.AppendChain(context.Background(), agg, evs, eventstore.AppendOptions{ExpectedVersion: first.Version})
	if !errors.Is(err, eventstore.ErrConflict) || res.Stored != 0 || res.Version != first.Version {
		t.Fatalf("AppendChain on a stale version = %+v, %v; want nothing stored and a conflict", res, err)
	}
	if got := load(t, s, agg); len(got) != 2 {
		t.Fatalf("loaded %d events, want 2: the chain stored something", len(got))
	}
}

// testChainResent sends a stored event again at the head of a chain: the
// store must not report it as stored by this chain.
func testChainResent(t *testing.T, s eventstore.Store, service string) {
	agg := newAggregate(service)
	stored := event(t, agg, 0)
	if _, err := s.AppendChain(context.Background(), agg, []events.Envelope{stored}, eventstore.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := s.AppendChain(context.Background(), agg, []events.Envelope{stored}, eventstore.AppendOptions{ExpectedVersion: stored.AggregateVersion})
	if !errors.Is(err, eventstore.ErrConflict) || res.Stored != 0 {
		t.Fatalf("AppendChain of a stored event = %+v, %v; want a conflict, nothing stored", res, err)
	}
}

// testChainBroken appends to another aggregate of the same stream while
// a long chain is in flight: the chain stops where the other event
// landed, and what it stored is a prefix with nothing between its events.
func testChainBroken(t *testing.T, s eventstore.Store, service string) {
	agg, other := newAggregate(service), newAggregate(service)
	const n = 2000
	evs := make([]events.Envelope, n)
	for i := range evs {
		evs[i] = event(t, agg, i)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 20 {
			time.Sleep(time.Millisecond)
			appendOK(t, s, other, uint64(0), event(t, other, i))
			other = newAggregate(service)
		}
	})
	res, err := s.AppendChain(context.Background(), agg, evs, eventstore.AppendOptions{})
	wg.Wait()
	got := load(t, s, agg)
	if len(got) != res.Stored {
		t.Fatalf("loaded %d events, the chain says %d were stored", len(got), res.Stored)
	}
	for i, e := range got {
		if e.ID != evs[i].ID {
			t.Fatalf("event %d is %s, want %s: not a prefix", i, e.ID, evs[i].ID)
		}
		if i > 0 && e.AggregateVersion != got[i-1].AggregateVersion+1 {
			t.Fatalf("event %d at %d, the one before at %d: something came between", i, e.AggregateVersion, got[i-1].AggregateVersion)
		}
	}
	if res.Stored < n && (!errors.Is(err, eventstore.ErrInterleaved) || res.Stored == 0) {
		t.Fatalf("a broken chain (%d of %d stored): %v, want ErrInterleaved after a stored prefix", res.Stored, n, err)
	}
	if res.Stored == n {
		t.Logf("the other writer never came between; the chain was stored whole")
	}
}

// testHashChain appends single events, a batch and a chain, and checks
// that every stored event carries the hash of its content and the hash of
// the event before it, the first none, and that Append and AppendChain set
// both on the envelopes they were given.
func testHashChain(t *testing.T, s eventstore.Store, service string) {
	agg := newAggregate(service)
	first := []events.Envelope{event(t, agg, 1)}
	r := appendOK(t, s, agg, 0, first...)
	r = appendOK(t, s, agg, r.Version, event(t, agg, 2))
	batch := []events.Envelope{event(t, agg, 3), event(t, agg, 4)}
	res, err := s.Append(context.Background(), agg, batch, eventstore.AppendOptions{ExpectedVersion: r.Version})
	switch {
	case errors.Is(err, eventstore.ErrBatchUnsupported):
		batch = nil
	case err != nil:
		t.Fatal(err)
	default:
		r = res
	}
	chain := []events.Envelope{event(t, agg, 5), event(t, agg, 6), event(t, agg, 7)}
	if _, err := s.AppendChain(context.Background(), agg, chain, eventstore.AppendOptions{ExpectedVersion: r.Version}); err != nil {
		t.Fatal(err)
	}
	got := load(t, s, agg)
	if want := 2 + len(batch) + len(chain); len(got) != want {
		t.Fatalf("loaded %d events, want %d", len(got), want)
	}
	prev := ""
	for i, e := range got {
		if e.Hash == "" || e.Hash != e.ChainHash(e.PrevHash) || e.PrevHash != prev {
			t.Fatalf("event %d: hash %q, content hashes to %q, prev %q, want prev %q", i, e.Hash, e.ChainHash(e.PrevHash), e.PrevHash, prev)
		}
		prev = e.Hash
	}
	given := append(append([]events.Envelope{}, batch...), chain...)
	stored := got[2:]
	for i, e := range given {
		if e.Hash != stored[i].Hash || e.PrevHash != stored[i].PrevHash {
			t.Errorf("appended event %d: envelope has hash %q prev %q, stored %q prev %q", i, e.Hash, e.PrevHash, stored[i].Hash, stored[i].PrevHash)
		}
	}
	if first[0].Hash != got[0].Hash {
		t.Errorf("first event: envelope hash %q, stored %q", first[0].Hash, got[0].Hash)
	}
}

// testManyLoads loads one aggregate more often than a NATS server (2.11 and
// later) allows consumers on a stream by default: loads must not leave
// consumers or other server state behind.
func testManyLoads(t *testing.T, s eventstore.Store, service string) {
	agg := newAggregate(service)
	appendOK(t, s, agg, 0, event(t, agg, 1))
	const loads = 1200 // the servers' default limit is 1,000 consumers per stream
	for i := range loads {
		evs, err := s.Load(context.Background(), agg)
		if err != nil {
			t.Fatalf("load %d of %d: %v", i+1, loads, err)
		}
		if len(evs) != 1 {
			t.Fatalf("load %d: %d events, want 1", i+1, len(evs))
		}
	}
}
