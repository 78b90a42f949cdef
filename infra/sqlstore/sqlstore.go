// Package sqlstore opens the SQL databases that hold read models: SQLite
// (pure Go, modernc.org/sqlite) by default, PostgreSQL when configured, and
// applies each component's migrations once.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Drivers.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Config says which database to open.
type Config struct {
	// Driver is "sqlite" (default) or "postgres".
	Driver string
	// DSN is a file path for SQLite, or a PostgreSQL URL/keyword string.
	DSN string
}

// DB is an open read-model database. Queries are written with "?"
// placeholders and passed through Rebind.
type DB struct {
	// Write is the pool for projections (a single connection for SQLite,
	// which allows one writer at a time).
	Write *sql.DB
	// Read is the pool for queries (WAL readers for SQLite).
	Read   *sql.DB
	driver string
}

// Open opens the database and checks that it answers.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	switch cfg.Driver {
	case "", DriverSQLite:
		return openSQLite(ctx, cfg.DSN)
	case DriverPostgres:
		return openPostgres(ctx, cfg.DSN)
	}
	return nil, fmt.Errorf("unknown database driver %q (want sqlite or postgres)", cfg.Driver)
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: a file path is required")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_txlock=immediate"
	write, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", dsn)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	read.SetMaxOpenConns(8)
	db := &DB{Write: write, Read: read, driver: DriverSQLite}
	if err := db.ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	return db, nil
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	if dsn == "" {
		return nil, errors.New("postgres: a DSN is required")
	}
	pool, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pool.SetMaxOpenConns(16)
	db := &DB{Write: pool, Read: pool, driver: DriverPostgres}
	if err := db.ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return db, nil
}

func (db *DB) ping(ctx context.Context) error {
	if err := db.Write.PingContext(ctx); err != nil {
		return err
	}
	return db.Read.PingContext(ctx)
}

// Driver is "sqlite" or "postgres".
func (db *DB) Driver() string { return db.driver }

// Close closes both pools.
func (db *DB) Close() error {
	err := db.Write.Close()
	if db.Read != db.Write {
		err = errors.Join(err, db.Read.Close())
	}
	return err
}

// Rebind turns "?" placeholders into the driver's style ($1, $2, ... for
// PostgreSQL). Queries must not contain a literal "?".
func (db *DB) Rebind(query string) string {
	if db.driver != DriverPostgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Migrate applies, in order and once each, the SQL steps of a component,
// recording them in schema_migrations. Each step runs in its own
// transaction; on PostgreSQL an advisory lock keeps two processes starting
// at once from applying a step twice.
func (db *DB) Migrate(ctx context.Context, component string, steps []string) error {
	conn, err := db.Write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", component, err)
	}
	defer conn.Close()
	if db.driver == DriverPostgres {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7210531)`); err != nil {
			return fmt.Errorf("migrate %s: lock: %w", component, err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7210531)`)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (component, version))`); err != nil {
		return fmt.Errorf("migrate %s: %w", component, err)
	}
	var applied int
	if err := conn.QueryRowContext(ctx, db.Rebind(`SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = ?`), component).Scan(&applied); err != nil {
		return fmt.Errorf("migrate %s: %w", component, err)
	}
	for i := applied; i < len(steps); i++ {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate %s step %d: %w", component, i+1, err)
		}
		if _, err := tx.ExecContext(ctx, steps[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate %s step %d: %w", component, i+1, err)
		}
		if _, err := tx.ExecContext(ctx, db.Rebind(`INSERT INTO schema_migrations (component, version) VALUES (?, ?)`), component, i+1); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate %s step %d: %w", component, i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate %s step %d: %w", component, i+1, err)
		}
	}
	return nil
}
