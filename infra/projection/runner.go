// Package projection builds read models from event streams. A Runner feeds
// one Handler the events of one stream, in order, through a durable
// JetStream consumer consumed with watermill, and records the position (the
// stream sequence of the last applied event) in the read model's database in
// the same transaction as the change (a Target outside SQL stores it
// atomically in its own way). The stored position, not the
// consumer's ack state, is the truth: on start the consumer is (re)created
// to deliver from the position onward, so a crash between commit and ack, or
// between ack and commit, neither loses nor repeats an event.
package projection

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmjs "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/jetstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
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
	// Name is the projection's stable name; its durable consumer is
	// "proj_<name>". Never rename a projection: a new name re-consumes all.
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
	// MaxBatch bounds how many events one transaction applies; default 256.
	MaxBatch int
	// RetryDelay is the pause before retrying a batch that failed; default 1s.
	RetryDelay time.Duration
	// Linger, when set, is how long a batch collects events after its first
	// one (up to MaxBatch): fewer, larger batches for read models where a
	// commit is dear, such as a search index. By default a batch takes only
	// what is already waiting.
	Linger time.Duration
}

func (c *RunnerConfig) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Registerer == nil {
		c.Registerer = prometheus.DefaultRegisterer
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 256
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = time.Second
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
	// deliveries holds decoded messages between watermill and the runner.
	deliveries sync.Map
	// wanted, when not nil, are the only event types the target applies.
	wanted map[string]bool

	mu       sync.Mutex
	position uint64
	advanced chan struct{} // closed and replaced whenever position moves
	stop     context.CancelFunc
	done     chan struct{}
	held     chan struct{} // non-nil while a rebuild holds consumption back
}

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
	return r, nil
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
// Run; Run returns only when ctx ends or the consumer cannot be set up.
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

func (r *Runner) consumerName() string { return "proj_" + r.name }

// ensureConsumer makes the durable consumer deliver from position+1: it keeps
// an existing consumer whose ack floor equals the position and recreates it
// otherwise.
func (r *Runner) ensureConsumer(ctx context.Context, position uint64) error {
	stream := r.target.Stream()
	if c, err := r.js.Consumer(ctx, stream, r.consumerName()); err == nil {
		info, err := c.Info(ctx)
		if err == nil && info.AckFloor.Stream == position && info.Delivered.Stream == position {
			return nil
		}
		if err := r.js.DeleteConsumer(ctx, stream, r.consumerName()); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			return fmt.Errorf("reset consumer %s: %w", r.consumerName(), err)
		}
	} else if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("consumer %s: %w", r.consumerName(), err)
	}
	cfg := jetstream.ConsumerConfig{
		Durable:       r.consumerName(),
		Description:   "Helpdesk projection " + r.name,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxAckPending: 1024,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
	if position > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, position+1
	}
	if _, err := r.js.CreateOrUpdateConsumer(ctx, stream, cfg); err != nil {
		return fmt.Errorf("create consumer %s: %w", r.consumerName(), err)
	}
	return nil
}

