// Package projection builds read models from event streams. A Runner feeds
// one Handler the events of one stream, in order, through an ordered
// JetStream consumer, and records the position (the stream sequence of the
// last applied event) in the read model's database in the same transaction
// as the change (a Target outside SQL stores it atomically in its own way).
// The stored position is the truth: consumption starts after it, so a crash
// before or after a commit neither loses nor repeats an event, and no
// consumer state on the server needs to agree.
//
// Replicas: several runners of one projection may share a read model (one
// PostgreSQL database). Each consumes the whole stream; each batch locks
// the stored position (SharedBatch) and applies only the events after it,
// so every event is applied once, in stream order, by whichever replica
// comes first; the others skip it. A replica that finds the stored position
// behind its own (another replica rebuilt the read model) consumes again
// from there.
//
// An event a read model keeps refusing is parked after ParkAfter attempts:
// it is recorded (projection_parked), counted in the parked-events metric
// and logged as an alert, and the projection moves past it.
package projection

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"helpdesk/contracts/events"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/sqlstore"
	"helpdesk/infra/telemetry"
)

// Handler is one read model.
type Handler interface {
	// Name is the projection's stable name: it keys the stored position and
	// prefixes the consumers ("proj_<name>_…"). Never rename a projection: a
	// new name re-consumes all.
	Name() string
	// Stream is the event stream the projection reads.
	Stream() string
	// Migrations create and evolve the read model's tables.
	Migrations() []string
	// Apply folds one event into the read model inside tx. It must be
	// deterministic and must not fail for events it does not care about.
	Apply(ctx context.Context, tx *sql.Tx, env events.Envelope) error
	// Reset empties the read model before a rebuild.
	Reset(ctx context.Context, tx *sql.Tx) error
}

// Selective is implemented by a Handler or Target that cares about only
// some event types: the runner does not decode the others, and only moves
// the position past them. No types means every type.
type Selective interface {
	EventTypes() []string
}

// Compactor is a Target that can make its read model compact once a
// rebuild has replayed the stream, such as a search index merging the many
// segments a replay leaves into one. Rebuild calls Compact before it
// reports the rebuild done.
type Compactor interface {
	Compact(ctx context.Context) error
}

// RunnerConfig configures a Runner: Conn, and either DB and Handler for a
// SQL read model or Target for any other.
type RunnerConfig struct {
	Conn    *nats.Conn
	DB      *sqlstore.DB
	Handler Handler
	Target  Target
	Logger  *slog.Logger
	// Registerer receives the lag metrics; default prometheus.DefaultRegisterer.
	Registerer prometheus.Registerer
	// MaxBatch bounds how many events one transaction applies, and how many
	// are read ahead of it; default 2048. A projection that keeps up
	// applies small batches of what has just come; one catching up (a
	// rebuild, a restart behind) applies full ones, and larger transactions
	// make it faster.
	MaxBatch int
	// RetryDelay is the pause before retrying a batch that failed; default 1s.
	RetryDelay time.Duration
	// Linger, when set, is how long a batch collects events after its first
	// one (up to MaxBatch): fewer, larger batches for read models where a
	// commit is dear, such as a search index. By default a batch takes only
	// what is already waiting.
	Linger time.Duration
	// ParkAfter is how many times in a row an event may fail to apply
	// before it is parked and skipped; default 5, negative for never. Only
	// read models whose batches can record a parked event (ParkingBatch: the
	// SQL ones) park; reactions and search indexes retry until the event
	// applies, as their failures are mostly another part's outage. An
	// attempt counts only when the read model could begin a batch, so an
	// unreachable database delays the projection but parks nothing.
	ParkAfter int
}

func (c *RunnerConfig) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Registerer == nil {
		c.Registerer = prometheus.DefaultRegisterer
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 2048
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = time.Second
	}
	if c.ParkAfter == 0 {
		c.ParkAfter = 5
	}
}

// Validate reports every missing setting.
func (c *RunnerConfig) Validate() error {
	var errs []error
	if c.Conn == nil {
		errs = append(errs, errors.New("projection: Conn is required"))
	}
	switch {
	case c.Target != nil && (c.Handler != nil || c.DB != nil):
		errs = append(errs, errors.New("projection: set either Target or DB and Handler, not both"))
	case c.Target != nil:
	case c.Handler == nil:
		errs = append(errs, errors.New("projection: Handler or Target is required"))
	case c.DB == nil:
		errs = append(errs, errors.New("projection: DB is required with a Handler"))
	}
	return errors.Join(errs...)
}

