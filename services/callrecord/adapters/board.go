package adapters

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/rpc"
	"helpdesk/services/callrecord/domain/acd"
)

// maxBatch bounds the operations run before their events are stored.
const maxBatch = 128

// Board is the hotline board of this process: the acd.Board in memory,
// its events in the event store. One goroutine (Run) applies operations
// one after the other, which is what keeps an agent from getting two
// calls. The operations that queued up meanwhile run together and their
// events are stored as a chain (eventstore.Store.AppendChain): sent at
// once, the first expecting the board's stored version and each later
// one the event before it, so they land in order with nothing between
// them or not at all. An operation that records several events (rare: an
// end reported without its answer) is stored with one atomic Append. A
// JetStream atomic batch on a single-replica file stream stages its
// messages in files of its own and costs about 2.5 ms, against some 40 µs
// for a message, which is why a routing decision is one event (see
// contracts/callapi) and why the chain is not one atomic batch.
//
// Nobody hears of an operation before its events, and those of the
// operations before it, are stored. When an append to another aggregate of
// the stream (a rating, a CDR) came between two events of a chain, the
// board itself was not changed by anyone else: the events not stored yet
// are sent again as a new chain, until all are stored. When another
// process changed the board, it is rebuilt from the store and the
// operations whose events were not stored run again.
type Board struct {
	log     eventstore.Store
	ref     subjects.Aggregate
	clock   func() time.Time
	ops     chan operation
	stopped chan struct{}

	board   *acd.Board
	version atomic.Uint64 // the stored sequence of the board's last event
	// stale tells that board holds events that were not stored and could
	// not be rebuilt yet: the next batch rebuilds it first.
	stale bool
}

// operation is one request to the board: run it, store what it recorded,
// answer on done.
type operation struct {
	ctx  context.Context
	run  func(b *acd.Board, now time.Time) (any, error)
	done chan outcome
}

type outcome struct {
	value any
	err   error
}