// consume reads events through a watermill subscriber bound to the durable
// consumer and applies them in batches until ctx ends.
func (r *Runner) consume(ctx context.Context) error {
	if err := r.ensureConsumer(ctx, r.Position()); err != nil {
		return err
	}
	var consumer *stoppableConsumer
	sub, err := wmjs.NewSubscriber(wmjs.SubscriberConfig{
		Conn:   r.cfg.Conn,
		Logger: watermill.NopLogger{},
		ResourceInitializer: func(ctx context.Context, js jetstream.JetStream, stream string) (jetstream.Consumer, func(context.Context, watermill.LoggerAdapter), error) {
			c, err := js.Consumer(ctx, stream, r.consumerName())
			if err != nil {
				return nil, nil, err
			}
			consumer = &stoppableConsumer{Consumer: c}
			return consumer, nil, nil
		},
		AckAsync:    true,
		Unmarshaler: unmarshaler{deliveries: &r.deliveries, wanted: r.wanted},
	})
	if err != nil {
		return fmt.Errorf("projection %s subscriber: %w", r.name, err)
	}
	// The subscriber is not closed: Close would drain the shared connection.
	// Cancelling subCtx ends the subscription, after stopConsuming.
	subCtx, cancelSub := context.WithCancel(context.WithoutCancel(ctx))
	msgs, err := sub.Subscribe(subCtx, r.target.Stream())
	if err != nil {
		cancelSub()
		return fmt.Errorf("projection %s subscribe: %w", r.name, err)
	}
	quit := make(chan struct{})
	ready := r.prefetch(msgs, quit)
	defer func() {
		close(quit)
		r.stopConsuming(consumer, msgs)
		cancelSub()
	}()
	for {
		batch, ok := r.collect(ctx, ready)
		if !ok {
			return ctx.Err()
		}
		for len(batch) > 0 {
			done := r.applyBatch(ctx, batch)
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

// stopConsuming ends delivery before the subscription's context ends.
// watermill-nats closes its output channel as soon as that context ends,
// while a message may still be on its way to it, and a send on the closed
// channel panics; so the JetStream consumption is stopped first, and the
// messages still coming are taken (and nacked: the position decides what is
// applied) until it has stopped.
func (r *Runner) stopConsuming(c *stoppableConsumer, msgs <-chan *message.Message) {
	go func() {
		for m := range msgs {
			r.deliveries.Delete(m.UUID)
			m.Nack()
		}
	}()
	if c != nil {
		c.stop(10 * time.Second)
	}
}

// stoppableConsumer is a JetStream consumer whose consumption the runner
// can stop and wait for.
type stoppableConsumer struct {
	jetstream.Consumer
	mu sync.Mutex
	cc jetstream.ConsumeContext
}

// Consume starts consuming and keeps the consume context.
func (c *stoppableConsumer) Consume(h jetstream.MessageHandler, opts ...jetstream.PullConsumeOpt) (jetstream.ConsumeContext, error) {
	cc, err := c.Consumer.Consume(h, opts...)
	c.mu.Lock()
	c.cc = cc
	c.mu.Unlock()
	return cc, err
}

// stop stops consuming and waits, at most timeout, until no handler runs.
func (c *stoppableConsumer) stop(timeout time.Duration) {
	c.mu.Lock()
	cc := c.cc
	c.mu.Unlock()
	if cc == nil {
		return
	}
	cc.Stop()
	select {
	case <-cc.Closed():
	case <-time.After(timeout):
	}
}

// prefetch takes messages from watermill into a buffer of MaxBatch decoded
// deliveries, so that events keep arriving while a batch is applied. Messages
// are acked at once: the position stored with the read model decides what
// is applied (see the package comment). It stops when msgs closes or quit
// does; stopConsuming takes what watermill still delivers.
func (r *Runner) prefetch(msgs <-chan *message.Message, quit <-chan struct{}) <-chan delivery {
	ready := make(chan delivery, r.cfg.MaxBatch)
	go func() {
		defer close(ready)
		for {
			select {
			case <-quit:
				return
			case m, ok := <-msgs:
				if !ok {
					return
				}
				m.Ack()
				v, ok := r.deliveries.LoadAndDelete(m.UUID)
				if !ok {
					continue
				}
				select {
				case ready <- v.(delivery):
				case <-quit:
					return
				}
			}
		}
	}()
	return ready
}

// collect waits for one delivery, then takes whatever else is already
// waiting (or, with Linger, whatever comes within Linger), up to MaxBatch.
func (r *Runner) collect(ctx context.Context, ready <-chan delivery) ([]delivery, bool) {
	var batch []delivery
	select {
	case <-ctx.Done():
		return nil, false
	case d, ok := <-ready:
		if !ok {
			return nil, false
		}
		batch = append(batch, d)
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
// failing one is logged and left for a retry: it holds back only this
// projection.
func (r *Runner) applyBatch(ctx context.Context, batch []delivery) int {
	tb, err := r.target.Begin(ctx)
	if err != nil {
		r.fail(ctx, 0, "", err)
		return 0
	}
	defer tb.Discard()
	pos, applied := r.Position(), 0
	var last events.Envelope
	for i, d := range batch {
		err := d.err
		if err == nil && d.seq > pos && !d.skip {
			err = r.applyOne(ctx, tb, d.env)
		}
		if err != nil {
			r.fail(ctx, d.seq, d.env.Type, err)
			if i == 0 {
				return 0
			}
			tb.Discard()
			return r.applyBatch(ctx, batch[:i])
		}
		if d.seq > pos {
			pos, applied = d.seq, applied+1
			if !d.skip {
				last = d.env
			}
		}
	}
	if applied == 0 {
		return len(batch) // all were redeliveries
	}
	if err := tb.Commit(ctx, pos); err != nil {
		r.fail(ctx, pos, "", err)
		return 0
	}
	r.advance(pos)
	r.metrics.observe(pos, batch[len(batch)-1].pending, last.OccurredAt, applied)
	return len(batch)
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

func (r *Runner) advance(pos uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.position = pos
	close(r.advanced)
	r.advanced = make(chan struct{})
}

// delivery is a decoded event message, kept by the unmarshaler under the
// watermill message's UUID until the runner takes it.
type delivery struct {
	seq     uint64
	pending uint64
	env     events.Envelope
	err     error
	skip    bool // an event type the target does not want: not decoded
}

// unmarshaler decodes event messages for watermill. It never fails, since
// the watermill subscriber cannot handle a failed unmarshal; a decoding error
// travels with the delivery and stops the projection at that event.
type unmarshaler struct {
	deliveries *sync.Map
	wanted     map[string]bool
}

func (u unmarshaler) Unmarshal(msg jetstream.Msg) (*message.Message, error) {
	d := delivery{}
	meta, err := msg.Metadata()
	if err != nil {
		d.err = fmt.Errorf("metadata: %w", err)
	} else {
		d.seq, d.pending = meta.Sequence.Stream, meta.NumPending
		if u.wanted != nil && !u.wanted[msg.Headers().Get(events.HeaderType)] {
			d.skip = true
		} else {
			d.env, d.err = eventstore.DecodeMsg(msg.Subject(), msg.Headers(), msg.Data(), meta.Sequence.Stream)
		}
	}
	m := message.NewMessage(watermill.NewUUID(), msg.Data())
	u.deliveries.Store(m.UUID, d)
	return m, nil
}
