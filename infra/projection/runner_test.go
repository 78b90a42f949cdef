package projection_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"helpdesk/contracts/events"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/projection"
	"helpdesk/infra/sqlstore"
	"helpdesk/infra/sqlstore/sqlstoretest"
	"helpdesk/infra/telemetry/logtest"
)

const service = "proj"

// counted is a payload the test handler counts.
type counted struct {
	N    int  `json:"n"`
	Fail bool `json:"fail,omitempty"`
}

func (counted) EventType() string  { return "proj.counted" }
func (counted) SchemaVersion() int { return 1 }

// counter is a read model counting events and summing N per aggregate; it
// refuses events marked Fail unless it is tolerant.
type counter struct {
	name     string
	tolerant bool
}

func (c counter) Name() string  { return c.name }
func (counter) Stream() string  { return subjects.Stream(service) }
func (c counter) table() string { return "counts_" + c.name }
func (c counter) Migrations() []string {
	return []string{`CREATE TABLE ` + c.table() + ` (id TEXT PRIMARY KEY, events BIGINT NOT NULL, total BIGINT NOT NULL)`}
}
func (c counter) Reset(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM `+c.table())
	return err
}

func (c counter) Apply(ctx context.Context, tx *sql.Tx, env events.Envelope) error {
	var p counted
	if err := env.Decode(&p); err != nil {
		return err
	}
	if p.Fail && !c.tolerant {
		return errors.New("refusing a poison event")
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO `+c.table()+` (id, events, total) VALUES ($1, 1, $2)
		ON CONFLICT (id) DO UPDATE SET events = `+c.table()+`.events + 1, total = `+c.table()+`.total + excluded.total`, env.AggregateID, p.N)
	return err
}

type fixture struct {
	t     *testing.T
	srv   *natsembed.Server
	nc    *nats.Conn
	store *eventstore.JetStream
	db    *sqlstore.DB
	reg   *prometheus.Registry
}

func newFixture(t *testing.T, db *sqlstore.DB) *fixture {
	srv, nc := natsembed.StartForTest(t)
	js, _ := jetstream.New(nc)
	store, err := eventstore.NewJetStream(context.Background(), js, service)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, srv: srv, nc: nc, store: store, db: db, reg: prometheus.NewRegistry()}
}

// appendEvents appends n events to each of the aggregates and returns the
// last sequence.
func (f *fixture) appendEvents(ids []string, n int, fail bool) uint64 {
	f.t.Helper()
	var last uint64
	for i := 0; i < n; i++ {
		for _, id := range ids {
			agg := subjects.Aggregate{Service: service, Type: "thing", ID: id}
			evs, err := f.store.Load(context.Background(), agg)
			if err != nil {
				f.t.Fatal(err)
			}
			var version uint64
			if len(evs) > 0 {
				version = evs[len(evs)-1].AggregateVersion
			}
			e, _ := events.New("/proj", "thing", id, counted{N: i + 1, Fail: fail}, time.Now(), events.Metadata{Actor: "t"})
			res, err := f.store.Append(context.Background(), agg, []events.Envelope{e}, eventstore.AppendOptions{ExpectedVersion: version})
			if err != nil {
				f.t.Fatal(err)
			}
			last = res.Version
		}
	}
	return last
}

// appendEventsCtx appends one event to each aggregate until ctx ends and
// returns the last sequence appended.
func (f *fixture) appendEventsCtx(ctx context.Context, ids []string, n int) uint64 {
	var last uint64
	for i := 0; i < n && ctx.Err() == nil; i++ {
		for _, id := range ids {
			agg := subjects.Aggregate{Service: service, Type: "thing", ID: id}
			e, _ := events.New("/proj", "thing", id, counted{N: 1}, time.Now(), events.Metadata{Actor: "t"})
			res, err := f.store.Append(context.Background(), agg, []events.Envelope{e}, eventstore.AppendOptions{})
			if err != nil {
				continue
			}
			last = max(last, res.Version)
		}
	}
	return last
}

// start runs a runner for h until the test ends or stop is called.
func (f *fixture) start(h projection.Handler) (r *projection.Runner, stop func()) {
	f.t.Helper()
	return f.run(projection.RunnerConfig{Handler: h})
}