// OpenBoard loads the board from the event store. Run it with Run.
func OpenBoard(ctx context.Context, store eventstore.Store, clock func() time.Time) (*Board, error) {
	b := &Board{
		log: store, ref: subjects.Hotline(callapi.BoardID), clock: clock,
		ops: make(chan operation, maxBatch), stopped: make(chan struct{}),
	}
	if err := b.reload(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

// Version is the stream sequence of the board's last stored event.
func (b *Board) Version() uint64 { return b.version.Load() }

// reload rebuilds the board from its stored events; until it succeeds
// the board is stale.
func (b *Board) reload(ctx context.Context) error {
	b.stale = true
	evs, err := b.log.Load(ctx, b.ref)
	if err != nil {
		return fmt.Errorf("load hotline board: %w", err)
	}
	board, err := acd.FromEvents(evs)
	if err != nil {
		return err
	}
	b.board, b.stale = board, false
	var v uint64
	if len(evs) > 0 {
		v = evs[len(evs)-1].AggregateVersion
	}
	b.version.Store(v)
	return nil
}

// Run applies operations until ctx ends.
func (b *Board) Run(ctx context.Context) {
	defer close(b.stopped)
	for {
		var first operation
		select {
		case <-ctx.Done():
			return
		case first = <-b.ops:
		}
		batch := []operation{first}
	gather:
		for len(batch) < maxBatch {
			select {
			case op := <-b.ops:
				batch = append(batch, op)
			default:
				break gather
			}
		}
		b.runBatch(ctx, batch)
	}
}

// Do runs an operation on the board and returns its result once the
// events it recorded are stored. run must not keep the board.
func (b *Board) Do(ctx context.Context, run func(board *acd.Board, now time.Time) (any, error)) (any, error) {
	op := operation{ctx: ctx, run: run, done: make(chan outcome, 1)}
	select {
	case b.ops <- op:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-b.stopped:
		return nil, problem.New(problem.CodeUnavailable, "the hotline board is stopping")
	}
	select {
	case out := <-op.done:
		return out.value, out.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-b.stopped:
		return nil, problem.New(problem.CodeUnavailable, "the hotline board stopped")
	}
}

// runBatch runs the operations and stores their events; it answers each
// operation once its events and those before them are stored. The rest
// run again on the board rebuilt from the store, up to a few times.
func (b *Board) runBatch(ctx context.Context, pending []operation) {
	const conflicts = 5
	var err error
	if b.stale {
		err = b.reload(ctx)
	}
	for tries := 0; err == nil && len(pending) > 0; {
		var done int
		done, err = b.tryBatch(ctx, pending)
		pending = pending[done:]
		switch {
		case err == nil:
			return
		case errors.Is(err, eventstore.ErrConflict) && tries < conflicts:
			tries++
			err = b.reload(ctx)
		default:
			err = errors.Join(err, b.reload(ctx)) // the board holds events that were not stored
		}
	}
	if errors.Is(err, eventstore.ErrConflict) {
		err = problem.New(problem.CodeUnavailable, "the hotline board is busy with other writers; try again")
	}
	for _, op := range pending {
		op.done <- outcome{err: fmt.Errorf("hotline board: %w", err)}
	}
}

// tryBatch runs the operations on the board, stores their events and
// answers the operations whose events (and all events before them) were
// stored, which are the first done ones. A failure to store the rest is
// the error.
func (b *Board) tryBatch(ctx context.Context, ops []operation) (done int, err error) {
	outs := make([]outcome, len(ops))
	ends := make([]int, len(ops)) // the events of ops[:i+1]
	var envs []events.Envelope
	for i, op := range ops {
		if err := op.ctx.Err(); err != nil {
			outs[i] = outcome{err: err}
		} else {
			v, runErr := op.run(b.board, b.clock())
			outs[i] = outcome{value: v, err: runErr}
			cs := b.board.Changes()
			for _, c := range cs {
				env, err := events.New(callapi.Source, b.ref.Type, b.ref.ID, c.Event, c.At, rpc.Metadata(op.ctx))
				if err != nil {
					return 0, err
				}
				envs = append(envs, env)
			}
		}
		ends[i] = len(envs)
	}
	stored := 0
	for {
		var more int
		more, err = b.store(ctx, envs, ends, stored)
		stored += more
		if !errors.Is(err, eventstore.ErrInterleaved) || more == 0 || stored == len(envs) {
			break // an interleave stores at least one event: the loop ends
		}
	}
	for done < len(ops) && ends[done] <= stored {
		ops[done].done <- outs[done]
		done++
	}
	return done, err
}

// store appends the events of a batch from envs[from:] on, where ends[i]
// is the number of events of its first i+1 operations: runs of one-event
// operations as a chain, an operation with several events atomically. It
// returns how many events, from envs[from], were stored.
func (b *Board) store(ctx context.Context, envs []events.Envelope, ends []int, from int) (int, error) {
	stored, chainFrom := from, from
	flush := func(to int) error {
		if to == chainFrom {
			return nil
		}
		res, err := b.log.AppendChain(ctx, b.ref, envs[chainFrom:to], eventstore.AppendOptions{ExpectedVersion: b.Version()})
		stored = chainFrom + res.Stored
		if res.Stored > 0 {
			b.version.Store(res.Version)
		}
		chainFrom = to
		return err
	}
	start := 0
	for _, end := range ends {
		if end-start > 1 && start >= from {
			if err := flush(start); err != nil {
				return stored - from, err
			}
			res, err := b.log.Append(ctx, b.ref, envs[start:end], eventstore.AppendOptions{ExpectedVersion: b.Version()})
			if err != nil {
				return stored - from, err
			}
			b.version.Store(res.Version)
			stored, chainFrom = end, end
		}
		start = end
	}
	err := flush(len(envs))
	return stored - from, err
}
