package eventstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/events"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
)

// TestNewReplicatedJetStream_raises_but_never_lowers_replicas runs on a
// three-node cluster: a start with 1 replica creates an R1 stream without
// limits; a start with 3 raises it to R3; an operator then edits the
// description and adds a max age; the next start with 1 replica keeps R3
// and the description, and removes the max age (events are never trimmed).
func TestNewReplicatedJetStream_raises_but_never_lowers_replicas(t *testing.T) {
	t.Parallel()
	c := natsembed.StartClusterForTest(t, 3)
	js := c.JetStreamForTest(t)
	nc := js.Conn()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := subjects.Stream("ticket")
	config := func() jetstream.StreamConfig {
		t.Helper()
		st, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return st.CachedInfo().Config
	}
	start := func(replicas int) {
		t.Helper()
		if _, err := eventstore.NewReplicatedJetStream(ctx, js, replicas, "ticket"); err != nil {
			t.Fatalf("start with %d replicas: %v", replicas, err)
		}
	}
	noLimits := func(step string, cfg jetstream.StreamConfig) {
		t.Helper()
		if cfg.MaxAge != 0 || cfg.MaxBytes != -1 || cfg.MaxMsgs != -1 || cfg.MaxMsgsPerSubject != -1 || !cfg.DenyDelete || !cfg.DenyPurge ||
			cfg.Retention != jetstream.LimitsPolicy || cfg.Storage != jetstream.FileStorage {
			t.Errorf("%s: event stream with limits or without deny flags: %+v", step, cfg)
		}
	}

	start(1)
	cfg := config()
	noLimits("created", cfg)
	if cfg.Replicas != 1 {
		t.Fatalf("created with %d replicas, want 1", cfg.Replicas)
	}

	start(3)
	if got := config().Replicas; got != 3 {
		t.Fatalf("after a start with 3 replicas: %d, want 3", got)
	}
	if _, err := c.WaitForStreamLeader(name, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	edited := config()
	edited.Description = "edited by the operator"
	edited.MaxAge = 24 * time.Hour
	if _, err := js.UpdateStream(ctx, edited); err != nil {
		t.Fatalf("operator's update: %v", err)
	}
	start(1)
	cfg = config()
	noLimits("restarted", cfg)
	if cfg.Replicas != 3 || cfg.Description != "edited by the operator" {
		t.Fatalf("a start with 1 replica left replicas %d and description %q, want 3 and the operator's", cfg.Replicas, cfg.Description)
	}

	// Nothing differs now: a start sends no update (a user without
	// STREAM.UPDATE could start).
	updates, err := nc.SubscribeSync("$JS.API.STREAM.UPDATE." + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	start(3)
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := updates.Pending(); n != 0 {
		t.Fatalf("a start with nothing to change sent %d stream updates", n)
	}

	// Buckets take the larger of their replicas and the configured count.
	for _, tt := range []struct {
		stream     string
		want, then int
	}{
		{name, 1, 3},
		{name, 5, 5},
		{"KV_missing", 3, 3},
	} {
		if got, err := eventstore.StreamReplicas(ctx, js, tt.stream, tt.want); err != nil || got != tt.then {
			t.Errorf("StreamReplicas(%s, %d) = %d, %v; want %d", tt.stream, tt.want, got, err, tt.then)
		}
	}
}

// TestNewReplicatedJetStream_refuses_bad_replica_counts: outside 1..5 the
// store refuses at once; more than one replica on a single server fails
// with a hint at --stream-replicas.
func TestNewReplicatedJetStream_refuses_bad_replica_counts(t *testing.T) {
	t.Parallel()
	_, nc := natsembed.StartForTest(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		replicas int
		want     string
	}{
		{0, "want 1 to 5"},
		{6, "want 1 to 5"},
		{3, "--stream-replicas 1"},
	} {
		_, err := eventstore.NewReplicatedJetStream(context.Background(), js, tt.replicas, "ticket")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%d replicas: err = %v, want one with %q", tt.replicas, err, tt.want)
		}
	}
}

// TestLoad_on_a_cluster loads an aggregate of an R3 stream many times
// through each node: right after its creation an ordered consumer may not be
// ready on its node yet, which must not fail the load.
func TestLoad_on_a_cluster(t *testing.T) {
	t.Parallel()
	c := natsembed.StartClusterForTest(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	agg := subjects.Aggregate{Service: "ticket", Type: "ticket", ID: uuid.NewString()}
	for i, url := range c.ClientURLs() {
		nc, err := nats.Connect(url)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		store, err := eventstore.NewReplicatedJetStream(ctx, js, 3, "ticket")
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			for v := range uint64(3) {
				e := events.Envelope{ID: uuid.NewString(), Type: "ticket.noted", AggregateID: agg.ID, OccurredAt: time.Now(), Data: []byte(`{}`)}
				if _, err := store.Append(ctx, agg, []events.Envelope{e}, eventstore.AppendOptions{ExpectedVersion: v}); err != nil {
					t.Fatal(err)
				}
			}
		}
		for range 30 {
			evs, err := store.Load(ctx, agg)
			if err != nil || len(evs) != 3 {
				t.Fatalf("load through %s: %d events, %v", url, len(evs), err)
			}
		}
	}
}