// run runs a runner configured by cfg, on the fixture's connection,
// database, registry and a silent logger unless cfg sets its own.
func (f *fixture) run(cfg projection.RunnerConfig) (r *projection.Runner, stop func()) {
	f.t.Helper()
	if cfg.Conn == nil {
		cfg.Conn = f.nc
	}
	if cfg.DB == nil && cfg.Target == nil {
		cfg.DB = f.db
	}
	if cfg.Registerer == nil {
		cfg.Registerer = f.reg
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if cfg.RetryDelay == 0 {
		cfg.RetryDelay = 20 * time.Millisecond
	}
	r, err := projection.NewRunner(cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	stop = func() { cancel(); <-done }
	f.t.Cleanup(stop)
	return r, stop
}

func (f *fixture) wait(r *projection.Runner, seq uint64) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.WaitFor(ctx, seq); err != nil {
		f.t.Fatal(err)
	}
}

// counts reads the read model: id → "events/total".
func (f *fixture) counts(c counter) map[string]string {
	f.t.Helper()
	rows, err := f.db.Read.Query(`SELECT id, events, total FROM ` + c.table())
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id string
		var n, total int
		if err := rows.Scan(&id, &n, &total); err != nil {
			f.t.Fatal(err)
		}
		out[id] = fmt.Sprintf("%d/%d", n, total)
	}
	return out
}

func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = uuid.Must(uuid.NewV7()).String()
	}
	return out
}

