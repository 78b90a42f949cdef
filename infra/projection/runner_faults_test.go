package projection_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/infra/projection"
	"helpdesk/infra/sqlstore/sqlstoretest"
)

// flaky is a counter whose Apply fails while plan says so: plan maps a
// stream sequence to how many more attempts at it fail; after is, when
// positive, how many events it applies before it refuses every later one.
type flaky struct {
	counter
	mu      sync.Mutex
	plan    map[uint64]int
	after   int
	applied int
}

func (h *flaky) Apply(ctx context.Context, tx *sql.Tx, env events.Envelope) error {
	h.mu.Lock()
	if h.after > 0 && h.applied >= h.after {
		h.mu.Unlock()
		return errors.New("this replica refuses from now on")
	}
	if h.plan[env.AggregateVersion] > 0 {
		h.plan[env.AggregateVersion]--
		h.mu.Unlock()
		return errors.New("transient failure")
	}
	h.applied++
	h.mu.Unlock()
	return h.counter.Apply(ctx, tx, env)
}

// TestRunner_idle_replica_keeps_its_lag_metrics_current: a replica whose
// batches were all applied by the other replica still updates its lag
// gauges (they kept the value of the last batch it applied itself: a false
// lag alert on the slower replica).
func TestRunner_idle_replica_keeps_its_lag_metrics_current(t *testing.T) {
	cfg := sqlstoretest.SQLiteConfig(t)
	dbA, dbB := openDB(t, cfg), openDB(t, cfg)
	f := newFixture(t, dbA)
	c := counter{name: "stale"}
	last := f.appendEvents(ids(1), 10, false)
	regB := prometheus.NewRegistry()
	// B applies the first event (9 pending), then refuses the rest.
	b := &flaky{counter: c, after: 1}
	rB, _ := f.run(projection.RunnerConfig{Handler: b, DB: dbB, Registerer: regB, MaxBatch: 1, ParkAfter: -1})
	f.wait(rB, 1)
	rA, _ := f.run(projection.RunnerConfig{Handler: c, DB: dbA, Registerer: prometheus.NewRegistry()})
	f.wait(rA, last)
	f.wait(rB, last)
	time.Sleep(100 * time.Millisecond)
	if got := testutil.ToFloat64(metric(t, regB, "helpdesk_projection_position", c.name)); got != float64(last) {
		t.Fatalf("B position gauge %v, want %d", got, last)
	}
	if got := testutil.ToFloat64(metric(t, regB, "helpdesk_projection_lag_events", c.name)); got != 0 {
		t.Errorf("B is at %d of %d but its lag_events gauge says %v", last, last, got)
	}
	if got := testutil.ToFloat64(metric(t, regB, "helpdesk_projection_lag_seconds", c.name)); got != 0 {
		t.Errorf("B is caught up but its lag_seconds gauge says %v", got)
	}
}

// TestRunner_failure_count_restarts_after_a_success: ParkAfter counts
// failures in a row; once the event applies the count starts again, so a
// single later failure of it (after a rebuild) does not park it.
func TestRunner_failure_count_restarts_after_a_success(t *testing.T) {
	f := newFixture(t, sqlstoretest.SQLite(t))
	c := counter{name: "inarow"}
	agg := ids(1)
	last := f.appendEvents(agg, 3, false)
	h := &flaky{counter: c, plan: map[uint64]int{2: 4}} // fails 4 times, then applies
	r, _ := f.run(projection.RunnerConfig{Handler: h, ParkAfter: 5, MaxBatch: 1})
	f.wait(r, last)
	if got := f.counts(c); got[agg[0]] != "3/6" {
		t.Fatalf("before the rebuild: %v", got)
	}
	h.mu.Lock()
	h.plan[2] = 1 // one transient failure during the rebuild
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := r.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(metric(t, f.reg, "helpdesk_projection_parked_events", c.name)); got != 0 {
		t.Errorf("parked events %v after one failure in a row (ParkAfter 5)", got)
	}
	if got := f.counts(c); got[agg[0]] != "3/6" {
		t.Errorf("after the rebuild the read model lost the event: %v, want 3/6", got)
	}
}