// Runner runs one projection.
type Runner struct {
	cfg     RunnerConfig
	target  Target
	js      jetstream.JetStream
	name    string
	metrics metrics
	// wanted, when not nil, are the only event types the target applies.
	wanted map[string]bool

	mu       sync.Mutex
	position uint64
	advanced chan struct{} // closed and replaced whenever position moves
	stop     context.CancelFunc
	done     chan struct{}
	held     chan struct{} // non-nil while a rebuild holds consumption back

	// failedSeq is the event that failed last, failures how many times in
	// a row, failedWith the last error. Only the consuming goroutine (and a
	// reset, while it is paused) writes them, under mu (see setFailures);
	// Rebuild reads them under mu.
	failedSeq  uint64
	failures   int
	failedWith error
	// parkedAt is when the parked gauge was last read from the target.
	parkedAt time.Time
	// rebuilding is held by the one Rebuild that may run at a time.
	rebuilding sync.Mutex
}

// errReseek ends a consumption so that Run starts one again from the
// stored position, which another replica has moved back by a rebuild.
var errReseek = errors.New("the stored position is behind this replica's: consuming again from it")

// NewRunner migrates the read model and returns a runner for it.
func NewRunner(cfg RunnerConfig) (*Runner, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ctx := context.Background()
	target := cfg.Target
	if target == nil {
		t, err := newSQLTarget(ctx, cfg.DB, cfg.Handler)
		if err != nil {
			return nil, err
		}
		target = t
	}
	js, err := jetstream.New(cfg.Conn)
	if err != nil {
		return nil, fmt.Errorf("projection %s: %w", target.Name(), err)
	}
	r := &Runner{
		cfg: cfg, target: target, js: js, name: target.Name(), advanced: make(chan struct{}),
		metrics: newMetrics(cfg.Registerer, target.Name()),
	}
	var sel any = target
	if cfg.Handler != nil {
		sel = cfg.Handler
	}
	if s, ok := sel.(Selective); ok && len(s.EventTypes()) > 0 {
		r.wanted = map[string]bool{}
		for _, t := range s.EventTypes() {
			r.wanted[t] = true
		}
	}
	if r.position, err = target.Position(ctx); err != nil {
		return nil, err
	}
	if c, ok := target.(ParkedCounter); ok {
		n, err := c.ParkedCount(ctx)
		if err != nil {
			return nil, err
		}
		r.metrics.parked.Set(float64(n))
	}
	r.deleteLegacyConsumer(ctx)
	return r, nil
}

// deleteLegacyConsumer removes the durable consumer "proj_<name>" that
// earlier versions kept on the server; the ordered consumers need none.
func (r *Runner) deleteLegacyConsumer(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := r.js.DeleteConsumer(ctx, r.target.Stream(), "proj_"+r.name)
	if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) && !errors.Is(err, jetstream.ErrStreamNotFound) {
		r.cfg.Logger.Warn("cannot delete the projection's old durable consumer", "projection", r.name, "error", err)
	}
}

// Name is the projection's name.
func (r *Runner) Name() string { return r.name }

// Stream is the stream the projection reads.
func (r *Runner) Stream() string { return r.target.Stream() }

// Position is the stream sequence of the last applied event.
func (r *Runner) Position() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.position
}

// WaitFor blocks until the projection has applied the event with stream
// sequence seq (or a later one), or ctx ends.
func (r *Runner) WaitFor(ctx context.Context, seq uint64) error {
	for {
		r.mu.Lock()
		pos, ch := r.position, r.advanced
		r.mu.Unlock()
		if pos >= seq {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("projection %s at %d, waiting for %d: %w", r.name, pos, seq, ctx.Err())
		case <-ch:
		}
	}
}

// Run consumes events until ctx ends. A rebuild restarts consumption inside
// Run; a failure to consume is logged and retried after RetryDelay. Run
// returns nil when ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	for {
		r.mu.Lock()
		if held := r.held; held != nil {
			r.mu.Unlock()
			select {
			case <-ctx.Done():
				return nil
			case <-held:
			}
			continue
		}
		runCtx, cancel := context.WithCancel(ctx)
		r.stop, r.done = cancel, make(chan struct{})
		done := r.done
		r.mu.Unlock()

		err := r.consume(runCtx)
		cancel()
		close(done)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errReseek) {
			r.cfg.Logger.Info("projection consumes again from the stored position", "projection", r.name, "position", r.Position())
			continue
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			r.cfg.Logger.Error("projection consumer failed; retrying", "projection", r.name, "error", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(r.cfg.RetryDelay):
			}
		}
	}
}

