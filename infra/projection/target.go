package projection

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/infra/sqlstore"
)

// Target is where a projection's read model lives. A SQL Handler becomes a
// Target through the Runner; read models outside SQL, such as a search
// index, implement Target themselves. A Target stores its position (the
// stream sequence of the last applied event) atomically with the changes,
// so that after a crash the read model and its position agree.
type Target interface {
	// Name is the projection's stable name (see Handler.Name).
	Name() string
	// Stream is the event stream the projection reads.
	Stream() string
	// Position is the position stored with the read model; 0 when empty.
	Position(ctx context.Context) (uint64, error)
	// Begin starts a batch of changes.
	Begin(ctx context.Context) (Batch, error)
	// Reset empties the read model and sets its position to 0.
	Reset(ctx context.Context) error
}

// Batch is a set of changes to a Target that become visible together with
// their position on Commit, or not at all.
type Batch interface {
	// Apply folds one event into the batch. It must be deterministic and
	// must not fail for events it does not care about.
	Apply(ctx context.Context, env events.Envelope) error
	// Commit makes the batch's changes and the new position durable.
	Commit(ctx context.Context, position uint64) error
	// Discard drops an uncommitted batch; it is a no-op after Commit.
	Discard()
}

// SharedBatch is a Batch of a read model that several replicas may write,
// such as tables in one PostgreSQL database. Begin locks the stored position
// until Commit or Discard, and Stored reports it: the runner applies only
// the events after it, so each event is applied once, in stream order,
// whichever replica gets there first.
type SharedBatch interface {
	Batch
	// Stored is the position stored with the read model, read under the
	// batch's lock.
	Stored() uint64
}

// ParkingBatch is a Batch that can record a parked event (one the read
// model refused again and again) together with the position past it.
type ParkingBatch interface {
	Batch
	// Park records that the event was skipped, and why.
	Park(ctx context.Context, ev Parked) error
}

// Parked is an event a projection skipped after it failed ParkAfter times.
type Parked struct {
	// Sequence is the event's stream sequence.
	Sequence uint64
	// Subject is the event's NATS subject (its aggregate).
	Subject string
	// EventID and EventType are empty when the message could not be decoded.
	EventID, EventType string
	// Cause is the last error.
	Cause string
}

// ParkedCounter is a Target that keeps its parked events and can count them.
type ParkedCounter interface {
	ParkedCount(ctx context.Context) (uint64, error)
}

var positionMigrations = []string{`CREATE TABLE projection_positions (
	name       TEXT PRIMARY KEY,
	position   BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
)`, `CREATE TABLE projection_parked (
	name       TEXT NOT NULL,
	position   BIGINT NOT NULL,
	event_id   TEXT NOT NULL,
	event_type TEXT NOT NULL,
	subject    TEXT NOT NULL,
	error      TEXT NOT NULL,
	parked_at  BIGINT NOT NULL,
	PRIMARY KEY (name, position)
)`}

// sqlTarget keeps a Handler's read model and its position, in the
// projection_positions table, in one SQL database.
type sqlTarget struct {
	db *sqlstore.DB
	h  Handler
}

func newSQLTarget(ctx context.Context, db *sqlstore.DB, h Handler) (*sqlTarget, error) {
	if err := db.Migrate(ctx, "projection_positions", positionMigrations); err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, h.Name(), h.Migrations()); err != nil {
		return nil, err
	}
	// The position row exists from the start, so that the first batches of
	// two replicas lock the same row.
	if _, err := db.Write.ExecContext(ctx, db.Rebind(`INSERT INTO projection_positions (name, position, updated_at) VALUES (?, 0, ?)
		ON CONFLICT (name) DO NOTHING`), h.Name(), time.Now().UnixMicro()); err != nil {
		return nil, fmt.Errorf("projection %s position: %w", h.Name(), err)
	}
	return &sqlTarget{db: db, h: h}, nil
}

func (t *sqlTarget) Name() string   { return t.h.Name() }
func (t *sqlTarget) Stream() string { return t.h.Stream() }

func (t *sqlTarget) Position(ctx context.Context) (uint64, error) {
	return t.position(ctx, t.db.Write, "")
}

