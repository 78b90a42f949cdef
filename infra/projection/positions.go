package projection

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

var positionMigrations = []string{`CREATE TABLE projection_positions (
	name       TEXT PRIMARY KEY,
	position   BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
)`}

func (r *Runner) loadPosition(ctx context.Context) (uint64, error) {
	var pos int64
	err := r.cfg.DB.Write.QueryRowContext(ctx, r.cfg.DB.Rebind(`SELECT position FROM projection_positions WHERE name = ?`), r.name).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("projection %s position: %w", r.name, err)
	}
	return uint64(pos), nil
}

func (r *Runner) savePosition(ctx context.Context, tx *sql.Tx, pos uint64) error {
	_, err := tx.ExecContext(ctx, r.cfg.DB.Rebind(`INSERT INTO projection_positions (name, position, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`),
		r.name, int64(pos), time.Now().UnixMicro())
	if err != nil {
		return fmt.Errorf("projection %s save position: %w", r.name, err)
	}
	return nil
}