func TestRunner(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		t.Run("applies in order, resumes after restart, ignores redelivery, rebuilds the same", func(t *testing.T) {
			f := newFixture(t, db)
			c := counter{name: "c" + uuid.NewString()[:8]}
			aggs := ids(5)
			last := f.appendEvents(aggs, 4, false)
			r, stop := f.start(c)
			f.wait(r, last)
			want := map[string]string{}
			for _, id := range aggs {
				want[id] = "4/10" // N = 1+2+3+4
			}
			assertCounts(t, f.counts(c), want)

			// Restart: nothing is applied twice, new events are applied.
			stop()
			last = f.appendEvents(aggs[:1], 1, false)
			r, stop = f.start(c)
			f.wait(r, last)
			want[aggs[0]] = "5/11"
			assertCounts(t, f.counts(c), want)

			// A durable consumer left by an earlier version is removed.
			stop()
			js, _ := jetstream.New(f.nc)
			if _, err := js.CreateConsumer(context.Background(), c.Stream(), jetstream.ConsumerConfig{
				Durable: "proj_" + c.Name(), AckPolicy: jetstream.AckExplicitPolicy,
			}); err != nil {
				t.Fatal(err)
			}
			r, _ = f.start(c)
			if _, err := js.Consumer(context.Background(), c.Stream(), "proj_"+c.Name()); !errors.Is(err, jetstream.ErrConsumerNotFound) {
				t.Errorf("old durable consumer: %v, want it deleted", err)
			}
			last = f.appendEvents(aggs[1:2], 1, false)
			f.wait(r, last)
			want[aggs[1]] = "5/11"
			assertCounts(t, f.counts(c), want)

			// A rebuild from zero gives the same read model.
			var reports int
			sum, err := r.Rebuild(context.Background(), func(done, total uint64) { reports++ })
			if err != nil {
				t.Fatal(err)
			}
			if sum.Position != last || sum.Events != last || reports == 0 {
				t.Errorf("summary %+v after %d progress reports; want position and events %d", sum, reports, last)
			}
			assertCounts(t, f.counts(c), want)
			if got := testutil.ToFloat64(metric(t, f.reg, "helpdesk_projection_position", c.Name())); got != float64(last) {
				t.Errorf("position metric %v, want %d", got, last)
			}
		})

		t.Run("a poison event holds back only its projection", func(t *testing.T) {
			f := newFixture(t, db)
			good := counter{name: "g" + uuid.NewString()[:8], tolerant: true}
			bad := counter{name: "b" + uuid.NewString()[:8]}
			aggs := ids(2)
			before := f.appendEvents(aggs, 1, false)
			poison := f.appendEvents(aggs[:1], 1, true)
			rBad, _ := f.run(projection.RunnerConfig{Handler: bad, ParkAfter: -1})
			rGood, _ := f.start(good)
			f.wait(rGood, poison)
			f.wait(rBad, before)
			time.Sleep(100 * time.Millisecond) // several retries of the poison event
			if pos := rBad.Position(); pos != before {
				t.Fatalf("position %d moved past the poison event at %d (before %d)", pos, poison, before)
			}
			if n := testutil.ToFloat64(metric(t, f.reg, "helpdesk_projection_failures_total", bad.Name())); n < 2 {
				t.Fatalf("failures metric = %v, want retries counted", n)
			}
		})

		t.Run("a poison event is parked with an alert after ParkAfter attempts", func(t *testing.T) {
			f := newFixture(t, db)
			bad := counter{name: "p" + uuid.NewString()[:8]}
			aggs := ids(2)
			f.appendEvents(aggs, 1, false)
			poison := f.appendEvents(aggs[:1], 1, true)
			last := f.appendEvents(aggs, 1, false)
			var logs logtest.Buffer
			r, stop := f.run(projection.RunnerConfig{Handler: bad, ParkAfter: 3, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
			f.wait(r, last)
			// The poison event of aggs[0] is missing; the others count.
			assertCounts(t, f.counts(bad), map[string]string{aggs[0]: "2/2", aggs[1]: "2/2"})
			if n := testutil.ToFloat64(metric(t, f.reg, "helpdesk_projection_failures_total", bad.Name())); n != 3 {
				t.Errorf("failures = %v, want exactly the 3 attempts", n)
			}
			if n := testutil.ToFloat64(metric(t, f.reg, "helpdesk_projection_parked_events", bad.Name())); n != 1 {
				t.Errorf("parked metric = %v, want 1", n)
			}
			var seq int64
			var typ, subject, cause string
			if err := f.db.Read.QueryRow(f.db.Rebind(`SELECT position, event_type, subject, error FROM projection_parked WHERE name = ?`), bad.Name()).
				Scan(&seq, &typ, &subject, &cause); err != nil {
				t.Fatal(err)
			}
			if uint64(seq) != poison || typ != "proj.counted" || !strings.Contains(subject, aggs[0]) || !strings.Contains(cause, "poison") {
				t.Errorf("parked row: %d %q %q %q; want sequence %d of %s", seq, typ, subject, cause, poison, aggs[0])
			}
			if !strings.Contains(logs.String(), `"alert":"projection_event_parked"`) {
				t.Errorf("no alert logged: %s", logs.String())
			}
			// A restart keeps the count; a rebuild parks the event again.
			stop()
			r, _ = f.start(bad)
			if n := testutil.ToFloat64(metric(t, f.reg, "helpdesk_projection_parked_events", bad.Name())); n != 1 {
				t.Errorf("parked metric after restart = %v, want 1", n)
			}
			if _, err := r.Rebuild(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			assertCounts(t, f.counts(bad), map[string]string{aggs[0]: "2/2", aggs[1]: "2/2"})
		})

		t.Run("a projection far behind catches up", func(t *testing.T) {
			f := newFixture(t, db)
			c := counter{name: "s" + uuid.NewString()[:8]}
			aggs := ids(10)
			r, stop := f.start(c)
			f.wait(r, f.appendEvents(aggs, 1, false))
			stop()
			js, _ := jetstream.New(f.nc)
			last := publishRaw(t, js, aggs, 300) // 3,000 events while it is down
			r, _ = f.run(projection.RunnerConfig{Handler: c, MaxBatch: 100})
			f.wait(r, last)
			want := map[string]string{}
			for _, id := range aggs {
				want[id] = "301/301"
			}
			assertCounts(t, f.counts(c), want)
			if lag := testutil.ToFloat64(metric(t, f.reg, "helpdesk_projection_lag_events", c.Name())); lag != 0 {
				t.Errorf("lag = %v after catching up", lag)
			}
		})
	})
}

// publishRaw appends n events with N=1 to each aggregate straight to the
// stream, without the event store's checks (fast), and returns the last
// sequence.
func publishRaw(t *testing.T, js jetstream.JetStream, aggs []string, n int) uint64 {
	t.Helper()
	ctx := context.Background()
	var last uint64
	for i := 0; i < n; i++ {
		futures := make([]jetstream.PubAckFuture, 0, len(aggs))
		for _, id := range aggs {
			agg := subjects.Aggregate{Service: service, Type: "thing", ID: id}
			e, _ := events.New("/proj", "thing", id, counted{N: 1}, time.Now(), events.Metadata{Actor: "t"})
			f, err := js.PublishMsgAsync(eventstore.EncodeMsg(agg.Subject(), e))
			if err != nil {
				t.Fatal(err)
			}
			futures = append(futures, f)
		}
		for _, f := range futures {
			select {
			case ack := <-f.Ok():
				last = max(last, ack.Sequence)
			case err := <-f.Err():
				t.Fatal(err)
			case <-ctx.Done():
			}
		}
	}
	return last
}

func assertCounts(t *testing.T, got, want map[string]string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("read model\n got  %v\n want %v", got, want)
	}
}

