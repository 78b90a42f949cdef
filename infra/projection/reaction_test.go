package projection_test

import (
	"context"
	"testing"

	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/infra/projection"
	"helpdesk/infra/sqlstore/sqlstoretest"
)

// reactor counts the events it reacted to.
type reactor struct{ seen []string }

func (*reactor) Name() string         { return "test_reaction" }
func (*reactor) Stream() string       { return "EVENTS_TEST" }
func (*reactor) EventTypes() []string { return []string{"thing.happened"} }
func (r *reactor) React(_ context.Context, env events.Envelope) error {
	r.seen = append(r.seen, env.ID)
	return nil
}

// TestReactionTarget keeps a position only, reacts outside any
// transaction (a write in between does not block), and refuses a reset.
func TestReactionTarget(t *testing.T) {
	ctx := context.Background()
	db := sqlstoretest.SQLite(t)
	r := &reactor{}
	target, err := projection.NewReactionTarget(ctx, db, r)
	if err != nil {
		t.Fatal(err)
	}
	b, err := target.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Apply(ctx, events.Envelope{ID: "e1", Type: "thing.happened"}); err != nil {
		t.Fatal(err)
	}
	// SQLite has one writer: a reaction holding a transaction would block this.
	if _, err := db.Write.ExecContext(ctx, `CREATE TABLE other (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if pos, err := target.Position(ctx); err != nil || pos != 7 || len(r.seen) != 1 {
		t.Fatalf("position %d, %v; reacted to %v", pos, err, r.seen)
	}
	if err := target.Reset(ctx); problem.CodeOf(err) != problem.CodeConflict {
		t.Fatalf("Reset = %v, want a conflict: a reaction is not rebuilt", err)
	}
	if pos, _ := target.Position(ctx); pos != 7 {
		t.Fatalf("a refused reset moved the position to %d", pos)
	}

	// A reaction never parks: its batches cannot record a parked event.
	b, err = target.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := b.(projection.ParkingBatch); ok {
		t.Error("a reaction batch parks events; a parked reaction would be lost for good")
	}
}
