package aggregate_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/rpc"
)

// note is the smallest aggregate that has an owner: only the owner may see
// it.
type note struct {
	owner   string
	lines   int
	version uint64
}

func (n *note) Version() uint64 { return n.version }

type noteWritten struct {
	Owner string `json:"owner"`
}

func (noteWritten) EventType() string  { return "note.written" }
func (noteWritten) SchemaVersion() int { return 1 }

const noteService = "aggtest"

func newNotes(t *testing.T) *aggregate.Repository[*note] {
	t.Helper()
	repo, _ := newNotesOn(t)
	return repo
}

// newNotesOn is newNotes that also returns the JetStream context.
func newNotesOn(t *testing.T) (*aggregate.Repository[*note], jetstream.JetStream) {
	t.Helper()
	_, nc := natsembed.StartForTest(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	store, err := eventstore.NewJetStream(context.Background(), js, noteService)
	if err != nil {
		t.Fatal(err)
	}
	return &aggregate.Repository[*note]{
		Store: store, Kind: "note", Source: "/helpdesk/aggtest",
		Ref: func(id string) subjects.Aggregate {
			return subjects.Aggregate{Service: noteService, Type: "note", ID: id}
		},
		Rebuild: func(evs []events.Envelope) (*note, error) {
			n := &note{}
			for _, e := range evs {
				var w noteWritten
				if err := e.Decode(&w); err != nil {
					return nil, err
				}
				n.owner, n.lines, n.version = w.Owner, n.lines+1, e.AggregateVersion
			}
			return n, nil
		},
	}, js
}

// TestRepository_UpdateVisible_hides_version_from_who_may_not_see: a caller
// who may not see the aggregate gets the not found of a missing id, whatever
// version they expect; one who may see it still gets the stale version's
// precondition failure.
func TestRepository_UpdateVisible_hides_version_from_who_may_not_see(t *testing.T) {
	t.Parallel()
	repo := newNotes(t)
	ctx := context.Background()
	id, missing := uuid.Must(uuid.NewV7()).String(), uuid.Must(uuid.NewV7()).String()
	write := func(n *note) ([]events.Payload, error) { return []events.Payload{noteWritten{Owner: "alice"}}, nil }
	if _, err := repo.Create(ctx, id, func() ([]events.Payload, error) { return []events.Payload{noteWritten{Owner: "alice"}}, nil }); err != nil {
		t.Fatal(err)
	}
	n, err := repo.Update(ctx, id, 0, write)
	if err != nil {
		t.Fatal(err)
	}
	current := n.Version()
	_, err = repo.UpdateVisible(ctx, missing, 99, func(*note) bool { return true }, write)
	if want := problem.NotFound("note", missing).Error(); err == nil || err.Error() != want {
		t.Fatalf("update of a missing note: %v, want %q", err, want)
	}

	tests := []struct {
		name     string
		caller   string
		expected uint64
		want     problem.Code
	}{
		{"other user, stale version", "bob", 99, problem.CodeNotFound},
		{"other user, current version", "bob", current, problem.CodeNotFound},
		{"other user, any version", "bob", 0, problem.CodeNotFound},
		{"owner, stale version", "alice", 99, problem.CodePreconditionFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := rpc.WithCaller(ctx, rpc.Caller{ID: tt.caller, Role: "customer"})
			ran := false
			_, err := repo.UpdateVisible(ctx, id, tt.expected,
				func(n *note) bool { return n.owner == tt.caller },
				func(n *note) ([]events.Payload, error) { ran = true; return write(n) })
			if got := problem.CodeOf(err); got != tt.want {
				t.Fatalf("error %v (%s), want %s", err, got, tt.want)
			}
			if ran {
				t.Error("the update function ran")
			}
			if tt.want == problem.CodeNotFound {
				// The very answer for an id that does not exist.
				if want := problem.NotFound("note", id).Error(); err.Error() != want {
					t.Errorf("error %q, want %q", err, want)
				}
			}
		})
	}
	n, _, err = repo.Load(ctx, id)
	if err != nil || n.Version() != current || n.lines != 2 {
		t.Fatalf("note after the refused updates: %+v, %v; want version %d with 2 lines", n, err, current)
	}
	// The owner with the current version still writes.
	ctx = rpc.WithCaller(ctx, rpc.Caller{ID: "alice", Role: "customer"})
	if n, err = repo.UpdateVisible(ctx, id, current, func(n *note) bool { return n.owner == "alice" }, write); err != nil || n.lines != 3 {
		t.Fatalf("owner's update: %+v, %v", n, err)
	}
}

// TestRepository_retries_after_the_duplicate_window_are_not_doubled: the
// server forgets a Nats-Msg-Id after its duplicate window (shortened here
// to 100 ms); a create and an update retried later with the same
// idempotency key still change nothing.
func TestRepository_retries_after_the_duplicate_window_are_not_doubled(t *testing.T) {
	t.Parallel()
	repo, js := newNotesOn(t)
	bg := context.Background()
	st, err := js.Stream(bg, subjects.Stream(noteService))
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	cfg.Duplicates = 100 * time.Millisecond
	if _, err := js.UpdateStream(bg, cfg); err != nil {
		t.Fatal(err)
	}
	caller := rpc.Caller{ID: "alice", Role: "customer"}
	withKey := func(key string) context.Context {
		c := caller
		c.IdempotencyKey = key
		return rpc.WithCaller(bg, c)
	}
	write := func(*note) ([]events.Payload, error) { return []events.Payload{noteWritten{Owner: "alice"}}, nil }
	create := func() ([]events.Payload, error) { return []events.Payload{noteWritten{Owner: "alice"}}, nil }
	ctx := withKey("create-1")
	id := aggregate.IDFor(ctx)
	if _, err := repo.Create(ctx, id, create); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Update(withKey("update-1"), id, 0, write); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // past the window
	if again := aggregate.IDFor(withKey("create-1")); again != id {
		t.Fatalf("a retried create chose id %s, the first %s", again, id)
	}
	if n, err := repo.Create(withKey("create-1"), id, create); err != nil || n.lines != 2 {
		t.Fatalf("retried create: %+v, %v; want the note as it is", n, err)
	}
	if n, err := repo.Update(withKey("update-1"), id, 0, write); err != nil || n.lines != 2 {
		t.Fatalf("retried update: %+v, %v; want the note as it is", n, err)
	}
	n, _, err := repo.Load(bg, id)
	if err != nil || n.lines != 2 {
		t.Fatalf("note after the retries: %+v, %v; want 2 lines", n, err)
	}
}
