// Package auditlog keeps Helpdesk's audit evidence: it verifies the hash
// chains of the event streams (Verify, behind `helpdesk audit verify`) and
// records the gateway's access trail in the AUDIT stream (AccessTrail).
package auditlog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/events"
	"helpdesk/infra/eventstore"
)

// fetchBatch is how many messages Verify fetches at a time.
const fetchBatch = 512

// VerifyOptions says what Verify walks.
type VerifyOptions struct {
	// Streams to walk, in this order; default every event stream
	// (EVENTS_*), in name order.
	Streams []string
	// Progress, when set, is called about every ProgressEvery while a
	// stream is walked, and when its walk is complete.
	Progress      func(Progress)
	ProgressEvery time.Duration
}

// Progress is how far Verify got in a stream.
type Progress struct {
	Stream string
	// Done is the events read so far in the stream, Total its events when
	// the walk began.
	Done, Total uint64
}

// Problem is what is wrong with a broken link.
type Problem string

// The problems Verify finds.
const (
	// ProblemEdited: the event's content does not give its hash: something
	// in it was changed after it was stored.
	ProblemEdited Problem = "content hash mismatch: the event was edited"
	// ProblemMissing: the event's prev hash is not the hash of the event
	// before it in its aggregate: an event before it was removed, or the
	// events were reordered.
	ProblemMissing Problem = "prev hash mismatch: an event before it was removed or reordered"
	// ProblemUnchained: an event without a hash follows chained events of
	// its aggregate: it was inserted, or written around the event store.
	ProblemUnchained Problem = "unchained event after chained ones: inserted outside the event store"
	// ProblemUnreadable: the message is not an event.
	ProblemUnreadable Problem = "not a readable event"
	// ProblemGap: stream sequences before the message are missing. Event
	// streams deny deletes and purges and have no limits, so their
	// sequences have no gaps unless messages were removed, e.g. by a
	// stream update that set limits (which NATS allows).
	ProblemGap Problem = "stream sequence gap: messages before it were removed from the stream"
	// ProblemMoved: the event names another aggregate than its subject:
	// it was moved to another aggregate's subject outside the event store.
	ProblemMoved Problem = "aggregate headers do not match the subject: the event was moved"
)

// Break is the first broken link Verify found.
type Break struct {
	Stream   string
	Sequence uint64
	// Subject is the aggregate's subject; EventID the event's id.
	Subject string
	EventID string
	Problem Problem
	// Detail says what was expected and found.
	Detail string
}

func (b *Break) String() string {
	return fmt.Sprintf("%s sequence %d, subject %s, event %s: %s (%s)", b.Stream, b.Sequence, b.Subject, b.EventID, b.Problem, b.Detail)
}

// Report is what Verify found.
type Report struct {
	// Streams walked, in order.
	Streams []string
	// Events read; Subjects (aggregates) seen.
	Events, Subjects int
	// Chained events carry a hash that checked out; Legacy events were
	// stored before the chain existed and carry none.
	Chained, Legacy int
	Elapsed         time.Duration
	// Broken is the first broken link, nil when every chain is intact. The
	// walk stops there.
	Broken *Break
}

