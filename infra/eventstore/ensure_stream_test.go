package eventstore_test

import (
	"context"
	"fmt"
	"sync"
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

// TestEnsureStream_sets_back_limits_retention: an operator (or a stream
// made by hand before the first start) switched an event stream to
// interest retention; the next start must set it back to limits, or
// events are deleted once every consumer has seen them.
func TestEnsureStream_sets_back_limits_retention(t *testing.T) {
	t.Parallel()
	_, nc := natsembed.StartForTest(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := eventstore.NewJetStream(ctx, js, "ticket"); err != nil {
		t.Fatal(err)
	}
	name := subjects.Stream("ticket")
	st, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	edited := st.CachedInfo().Config
	edited.Retention = jetstream.InterestPolicy
	if _, err := js.UpdateStream(ctx, edited); err != nil {
		t.Fatalf("an operator's change of retention: %v", err)
	}
	store, err := eventstore.NewJetStream(ctx, js, "ticket")
	if err != nil {
		t.Fatal(err)
	}
	if st, err = js.Stream(ctx, name); err != nil {
		t.Fatal(err)
	}
	if got := st.CachedInfo().Config.Retention; got != jetstream.LimitsPolicy {
		t.Errorf("after a start the event stream has retention %v, want limits", got)
	}
	// What interest retention does to events: with no consumer, an
	// appended event is not kept.
	agg := subjects.Aggregate{Service: "ticket", Type: "ticket", ID: uuid.NewString()}
	e := events.Envelope{ID: uuid.NewString(), Type: "ticket.noted", AggregateID: agg.ID, OccurredAt: time.Now(), Data: []byte(`{}`)}
	if _, err := store.Append(ctx, agg, []events.Envelope{e}, eventstore.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	if evs, err := store.Load(ctx, agg); err != nil || len(evs) != 1 {
		t.Errorf("load after an append: %d events, %v; want the event", len(evs), err)
	}
}

// TestEnsureStream_concurrent_starts_with_different_replicas: processes started
// at once on a three-node cluster, some with 1 replica and some with 3,
// all start, and the stream ends with 3 replicas.
func TestEnsureStream_concurrent_starts_with_different_replicas(t *testing.T) {
	t.Parallel()
	c := natsembed.StartClusterForTest(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := range 6 {
		nc, err := nats.Connect(c.ClientURLs()[i%3])
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			_, err := eventstore.NewReplicatedJetStream(sctx, js, 1+2*(i%2), "ticket", "identity")
			if err != nil {
				err = fmt.Errorf("start %d with %d replicas after %s: %w", i, 1+2*(i%2), time.Since(start).Round(time.Millisecond), err)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent start: %v", err)
		}
	}
	js := c.JetStreamForTest(t)
	for _, svc := range []string{"ticket", "identity"} {
		st, err := js.Stream(ctx, subjects.Stream(svc))
		if err != nil {
			t.Fatal(err)
		}
		if got := st.CachedInfo().Config.Replicas; got != 3 {
			t.Errorf("%s: %d replicas after concurrent starts with 1 and 3, want 3", svc, got)
		}
	}
}