// TestRunner_restarts_and_rebuilds_leak_nothing rebuilds (pause, reset, consume again)
// many times and checks that neither goroutines nor server consumers pile
// up.
func TestRunner_restarts_and_rebuilds_leak_nothing(t *testing.T) {
	f := newFixture(t, nil)
	last := f.appendEvents(ids(2), 3, false)
	m := &memTarget{}
	r, _ := f.run(projection.RunnerConfig{Target: m})
	f.wait(r, last)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := r.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	before := runtime.NumGoroutine()
	for range 20 {
		if _, err := r.Rebuild(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(500 * time.Millisecond)
	after := runtime.NumGoroutine()
	if after > before+5 {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Errorf("goroutines %d before 20 rebuilds, %d after\n%s", before, after, summarize(string(buf[:n])))
	}
	js, _ := jetstream.New(f.nc)
	st, err := js.Stream(ctx, m.Stream())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range st.ConsumerNames(ctx).Name() {
		names = append(names, name)
	}
	if len(names) > 1 {
		t.Errorf("consumers on the server after 20 rebuilds: %d %v", len(names), names)
	}
}

// summarize counts goroutines by their top function.
func summarize(dump string) string {
	counts := map[string]int{}
	for _, g := range strings.Split(dump, "\n\n") {
		if lines := strings.Split(g, "\n"); len(lines) > 1 {
			counts[lines[1]]++
		}
	}
	var b strings.Builder
	for k, v := range counts {
		if v > 2 {
			fmt.Fprintf(&b, "%4d %s\n", v, k)
		}
	}
	return b.String()
}

// gatedTarget is a memTarget whose resets each wait for a gate of their
// own, in the order they are called.
type gatedTarget struct {
	*memTarget
	mu    sync.Mutex
	calls int
	gates []chan struct{}
	began chan int
}

func (g *gatedTarget) Reset(ctx context.Context) error {
	g.mu.Lock()
	i := g.calls
	g.calls++
	g.mu.Unlock()
	g.began <- i
	<-g.gates[i]
	return g.memTarget.Reset(ctx)
}

// TestRunner_rebuilds_do_not_overlap: a second Rebuild of one runner while
// one runs is refused with a conflict (overlapping pauses once let Run
// consume during the second reset, and events before it were lost).
func TestRunner_rebuilds_do_not_overlap(t *testing.T) {
	f := newFixture(t, nil)
	last := f.appendEvents(ids(2), 3, false)
	g := &gatedTarget{memTarget: &memTarget{}, gates: []chan struct{}{make(chan struct{}), make(chan struct{})}, began: make(chan int, 2)}
	r, _ := f.run(projection.RunnerConfig{Target: g})
	f.wait(r, last)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errs := make(chan error, 1)
	go func() { _, err := r.Rebuild(ctx, nil); errs <- err }()
	<-g.began // the first rebuild has paused and is resetting
	// A second rebuild meanwhile is refused, not interleaved.
	if _, err := r.Rebuild(ctx, nil); problem.CodeOf(err) != problem.CodeConflict {
		t.Fatalf("second rebuild while one runs: %v, want a conflict", err)
	}
	close(g.gates[0]) // the first reset ends and the first rebuild resumes
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	// A later rebuild runs.
	close(g.gates[1])
	if _, err := r.Rebuild(ctx, nil); err != nil {
		t.Fatalf("a rebuild after the first: %v", err)
	}
	last = f.appendEvents(ids(1), 1, false)
	f.wait(r, last)
	g.mu.Lock()
	applied := g.memTarget.applied
	g.mu.Unlock()
	if applied != int(last) {
		t.Errorf("read model holds %d events after the rebuilds, the stream %d", applied, last)
	}
}

// TestRunner_parked_gauge_follows_a_rebuild_by_another_replica: replica B
// parks a poison event; after the cause is fixed, replica A rebuilds the
// shared read model, which empties projection_parked, and B's gauge
// follows within its refresh interval although B has nothing to apply.
func TestRunner_parked_gauge_follows_a_rebuild_by_another_replica(t *testing.T) {
	cfg := sqlstoretest.SQLiteConfig(t)
	dbA, dbB := openDB(t, cfg), openDB(t, cfg)
	f := newFixture(t, dbA)
	c := counter{name: "parkedgauge"}
	agg := ids(1)
	f.appendEvents(agg, 1, false)
	f.appendEvents(agg, 1, true) // poison
	last := f.appendEvents(agg, 1, false)
	regB := prometheus.NewRegistry()
	rB, _ := f.run(projection.RunnerConfig{Handler: c, DB: dbB, Registerer: regB, ParkAfter: 2})
	f.wait(rB, last)
	if got := testutil.ToFloat64(metric(t, regB, "helpdesk_projection_parked_events", c.name)); got != 1 {
		t.Fatalf("B parked %v events, want 1", got)
	}
	fixed := counter{name: c.name, tolerant: true}
	regA := prometheus.NewRegistry()
	rA, _ := f.run(projection.RunnerConfig{Handler: fixed, DB: dbA, Registerer: regA})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := rA.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := f.counts(c); got[agg[0]] != "3/3" {
		t.Fatalf("after the rebuild: %v, want 3/3", got)
	}
	if got := testutil.ToFloat64(metric(t, regA, "helpdesk_projection_parked_events", c.name)); got != 0 {
		t.Fatalf("A's parked gauge %v after its rebuild", got)
	}
	// B follows within its refresh interval, with no event to apply.
	deadline := time.Now().Add(15 * time.Second)
	for testutil.ToFloat64(metric(t, regB, "helpdesk_projection_parked_events", c.name)) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("projection_parked is empty, but B's parked gauge still says %v", testutil.ToFloat64(metric(t, regB, "helpdesk_projection_parked_events", c.name)))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRunner_rebuild_ends_on_an_event_that_keeps_failing: a read model
// that does not park (ParkAfter < 0) and refuses an event during a rebuild
// ends the Rebuild with a conflict naming the event, instead of holding it
// (and every later Rebuild) for ever; once the event applies, the next
// Rebuild finishes.
func TestRunner_rebuild_ends_on_an_event_that_keeps_failing(t *testing.T) {
	f := newFixture(t, sqlstoretest.SQLite(t))
	c := counter{name: "stuck"}
	agg := ids(1)
	last := f.appendEvents(agg, 3, false)
	h := &flaky{counter: c, plan: map[uint64]int{}}
	r, _ := f.run(projection.RunnerConfig{Handler: h, ParkAfter: -1, MaxBatch: 1})
	f.wait(r, last)

	h.mu.Lock()
	h.plan[2] = 1 << 30 // refused from now on
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := r.Rebuild(ctx, nil)
	if problem.CodeOf(err) != problem.CodeConflict || !strings.Contains(err.Error(), "event 2 failed") {
		t.Fatalf("rebuild with an event that keeps failing: %v, want a conflict naming event 2", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the rebuild ran until its context ended")
	}

	h.mu.Lock()
	h.plan[2] = 0
	h.mu.Unlock()
	if _, err := r.Rebuild(ctx, nil); err != nil {
		t.Fatalf("rebuild once the event applies: %v", err)
	}
	if got := f.counts(c); got[agg[0]] != "3/6" {
		t.Errorf("after the rebuild: %v, want 3/6", got)
	}
}