// Verify walks the event streams in sequence order, recomputes every
// event's hash and checks that it links to the event before it in its
// aggregate. It reports the first broken link in Report.Broken; the error
// is for failures to read. Each stream is read as it stood when its walk
// began.
//
// A chain shows edits, removals and reorderings of events that are
// followed by a later event of the same aggregate. It cannot show the
// removal of an aggregate's last events, nor an edit whose author also
// recomputed the hashes from the edited event to the aggregate's last one
// (the hash has no key, and chains are per aggregate, so that is one
// aggregate's tail, not the whole log): anchor the heads elsewhere for that.
func Verify(ctx context.Context, js jetstream.JetStream, opts VerifyOptions) (Report, error) {
	start := time.Now()
	streams := opts.Streams
	if len(streams) == 0 {
		var err error
		if streams, err = EventStreams(ctx, js); err != nil {
			return Report{}, err
		}
	}
	rep := Report{Streams: streams}
	for _, name := range streams {
		// An aggregate's subject is in one stream only: the heads of one
		// stream are all Verify keeps, about 150 bytes per aggregate.
		heads := map[string]string{} // subject → hash of its last event, "" when legacy
		err := verifyStream(ctx, js, name, heads, &rep, opts)
		rep.Subjects += len(heads)
		if err != nil {
			return rep, err
		}
		if rep.Broken != nil {
			break
		}
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// EventStreams names every event stream (EVENTS_*), sorted.
func EventStreams(ctx context.Context, js jetstream.JetStream) ([]string, error) {
	var out []string
	names := js.StreamNames(ctx)
	for n := range names.Name() {
		if strings.HasPrefix(n, "EVENTS_") {
			out = append(out, n)
		}
	}
	if err := names.Err(); err != nil {
		return nil, fmt.Errorf("list streams: %w", err)
	}
	slices.Sort(out)
	return out, nil
}

func verifyStream(ctx context.Context, js jetstream.JetStream, name string, heads map[string]string, rep *Report, opts VerifyOptions) error {
	st, err := js.Stream(ctx, name)
	if err != nil {
		return fmt.Errorf("verify %s: %w", name, err)
	}
	state := st.CachedInfo().State
	if state.Msgs == 0 {
		return nil
	}
	cons, err := js.OrderedConsumer(ctx, name, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return fmt.Errorf("verify %s: %w", name, err)
	}
	var done uint64
	next := uint64(1) // the sequence the next message should have
	lastReport := time.Now()
	report := func(force bool) {
		if opts.Progress != nil && (force || time.Since(lastReport) >= opts.ProgressEvery) {
			opts.Progress(Progress{Stream: name, Done: done, Total: state.Msgs})
			lastReport = time.Now()
		}
	}
	for empty := 0; empty < 3; {
		batch, err := cons.Fetch(fetchBatch, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return fmt.Errorf("verify %s: %w", name, err)
		}
		empty++
		for m := range batch.Messages() {
			empty = 0
			meta, err := m.Metadata()
			if err != nil {
				return fmt.Errorf("verify %s: %w", name, err)
			}
			seq := meta.Sequence.Stream
			done++
			rep.Events++
			if seq != next {
				rep.Broken = &Break{Stream: name, Sequence: seq, Subject: m.Subject(), EventID: m.Headers().Get(events.HeaderID),
					Problem: ProblemGap, Detail: fmt.Sprintf("sequences %d to %d are missing", next, seq-1)}
				return nil
			}
			next = seq + 1
			if b := check(name, seq, m.Subject(), m.Headers(), m.Data(), heads, rep); b != nil {
				rep.Broken = b
				return nil
			}
			if seq >= state.LastSeq {
				report(true)
				return nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return fmt.Errorf("verify %s: %w", name, err)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("verify %s: %w", name, err)
		}
		report(false)
	}
	return fmt.Errorf("verify %s: the stream ended at %d events, before its last sequence %d", name, done, state.LastSeq)
}

// check verifies one stored message against the head of its subject,
// which it then advances; it returns the broken link, if this is one.
func check(stream string, seq uint64, subject string, hdr nats.Header, data []byte, heads map[string]string, rep *Report) *Break {
	broken := func(id string, p Problem, detail string, args ...any) *Break {
		return &Break{Stream: stream, Sequence: seq, Subject: subject, EventID: id, Problem: p, Detail: fmt.Sprintf(detail, args...)}
	}
	e, err := eventstore.DecodeMsg(subject, hdr, data, seq)
	if err != nil {
		return broken("", ProblemUnreadable, "%v", err)
	}
	if !strings.HasSuffix(subject, "."+e.AggregateType+"."+e.AggregateID) {
		return broken(e.ID, ProblemMoved, "the event belongs to %s %s", e.AggregateType, e.AggregateID)
	}
	head, seen := heads[subject]
	if e.Hash == "" {
		if head != "" {
			return broken(e.ID, ProblemUnchained, "the aggregate's last event has hash %s", head)
		}
		heads[subject] = ""
		rep.Legacy++
		return nil
	}
	if got := e.ChainHash(e.PrevHash); got != e.Hash {
		return broken(e.ID, ProblemEdited, "stored hash %s, content hashes to %s", e.Hash, got)
	}
	if e.PrevHash != head {
		want := head
		switch {
		case !seen:
			want = "none: this is the aggregate's first stored event"
		case want == "":
			want = "none: the event before it predates the chain"
		}
		return broken(e.ID, ProblemMissing, "prev hash %s, the event before it in the aggregate has %s", orNone(e.PrevHash), want)
	}
	heads[subject] = e.Hash
	rep.Chained++
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
