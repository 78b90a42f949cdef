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

// maxBatch bounds the operations whose events one append stores; a few
// events each stay far below JetStream's limit of 1,000 per atomic batch.
const maxBatch = 100

// Board is the hotline board of this process: the acd.Board in memory,
// its events in the event store. One goroutine (Run) applies operations
// one after the other, which is what keeps an agent from getting two
// calls, and stores the events of all operations that queued up meanwhile
// in one atomic append, expecting the board's last stored sequence: under
// load a routing decision costs a share of one append, not one of its own.
// When another process appended first, the board is rebuilt from the store
// and the operations run again; no caller hears of an operation before its
// events are stored.
type Board struct {
	store   eventstore.Store
	ref     subjects.Aggregate
	clock   func() time.Time
	ops     chan operation
	stopped chan struct{}

	board   *acd.Board
	version atomic.Uint64 // the stored sequence of the board's last event
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
		store: store, ref: subjects.Hotline(callapi.BoardID), clock: clock,
		ops: make(chan operation, maxBatch), stopped: make(chan struct{}),
	}
	if err := b.reload(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

// Version is the stream sequence of the board's last stored event.
func (b *Board) Version() uint64 { return b.version.Load() }

// reload rebuilds the board from its stored events.
func (b *Board) reload(ctx context.Context) error {
	evs, err := b.store.Load(ctx, b.ref)
	if err != nil {
		return fmt.Errorf("load hotline board: %w", err)
	}
	board, err := acd.FromEvents(evs)
	if err != nil {
		return err
	}
	b.board = board
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
	}
}

// runBatch runs the operations, stores their events in one append and
// answers them. On a conflict with another writer it rebuilds the board
// and runs them again.
func (b *Board) runBatch(ctx context.Context, batch []operation) {
	const attempts = 5
	var err error
	for range attempts {
		var outs []outcome
		var envs []events.Envelope
		outs, envs, err = b.apply(batch)
		if err == nil && len(envs) > 0 {
			var res eventstore.AppendResult
			res, err = b.store.Append(ctx, b.ref, envs, eventstore.AppendOptions{ExpectedVersion: b.Version()})
			if err == nil {
				b.version.Store(res.Version)
			}
		}
		if err == nil {
			for i, op := range batch {
				op.done <- outs[i]
			}
			return
		}
		// The board holds events that were not stored: rebuild it.
		if rerr := b.reload(ctx); rerr != nil {
			err = errors.Join(err, rerr)
			break
		}
		if !errors.Is(err, eventstore.ErrConflict) {
			break
		}
	}
	for _, op := range batch {
		op.done <- outcome{err: fmt.Errorf("hotline board: %w", err)}
	}
}

// apply runs each operation on the board and returns their outcomes and
// the envelopes of the events they recorded.
func (b *Board) apply(batch []operation) ([]outcome, []events.Envelope, error) {
	outs := make([]outcome, len(batch))
	var envs []events.Envelope
	for i, op := range batch {
		if err := op.ctx.Err(); err != nil {
			outs[i] = outcome{err: err}
			continue
		}
		v, err := op.run(b.board, b.clock())
		outs[i] = outcome{value: v, err: err}
		md := rpc.Metadata(op.ctx)
		for _, c := range b.board.Changes() {
			env, err := events.New(callapi.Source, b.ref.Type, b.ref.ID, c.Event, c.At, md)
			if err != nil {
				return nil, nil, err
			}
			envs = append(envs, env)
		}
	}
	return outs, envs, nil
}