// Loop is Run as a service's background loop: it runs until ctx ends and
// logs to log why it stopped, if it stopped on its own.
func (r *Runner) Loop(log *slog.Logger) func(ctx context.Context) {
	return func(ctx context.Context) {
		if err := r.Run(ctx); err != nil && ctx.Err() == nil {
			log.Error("projection stopped", "projection", r.name, "error", err)
		}
	}
}

// pause stops the current consumption, waits until it has stopped, and
// keeps Run from starting again until the returned resume is called; Run
// then consumes from the recorded position.
func (r *Runner) pause() (resume func()) {
	held := make(chan struct{})
	r.mu.Lock()
	stop, done := r.stop, r.done
	r.held = held
	r.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	return func() {
		r.mu.Lock()
		r.held = nil
		r.mu.Unlock()
		close(held)
	}
}

// consume reads events through an ordered consumer that starts after the
// position, and applies them in batches until ctx ends. The ordered
// consumer recreates itself after a gap or a lost server (a cluster
// fail-over), always from the next sequence. Its messages are decoded as
// they arrive, up to MaxBatch deliveries ahead of the batch being applied,
// so that reading and applying overlap; they need no acknowledgement (the
// position stored with the read model decides what is applied, see the
// package comment).
func (r *Runner) consume(ctx context.Context) error {
	c, err := r.js.OrderedConsumer(ctx, r.target.Stream(), jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: r.Position() + 1,
		// Unique per consumption: replicas of a projection must never
		// share a consumer (named prefix_<serial>).
		NamePrefix: "proj_" + r.name + "_" + nuid.Next(),
	})
	if err != nil {
		return fmt.Errorf("projection %s consumer: %w", r.name, err)
	}
	ready := make(chan delivery, r.cfg.MaxBatch) // the read-ahead
	quit := make(chan struct{})
	cc, err := c.Consume(func(m jetstream.Msg) {
		select {
		case ready <- r.decode(m):
		case <-quit:
		}
	})
	if err != nil {
		return fmt.Errorf("projection %s consume: %w", r.name, err)
	}
	defer r.stopConsuming(c, cc, quit)
	for {
		batch, ok := r.collect(ctx, ready)
		if !ok {
			return ctx.Err()
		}
		for len(batch) > 0 {
			done, err := r.applyBatch(ctx, batch)
			if err != nil {
				return err
			}
			batch = batch[done:]
			if len(batch) == 0 {
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(r.cfg.RetryDelay):
			}
		}
	}
}

// stopConsuming stops the consumption, releases a handler waiting to hand
// over a delivery, waits (at most 10 s) until no handler runs, and deletes
// the consumer, which the server would otherwise keep until its inactivity
// threshold (a failure leaves it to expire).
func (r *Runner) stopConsuming(c jetstream.Consumer, cc jetstream.ConsumeContext, quit chan struct{}) {
	cc.Stop()
	close(quit)
	select {
	case <-cc.Closed():
	case <-time.After(10 * time.Second):
	}
	if info := c.CachedInfo(); info != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = r.js.DeleteConsumer(ctx, r.target.Stream(), info.Name)
	}
}