// queryRower is a *sql.DB or a *sql.Tx.
type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// position reads the stored position; lock is appended to the query.
func (t *sqlTarget) position(ctx context.Context, q queryRower, lock string) (uint64, error) {
	var pos int64
	err := q.QueryRowContext(ctx, t.db.Rebind(`SELECT position FROM projection_positions WHERE name = ?`+lock), t.h.Name()).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("projection %s position: %w", t.h.Name(), err)
	}
	return uint64(pos), nil
}

// Begin starts a transaction that holds the position row until it ends.
func (t *sqlTarget) Begin(ctx context.Context) (Batch, error) {
	tx, err := t.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	stored, err := t.position(ctx, tx, t.lockClause())
	if err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	return &sqlBatch{t: t, tx: tx, stored: stored}, nil
}

// lockClause makes a read of the position lock its row until the
// transaction ends: FOR UPDATE on PostgreSQL; SQLite transactions begin
// IMMEDIATE (see sqlstore) and so exclude every other writer already.
func (t *sqlTarget) lockClause() string {
	if t.db.Driver() == sqlstore.DriverPostgres {
		return " FOR UPDATE"
	}
	return ""
}

func (t *sqlTarget) Reset(ctx context.Context) error {
	tx, err := t.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	// Lock the position first, as a batch does, so that no replica's batch
	// commits rows between the reset's delete and its new position.
	if _, err := t.position(ctx, tx, t.lockClause()); err != nil {
		return err
	}
	if err := t.h.Reset(ctx, tx); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	if _, err := tx.ExecContext(ctx, t.db.Rebind(`DELETE FROM projection_parked WHERE name = ?`), t.h.Name()); err != nil {
		return fmt.Errorf("reset parked events: %w", err)
	}
	if err := t.savePosition(ctx, tx, 0); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (t *sqlTarget) savePosition(ctx context.Context, tx *sql.Tx, pos uint64) error {
	_, err := tx.ExecContext(ctx, t.db.Rebind(`INSERT INTO projection_positions (name, position, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`),
		t.h.Name(), int64(pos), time.Now().UnixMicro())
	if err != nil {
		return fmt.Errorf("projection %s save position: %w", t.h.Name(), err)
	}
	return nil
}

type sqlBatch struct {
	t      *sqlTarget
	tx     *sql.Tx
	stored uint64
}

// Stored implements SharedBatch.
func (b *sqlBatch) Stored() uint64 { return b.stored }

// Park implements ParkingBatch.
func (b *sqlBatch) Park(ctx context.Context, ev Parked) error { return b.t.park(ctx, b.tx, ev) }

// park records a parked event in tx.
func (t *sqlTarget) park(ctx context.Context, tx *sql.Tx, ev Parked) error {
	_, err := tx.ExecContext(ctx, t.db.Rebind(`INSERT INTO projection_parked
		(name, position, event_id, event_type, subject, error, parked_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name, position) DO NOTHING`),
		t.h.Name(), int64(ev.Sequence), ev.EventID, ev.EventType, ev.Subject, ev.Cause, time.Now().UnixMicro())
	if err != nil {
		return fmt.Errorf("projection %s park event %d: %w", t.h.Name(), ev.Sequence, err)
	}
	return nil
}

// ParkedCount implements ParkedCounter.
func (t *sqlTarget) ParkedCount(ctx context.Context) (uint64, error) {
	var n int64
	if err := t.db.Read.QueryRowContext(ctx, t.db.Rebind(`SELECT COUNT(*) FROM projection_parked WHERE name = ?`), t.h.Name()).Scan(&n); err != nil {
		return 0, fmt.Errorf("projection %s parked events: %w", t.h.Name(), err)
	}
	return uint64(n), nil
}

func (b *sqlBatch) Apply(ctx context.Context, env events.Envelope) error {
	return b.t.h.Apply(ctx, b.tx, env)
}

func (b *sqlBatch) Commit(ctx context.Context, position uint64) error {
	if err := b.t.savePosition(ctx, b.tx, position); err != nil {
		return err
	}
	if err := b.tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (b *sqlBatch) Discard() { _ = b.tx.Rollback() }
