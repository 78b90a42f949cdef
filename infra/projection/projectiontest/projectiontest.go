// Package projectiontest drives a projection.Handler in tests the way the
// projection runner does, without NATS: migrate its tables, fold events in
// a transaction.
package projectiontest

import (
	"context"
	"testing"

	"helpdesk/contracts/events"
	"helpdesk/infra/projection"
	"helpdesk/infra/sqlstore"
)

// Migrate creates the handler's tables in db.
func Migrate(t testing.TB, db *sqlstore.DB, h projection.Handler) {
	t.Helper()
	if err := db.Migrate(context.Background(), h.Name(), h.Migrations()); err != nil {
		t.Fatal(err)
	}
}

// Apply folds envelopes into the handler's read model in one transaction.
func Apply(t testing.TB, db *sqlstore.DB, h projection.Handler, envs ...events.Envelope) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, e := range envs {
		if err := h.Apply(ctx, tx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// Reset empties the handler's read model in one transaction, as a rebuild
// does first.
func Reset(t testing.TB, db *sqlstore.DB, h projection.Handler) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := h.Reset(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}
