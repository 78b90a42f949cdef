package projection

import (
	"context"
	"database/sql"
	"fmt"

	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/infra/sqlstore"
)

// Reactor is a reaction to events: a process manager's step or a
// cross-service reaction, with no read model of its own. React must be
// idempotent: after a failure the runner delivers the whole batch again,
// so events before the failed one are reacted to twice. A reaction is
// never rebuilt: replaying the past would act on the present.
type Reactor interface {
	// Name is the reaction's stable name (see Handler.Name).
	Name() string
	// Stream is the event stream it reacts to.
	Stream() string
	// EventTypes are the event types it reacts to (see Selective).
	EventTypes() []string
	// React acts on one event.
	React(ctx context.Context, env events.Envelope) error
}

// NewReactionTarget returns the Target of a reaction: it keeps only the
// reaction's position, in the projection_positions table of db, and runs
// the reaction outside any transaction, so that a reaction may wait for
// other projections of the same database (an SQLite database has one
// writer at a time).
func NewReactionTarget(ctx context.Context, db *sqlstore.DB, r Reactor) (Target, error) {
	t, err := newSQLTarget(ctx, db, reactorHandler{r})
	if err != nil {
		return nil, err
	}
	return &reactionTarget{sqlTarget: t, r: r}, nil
}

// reactorHandler gives a reaction the Handler shape the position
// bookkeeping needs: no tables, nothing to reset.
type reactorHandler struct{ Reactor }

func (reactorHandler) Migrations() []string                                  { return nil }
func (reactorHandler) Apply(context.Context, *sql.Tx, events.Envelope) error { return nil }
func (reactorHandler) Reset(context.Context, *sql.Tx) error                  { return nil }
func (h reactorHandler) EventTypes() []string                                { return h.Reactor.EventTypes() }

type reactionTarget struct {
	*sqlTarget
	r Reactor
}

// EventTypes implements Selective.
func (t *reactionTarget) EventTypes() []string { return t.r.EventTypes() }

// Reset refuses: a reaction has nothing to rebuild, and replaying it would
// repeat its side effects against today's state.
func (t *reactionTarget) Reset(context.Context) error {
	return problem.New(problem.CodeConflict, "%s is a reaction, not a read model: it is not rebuilt", t.r.Name())
}

// Begin starts a batch that reacts to each event as it is applied and
// stores the position in a short transaction of its own on Commit.
func (t *reactionTarget) Begin(context.Context) (Batch, error) { return &reactionBatch{t: t}, nil }

// reactionBatch is not a ParkingBatch: a reaction that fails is retried
// until it succeeds, since its failure is mostly another service's outage
// and a parked reaction would never be made up for (reactions are not
// rebuilt).
type reactionBatch struct{ t *reactionTarget }

func (b *reactionBatch) Apply(ctx context.Context, env events.Envelope) error {
	return b.t.r.React(ctx, env)
}

func (b *reactionBatch) Commit(ctx context.Context, position uint64) error {
	tx, err := b.t.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := b.t.savePosition(ctx, tx, position); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (b *reactionBatch) Discard() {}
