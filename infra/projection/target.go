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

var positionMigrations = []string{`CREATE TABLE projection_positions (
	name       TEXT PRIMARY KEY,
	position   BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
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
	return &sqlTarget{db: db, h: h}, nil
}

func (t *sqlTarget) Name() string   { return t.h.Name() }
func (t *sqlTarget) Stream() string { return t.h.Stream() }

func (t *sqlTarget) Position(ctx context.Context) (uint64, error) {
	var pos int64
	err := t.db.Write.QueryRowContext(ctx, t.db.Rebind(`SELECT position FROM projection_positions WHERE name = ?`), t.h.Name()).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("projection %s position: %w", t.h.Name(), err)
	}
	return uint64(pos), nil
}

func (t *sqlTarget) Begin(ctx context.Context) (Batch, error) {
	tx, err := t.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	return &sqlBatch{t: t, tx: tx}, nil
}

func (t *sqlTarget) Reset(ctx context.Context) error {
	tx, err := t.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := t.h.Reset(ctx, tx); err != nil {
		return fmt.Errorf("reset: %w", err)
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
	t  *sqlTarget
	tx *sql.Tx
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