// metric finds the series of a metric family for a projection.
func metric(t *testing.T, reg *prometheus.Registry, name, projection string) prometheus.Collector {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "projection" && l.GetValue() == projection {
					v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
					g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "x"})
					g.Set(v)
					return g
				}
			}
		}
	}
	t.Fatalf("no %s series for %s", name, projection)
	return nil
}

// selectiveCounter is a counter that wants only some event types.
type selectiveCounter struct {
	counter
	types []string
}

func (s selectiveCounter) EventTypes() []string { return s.types }

// TestRunner_selective_skips_unwanted_types checks that a Selective handler
// is given only the types it wants and still moves past the others.
func TestRunner_selective_skips_unwanted_types(t *testing.T) {
	f := newFixture(t, sqlstoretest.SQLite(t))
	none := selectiveCounter{counter{name: "none"}, []string{"proj.other"}}
	wanted := selectiveCounter{counter{name: "wanted"}, []string{"proj.counted"}}
	aggs := ids(3)
	last := f.appendEvents(aggs, 2, false)
	rn, _ := f.start(none)
	rw, _ := f.start(wanted)
	f.wait(rn, last)
	f.wait(rw, last)
	if got := f.counts(none.counter); len(got) != 0 {
		t.Fatalf("unwanted events applied: %v", got)
	}
	if got := f.counts(wanted.counter); len(got) != 3 || got[aggs[0]] != "2/3" {
		t.Fatalf("wanted events: %v", got)
	}
}

// TestRunner_stops_cleanly_while_events_flow starts and stops a runner
// again and again while events keep arriving: a delivery racing with the
// stop must neither panic nor leave a handler blocked, and the events must
// all apply once the runner runs again.
func TestRunner_stops_cleanly_while_events_flow(t *testing.T) {
	f := newFixture(t, sqlstoretest.SQLite(t))
	c := counter{name: "flow", tolerant: true}
	aggs := ids(4)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const writers = 4
	appended := make(chan uint64, writers)
	for range writers {
		go func() {
			var last uint64
			for ctx.Err() == nil {
				last = max(last, f.appendEventsCtx(ctx, aggs, 1))
			}
			appended <- last
		}()
	}
	for i := range 40 {
		_, stop := f.start(c)
		time.Sleep(time.Duration(2+i%7) * time.Millisecond)
		stop()
	}
	cancel()
	var last uint64
	for range writers {
		last = max(last, <-appended)
	}
	r, _ := f.start(c)
	f.wait(r, last)
}

// memTarget is a read model in memory that counts the events applied and
// remembers the position at which it was compacted.
type memTarget struct {
	mu          sync.Mutex
	applied     int
	position    uint64
	compactedAt []uint64
}

func (*memTarget) Name() string   { return "mem" }
func (*memTarget) Stream() string { return subjects.Stream(service) }
func (m *memTarget) Position(context.Context) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.position, nil
}
func (m *memTarget) Begin(context.Context) (projection.Batch, error) { return &memBatch{m: m}, nil }
func (m *memTarget) Reset(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.applied, m.position = 0, 0
	return nil
}
func (m *memTarget) Compact(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.compactedAt = append(m.compactedAt, m.position)
	return nil
}

type memBatch struct {
	m *memTarget
	n int
}

func (b *memBatch) Apply(context.Context, events.Envelope) error { b.n++; return nil }
func (b *memBatch) Commit(_ context.Context, position uint64) error {
	b.m.mu.Lock()
	defer b.m.mu.Unlock()
	b.m.applied += b.n
	b.m.position = position
	return nil
}
func (b *memBatch) Discard() {}

