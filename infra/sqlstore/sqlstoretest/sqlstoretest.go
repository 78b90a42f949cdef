// Package sqlstoretest gives tests real read-model databases: SQLite in a
// temporary directory, and PostgreSQL in a schema of their own.
package sqlstoretest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"helpdesk/infra/sqlstore"
)

// PostgresURL is the test database of the project's machines; override it
// with HELPDESK_TEST_POSTGRES.
func PostgresURL() string {
	if u := os.Getenv("HELPDESK_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// SQLite opens a fresh SQLite database for the test.
func SQLite(t testing.TB) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{Driver: "sqlite", DSN: t.TempDir() + "/test.db"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// PostgresDSN creates a schema of its own for the test in the test database
// and returns a DSN whose search_path is that schema; the schema is dropped
// when the test ends. It skips the test when PostgreSQL is unreachable.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	admin, err := sql.Open("pgx", PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.PingContext(context.Background()); err != nil {
		admin.Close()
		t.Skipf("PostgreSQL unreachable at %s: %v", PostgresURL(), err)
	}
	schema := fmt.Sprintf("t_%d", rand.Uint64())
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	return PostgresURL() + "&search_path=" + schema
}

// Postgres opens a PostgreSQL database in a schema of the test's own.
func Postgres(t testing.TB) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{Driver: "postgres", DSN: PostgresDSN(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Each runs test against SQLite and PostgreSQL, as subtests.
func Each(t *testing.T, test func(t *testing.T, db *sqlstore.DB)) {
	t.Run("sqlite", func(t *testing.T) { test(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { test(t, Postgres(t)) })
}

// SQLiteConfig returns the configuration of a fresh SQLite database in a
// temporary directory, for code that opens the database itself.
func SQLiteConfig(t testing.TB) sqlstore.Config {
	return sqlstore.Config{Driver: "sqlite", DSN: t.TempDir() + "/readmodels.db"}
}
