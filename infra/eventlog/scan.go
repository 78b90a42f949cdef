package eventlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/events"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
)

// StoreClockSkew is how much earlier than From a time-bounded scan starts,
// by the server's store time: an event's occurred_at is stamped by its
// service just before the append, so its store time is later, unless the
// clocks of the service and the NATS server disagree by more than this.
const StoreClockSkew = 5 * time.Minute

// fetchBatch is how many messages a scan fetches from a stream at a time.
const fetchBatch = 256

// Event is one stored event with where it is stored. Its envelope's data has
// its secrets redacted (see Redact).
type Event struct {
	// Service owns the stream the event is in.
	Service string
	// StreamSeq is the event's sequence in its stream.
	StreamSeq uint64
	// Envelope is the event.
	Envelope events.Envelope
}

// Stats count the work of a scan.
type Stats struct {
	// Matched is how many events the scan returned.
	Matched int
	// Scanned is how many events it read, matching or not.
	Scanned int
	// Elapsed is the time since the scan was opened.
	Elapsed time.Duration
}

// Reader reads the event streams through JetStream.
type Reader struct {
	js jetstream.JetStream
}

// NewReader returns a reader on js.
func NewReader(js jetstream.JetStream) *Reader {
	if js == nil {
		panic("eventlog.NewReader: nil JetStream")
	}
	return &Reader{js: js}
}

// Scan is one pass over the streams. It is not safe for concurrent use;
// Close it when done.
type Scan struct {
	filter Filter
	// from holds the positions the scan started at, kept for the streams
	// it has nothing to read from.
	from    Cursor
	sources []*source
	started time.Time
	stats   Stats
	// progress, when set, is called at most every progressEvery while
	// events are read.
	progress      func(Stats)
	progressEvery time.Duration
	lastProgress  time.Time
	// pauseAt, when set, is when Next stops reading with ErrPaused.
	pauseAt time.Time
	// decided counts events returned or skipped: a scan pauses only after
	// some, so that every resumed scan moves on.
	decided int
}

// Open starts a scan of the events that match f, after the positions in
// from. It reads each stream as it stood when Open was called: events
// appended later are left for a later scan. A stream that does not exist
// yet has no events.
//
// Events come in the order of their streams, and the streams are merged by
// occurred_at (ties in the order of Services), so events of one service keep
// their stored order even when their clocks went backwards.
func (r *Reader) Open(ctx context.Context, f Filter, from Cursor) (*Scan, error) {
	s := &Scan{filter: f, from: from, started: time.Now()}
	for _, svc := range f.services() {
		src, err := r.openSource(ctx, f, svc, from[subjects.Stream(svc)])
		if err != nil {
			s.Close()
			return nil, err
		}
		if src != nil {
			s.sources = append(s.sources, src)
		}
	}
	return s, nil
}

// OnProgress makes the scan call fn with its stats at most once per every
// while it reads, so that a long scan with few matches still reports.
func (s *Scan) OnProgress(every time.Duration, fn func(Stats)) {
	s.progress, s.progressEvery, s.lastProgress = fn, every, time.Now()
}

// ErrPaused is returned by Next when the scan reached the time set with
// PauseAt; Cursor then resumes it where it stopped.
var ErrPaused = errors.New("eventlog: scan paused")

// PauseAt makes Next return ErrPaused instead of reading on after t, so
// that a scan for rare events gives up in time and can be resumed. A scan
// pauses only once it has returned or skipped at least one event.
func (s *Scan) PauseAt(t time.Time) { s.pauseAt = t }

// Next returns the next matching event; ok is false when there are no more.
func (s *Scan) Next(ctx context.Context) (ev Event, ok bool, err error) {
	var best *source
	for _, src := range s.sources {
		head, err := s.head(ctx, src)
		if err != nil {
			return Event{}, false, err
		}
		if head == nil {
			continue
		}
		if best == nil || head.Envelope.OccurredAt.Before(best.head.Envelope.OccurredAt) {
			best = src
		}
	}
	if best == nil {
		return Event{}, false, nil
	}
	ev = *best.head
	best.head, best.done = nil, ev.StreamSeq
	s.stats.Matched++
	s.decided++
	return ev, true, nil
}

// Cursor is the position after the events Next has returned so far.
func (s *Scan) Cursor() Cursor {
	c := Cursor{}
	for stream, seq := range s.from {
		c[stream] = seq
	}
	for _, src := range s.sources {
		if src.done > 0 {
			c[src.stream] = src.done
		}
	}
	return c
}

// Stats returns what the scan has done so far.
func (s *Scan) Stats() Stats {
	st := s.stats
	st.Elapsed = time.Since(s.started)
	return st
}