// collect waits for one delivery, then takes whatever else is already
// waiting (or, with Linger, whatever comes within Linger), up to MaxBatch.
// While it waits for the first, it refreshes the parked gauge now and then
// (another replica's rebuild may have emptied the parked events).
func (r *Runner) collect(ctx context.Context, ready <-chan delivery) ([]delivery, bool) {
	var batch []delivery
	idle := time.NewTicker(parkedRefresh)
	defer idle.Stop()
	for len(batch) == 0 {
		select {
		case <-ctx.Done():
			return nil, false
		case <-idle.C:
			r.refreshParked(ctx)
		case d, ok := <-ready:
			if !ok {
				return nil, false
			}
			batch = append(batch, d)
		}
	}
	wait := 500 * time.Microsecond
	if r.cfg.Linger > 0 {
		wait = r.cfg.Linger
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for len(batch) < r.cfg.MaxBatch {
		select {
		case d, ok := <-ready:
			if !ok {
				return batch, true
			}
			batch = append(batch, d)
			if r.cfg.Linger == 0 {
				timer.Reset(wait) // wait only while events keep coming
			}
		case <-timer.C:
			return batch, true
		}
	}
	return batch, true
}

// applyBatch applies the batch's new events in one Batch of the target
// together with the new position and returns how many deliveries are done
// with. When an event fails, the events before it are committed and the
// failing one is logged and left for a retry (or parked, see ParkAfter): it
// holds back only this projection. The error is errReseek or nil.
func (r *Runner) applyBatch(ctx context.Context, batch []delivery) (int, error) {
	tb, err := r.target.Begin(ctx)
	if err != nil {
		r.fail(ctx, 0, "", err)
		return 0, nil
	}
	defer tb.Discard()
	pos, err := r.base(tb)
	if err != nil {
		return 0, err
	}
	applied := 0
	var last events.Envelope
	for i, d := range batch {
		if d.seq <= pos {
			continue // applied already: a redelivery, or another replica's work
		}
		err := d.err
		if err == nil && !d.skip {
			err = r.applyOne(ctx, tb, d.env)
		}
		if err != nil {
			if applied == 0 {
				tb.Discard()
				if i > 0 {
					return i, nil // only old events came before it
				}
				return r.failed(ctx, d, err)
			}
			tb.Discard()
			r.failedAt(ctx, d, err)
			return r.applyBatch(ctx, batch[:i])
		}
		pos, applied = d.seq, applied+1
		if !d.skip {
			last = d.env
		}
	}
	if applied == 0 {
		// Applied already, by this replica or another: the lag is still news.
		r.metrics.observe(pos, batch[len(batch)-1].pending, time.Time{}, 0)
		return len(batch), nil
	}
	if err := tb.Commit(ctx, pos); err != nil {
		r.fail(ctx, pos, "", err)
		return 0, nil
	}
	// The metrics first: whoever waits for the position sees them current.
	r.metrics.observe(pos, batch[len(batch)-1].pending, last.OccurredAt, applied)
	r.setPosition(pos)
	if r.failedSeq != 0 && r.failedSeq <= pos {
		r.setFailures(0, 0, nil) // the event that failed has applied
	}
	return len(batch), nil
}

// base is the position a batch builds on: the runner's own, or, for a read
// model that replicas share, the one stored with it. A stored position
// ahead of the runner's means another replica applied those events; one
// behind means the read model was rebuilt, and consumption must restart
// from it (errReseek).
func (r *Runner) base(tb Batch) (uint64, error) {
	pos := r.Position()
	shared, ok := tb.(SharedBatch)
	if !ok {
		return pos, nil
	}
	stored := shared.Stored()
	if stored != pos {
		// Another replica applied events, or rebuilt the read model (and
		// emptied its parked events): the gauge follows, now and then.
		r.refreshParked(context.Background())
	}
	switch {
	case stored < pos:
		r.setPosition(stored)
		return 0, errReseek
	case stored > pos:
		r.setPosition(stored)
		return stored, nil
	}
	return pos, nil
}

// refreshParked sets the parked gauge from the target's count, at most
// every parkedRefresh.
func (r *Runner) refreshParked(ctx context.Context) {
	c, ok := r.target.(ParkedCounter)
	if !ok || time.Since(r.parkedAt) < parkedRefresh {
		return
	}
	r.parkedAt = time.Now()
	if n, err := c.ParkedCount(ctx); err == nil {
		r.metrics.parked.Set(float64(n))
	}
}

// parkedRefresh bounds how often a replica re-reads the parked count.
const parkedRefresh = 5 * time.Second

// failed counts a failure of the first new event of a batch and parks the
// event once it has failed ParkAfter times in a row.
func (r *Runner) failed(ctx context.Context, d delivery, cause error) (int, error) {
	r.failedAt(ctx, d, cause)
	if r.cfg.ParkAfter < 0 || r.failures < r.cfg.ParkAfter || ctx.Err() != nil {
		return 0, nil
	}
	return r.park(ctx, d, cause)
}

// failedAt logs and counts a failed attempt to apply the event; an attempt
// cut short by a stop or a pause does not count.
func (r *Runner) failedAt(ctx context.Context, d delivery, cause error) {
	r.fail(ctx, d.seq, d.env.Type, cause)
	if ctx.Err() != nil {
		return
	}
	n := r.failures
	if d.seq != r.failedSeq {
		n = 0
	}
	r.setFailures(d.seq, n+1, cause)
}

// setFailures records the event that failed last and how many times in a
// row (0 when none fails).
func (r *Runner) setFailures(seq uint64, n int, cause error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failedSeq, r.failures, r.failedWith = seq, n, cause
}

// failing returns the event that failed last, how many times in a row, and
// the last error.
func (r *Runner) failing() (seq uint64, n int, cause error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failedSeq, r.failures, r.failedWith
}

// park records the event as parked, moves the position past it and raises
// the alert.
func (r *Runner) park(ctx context.Context, d delivery, cause error) (int, error) {
	tb, err := r.target.Begin(ctx)
	if err != nil {
		r.fail(ctx, d.seq, d.env.Type, err)
		return 0, nil
	}
	defer tb.Discard()
	pos, err := r.base(tb)
	if err != nil || d.seq <= pos {
		return 0, err // another replica got past it: the batch starts again
	}
	p, ok := tb.(ParkingBatch)
	if !ok {
		return 0, nil // this read model retries until the event applies
	}
	ev := Parked{Sequence: d.seq, Subject: d.subject, EventID: d.env.ID, EventType: d.env.Type, Cause: cause.Error()}
	if err := p.Park(ctx, ev); err != nil {
		r.fail(ctx, d.seq, d.env.Type, err)
		return 0, nil
	}
	if err := tb.Commit(ctx, d.seq); err != nil {
		r.fail(ctx, d.seq, d.env.Type, err)
		return 0, nil
	}
	r.setPosition(d.seq)
	r.setFailures(0, 0, nil)
	r.metrics.parked.Inc()
	r.cfg.Logger.ErrorContext(ctx, "ALERT: projection parked an event it cannot apply; its read model lacks the event until the cause is fixed and the projection rebuilt",
		"alert", "projection_event_parked", "projection", r.name, "sequence", d.seq, "subject", d.subject,
		"event_id", d.env.ID, "event_type", d.env.Type, "attempts", r.cfg.ParkAfter, "error", cause)
	return 1, nil
}

func (r *Runner) applyOne(ctx context.Context, tb Batch, env events.Envelope) error {
	if env.TraceParent != "" {
		h := nats.Header{}
		h.Set(events.HeaderTraceParent, env.TraceParent)
		if env.TraceState != "" {
			h.Set(events.HeaderTraceState, env.TraceState)
		}
		ctx = telemetry.Extract(ctx, h)
	}
	ctx, span := otel.Tracer("helpdesk/projection").Start(ctx, "projection "+r.name+" "+env.Type,
		trace.WithSpanKind(trace.SpanKindConsumer))
	defer span.End()
	return tb.Apply(ctx, env)
}

func (r *Runner) fail(ctx context.Context, seq uint64, typ string, err error) {
	if ctx.Err() != nil {
		return
	}
	r.metrics.failures.Inc()
	r.cfg.Logger.ErrorContext(ctx, "projection cannot apply event; retrying", "projection", r.name,
		"sequence", seq, "event_type", typ, "error", err)
}

// setPosition records the position (forward, or back after a rebuild) and
// wakes the waiters.
func (r *Runner) setPosition(pos uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.position = pos
	close(r.advanced)
	r.advanced = make(chan struct{})
	r.metrics.position.Set(float64(pos))
}

// delivery is a decoded event message.
type delivery struct {
	seq     uint64
	subject string
	pending uint64
	env     events.Envelope
	err     error
	skip    bool // an event type the target does not want: not decoded
}

// decode turns a message into a delivery. A decoding error travels with
// the delivery and stops the projection at that event.
func (r *Runner) decode(msg jetstream.Msg) delivery {
	d := delivery{subject: msg.Subject()}
	meta, err := msg.Metadata()
	if err != nil {
		d.err = fmt.Errorf("metadata: %w", err)
		return d
	}
	d.seq, d.pending = meta.Sequence.Stream, meta.NumPending
	if r.wanted != nil && !r.wanted[msg.Headers().Get(events.HeaderType)] {
		d.skip = true
		return d
	}
	d.env, d.err = eventstore.DecodeMsg(msg.Subject(), msg.Headers(), msg.Data(), meta.Sequence.Stream)
	return d
}