// TestRunner_rebuild_compacts_a_compactor checks that a rebuild replays
// every event into a Target and compacts it once, after the replay.
func TestRunner_rebuild_compacts_a_compactor(t *testing.T) {
	f := newFixture(t, nil)
	last := f.appendEvents(ids(4), 3, false)
	m := &memTarget{}
	r, err := projection.NewRunner(projection.RunnerConfig{
		Conn: f.nc, Target: m, Registerer: f.reg, MaxBatch: 5,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	f.wait(r, last)
	if len(m.compactedAt) != 0 {
		t.Fatalf("compacted while following the stream: %v", m.compactedAt)
	}
	if _, err := r.Rebuild(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.applied != int(last) || fmt.Sprint(m.compactedAt) != fmt.Sprint([]uint64{last}) {
		t.Fatalf("after rebuild: %d events applied, compacted at %v; want %d and [%d]", m.applied, m.compactedAt, last, last)
	}
}

// TestRunner_replicas_share_one_read_model runs two replicas of a
// projection, each with its own connection and database handle (as two
// processes would have), on one read model while events keep coming; one
// replica restarts and later rebuilds the read model under the other. The
// counter is not idempotent, so an event applied twice or not at all would
// show in the counts.
func TestRunner_replicas_share_one_read_model(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config func(t testing.TB) sqlstore.Config
	}{
		{"sqlite", sqlstoretest.SQLiteConfig},
		{"postgres", func(t testing.TB) sqlstore.Config {
			return sqlstore.Config{Driver: sqlstore.DriverPostgres, DSN: sqlstoretest.PostgresDSN(t)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.config(t)
			dbA, dbB := openDB(t, cfg), openDB(t, cfg)
			f := newFixture(t, dbA)
			ncB, err := f.srv.Connect()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(ncB.Close)
			c := counter{name: "r" + uuid.NewString()[:8]}
			replica := func(db *sqlstore.DB, nc *nats.Conn) (*projection.Runner, func()) {
				return f.run(projection.RunnerConfig{Handler: c, DB: db, Conn: nc, Registerer: prometheus.NewRegistry(), MaxBatch: 16})
			}
			aggs := ids(6)
			first := f.appendEvents(aggs, 2, false)
			rA, stopA := replica(dbA, f.nc)
			rB, _ := replica(dbB, ncB)
			f.wait(rA, first)
			f.wait(rB, first)
			// Each replica reads through a consumer of its own: two sharing
			// one would split the events between them. (B may have started
			// at the position A stored: its consumer can come a moment later.)
			js, _ := jetstream.New(f.nc)
			st, err := js.Stream(context.Background(), c.Stream())
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for deadline := time.Now().Add(5 * time.Second); len(names) != 2 && time.Now().Before(deadline); {
				names = names[:0]
				consumers := st.ConsumerNames(context.Background())
				for name := range consumers.Name() {
					if strings.HasPrefix(name, "proj_"+c.Name()) {
						names = append(names, name)
					}
				}
				if len(names) != 2 {
					time.Sleep(20 * time.Millisecond)
				}
			}
			if len(names) != 2 {
				t.Fatalf("consumers of the two replicas: %v, want two", names)
			}

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var writers sync.WaitGroup
			for range 3 {
				writers.Add(1)
				go func() {
					defer writers.Done()
					for ctx.Err() == nil {
						f.appendEventsCtx(ctx, aggs, 1)
					}
				}()
			}
			time.Sleep(200 * time.Millisecond)
			stopA()
			time.Sleep(100 * time.Millisecond)
			rA, _ = replica(dbA, f.nc)
			time.Sleep(200 * time.Millisecond)
			if _, err := rA.Rebuild(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
			cancel()
			writers.Wait()

			info, err := st.Info(context.Background(), jetstream.WithSubjectFilter(">"))
			if err != nil {
				t.Fatal(err)
			}
			f.wait(rA, info.State.LastSeq)
			f.wait(rB, info.State.LastSeq)
			want := map[string]string{}
			for _, id := range aggs {
				n := info.State.Subjects[subjects.Aggregate{Service: service, Type: "thing", ID: id}.Subject()]
				want[id] = fmt.Sprintf("%d/%d", n, n+1) // the first two events have N=1 and N=2
			}
			assertCounts(t, f.counts(c), want)
		})
	}
}

func openDB(t *testing.T, cfg sqlstore.Config) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