// Close deletes the scan's consumers.
func (s *Scan) Close() {
	for _, src := range s.sources {
		src.close()
	}
	s.sources = nil
}

// head returns the source's next matching event, reading and skipping
// events that do not match; nil when the source is exhausted.
func (s *Scan) head(ctx context.Context, src *source) (*Event, error) {
	for src.head == nil {
		if s.decided > 0 && !s.pauseAt.IsZero() && time.Now().After(s.pauseAt) {
			return nil, ErrPaused
		}
		ev, ok, err := src.next(ctx)
		if err != nil || !ok {
			return nil, err
		}
		s.stats.Scanned++
		s.report()
		e := ev.Envelope
		if s.filter.matches(e.Type, e.Actor, e.OccurredAt) {
			ev.Envelope.Data = Redact(e.Data)
			src.head = &ev
			continue
		}
		src.done = ev.StreamSeq
		s.decided++
	}
	return src.head, nil
}

func (s *Scan) report() {
	if s.progress == nil || time.Since(s.lastProgress) < s.progressEvery {
		return
	}
	s.lastProgress = time.Now()
	s.progress(s.Stats())
}

// source is one stream being read by an ephemeral consumer.
type source struct {
	service, stream string
	handle          jetstream.Stream
	cons            jetstream.Consumer
	// last is the stream's last sequence when the scan was opened.
	last uint64
	// pending is how many messages the consumer still has for us.
	pending uint64
	buf     []Event
	head    *Event
	done    uint64
}

// openSource starts reading a service's stream after seq (or from the
// filter's From when seq is 0); nil when there is nothing to read.
func (r *Reader) openSource(ctx context.Context, f Filter, svc string, seq uint64) (*source, error) {
	name := subjects.Stream(svc)
	st, err := r.js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open stream %s: %w", name, err)
	}
	last := st.CachedInfo().State.LastSeq
	src := &source{service: svc, stream: name, handle: st, last: last, done: seq}
	if last == 0 || seq >= last {
		return nil, nil
	}
	cfg := jetstream.ConsumerConfig{
		Description:       "helpdesk audit replay",
		AckPolicy:         jetstream.AckNonePolicy,
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		InactiveThreshold: 5 * time.Minute,
		MemoryStorage:     true,
		Replicas:          1,
	}
	if sub := f.subject(svc); sub != "" {
		cfg.FilterSubject = sub
	}
	switch {
	case seq > 0:
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, seq+1
	case !f.From.IsZero():
		start := f.From.Add(-StoreClockSkew)
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	}
	cons, err := st.CreateConsumer(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", name, err)
	}
	src.cons = cons
	info := cons.CachedInfo()
	src.pending = info.NumPending
	if src.pending == 0 {
		src.close()
		return nil, nil
	}
	return src, nil
}

// next returns the source's next event, matching or not.
func (src *source) next(ctx context.Context) (Event, bool, error) {
	for len(src.buf) == 0 {
		if src.pending == 0 {
			return Event{}, false, nil
		}
		if err := src.fetch(ctx); err != nil {
			return Event{}, false, err
		}
	}
	ev := src.buf[0]
	src.buf = src.buf[1:]
	if ev.StreamSeq > src.last {
		// Appended after the scan was opened.
		src.buf, src.pending = nil, 0
		return Event{}, false, nil
	}
	return ev, true, nil
}

// fetch reads the next batch of messages into buf.
func (src *source) fetch(ctx context.Context) error {
	n := min(src.pending, fetchBatch)
	batch, err := src.cons.Fetch(int(n), jetstream.FetchContext(ctx))
	if err != nil {
		return fmt.Errorf("read stream %s: %w", src.stream, err)
	}
	got := 0
	for m := range batch.Messages() {
		got++
		meta, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("read stream %s: %w", src.stream, err)
		}
		env, err := eventstore.DecodeMsg(m.Subject(), m.Headers(), m.Data(), meta.Sequence.Stream)
		if err != nil {
			return fmt.Errorf("read stream %s: %w", src.stream, err)
		}
		src.buf = append(src.buf, Event{Service: src.service, StreamSeq: meta.Sequence.Stream, Envelope: env})
		src.pending = meta.NumPending
	}
	if err := batch.Error(); err != nil {
		return fmt.Errorf("read stream %s: %w", src.stream, err)
	}
	if got == 0 {
		return fmt.Errorf("read stream %s: no message came though %d are pending", src.stream, src.pending)
	}
	return nil
}

func (src *source) close() {
	if src.cons == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = src.handle.DeleteConsumer(ctx, src.cons.CachedInfo().Name)
	src.cons = nil
}
