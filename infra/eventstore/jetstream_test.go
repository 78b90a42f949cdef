package eventstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/events"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/eventstore/eventstoretest"
	"helpdesk/infra/natsembed"
)

func TestJetStream_conformance_embedded(t *testing.T) {
	t.Parallel()
	_, nc := natsembed.StartForTest(t)
	store := newStore(t, nc, "conformance")
	eventstoretest.Run(t, "conformance", func(*testing.T) eventstore.Store { return store })
}

// TestJetStream_conformance_external runs the suite against the NATS server
// of the machine (2.9 in CI: atomic batches are skipped there) in a stream of
// its own, which it deletes afterwards.
func TestJetStream_conformance_external(t *testing.T) {
	t.Parallel()
	nc, err := nats.Connect("nats://127.0.0.1:4222", nats.Timeout(2*time.Second))
	if err != nil {
		t.Skipf("no NATS server at 127.0.0.1:4222: %v", err)
	}
	t.Cleanup(nc.Close)
	service := fmt.Sprintf("conformance%d", rand.Uint32())
	store := newStore(t, nc, service)
	t.Cleanup(func() {
		js, _ := jetstream.New(nc)
		_ = js.DeleteStream(context.Background(), subjects.Stream(service))
	})
	eventstoretest.Run(t, service, func(*testing.T) eventstore.Store { return store })
}

func newStore(t testing.TB, nc *nats.Conn, service string) *eventstore.JetStream {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	store, err := eventstore.NewJetStream(context.Background(), js, service)
	if err != nil {
		t.Fatal(err)
	}
	return store
}

// TestNewJetStream_stream_config checks the properties the event log relies
// on: never trimmed, deletes and purges denied, a duplicate window.
func TestNewJetStream_stream_config(t *testing.T) {
	t.Parallel()
	_, nc := natsembed.StartForTest(t)
	newStore(t, nc, "ticket")
	newStore(t, nc, "ticket") // idempotent
	js, _ := jetstream.New(nc)
	st, err := js.Stream(context.Background(), "EVENTS_TICKET")
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	if !cfg.DenyDelete || !cfg.DenyPurge || cfg.MaxAge != 0 || cfg.MaxMsgs != -1 || cfg.MaxBytes != -1 ||
		cfg.Retention != jetstream.LimitsPolicy || cfg.Storage != jetstream.FileStorage || cfg.Duplicates != eventstore.DuplicateWindow || !cfg.AllowAtomicPublish {
		t.Fatalf("stream config = %+v", cfg)
	}
	if err := st.Purge(context.Background()); err == nil {
		t.Fatal("purge of an event stream succeeded")
	}
}

// TestEncodeMsg_cloudevents_headers checks the wire format integrations read.
func TestEncodeMsg_cloudevents_headers(t *testing.T) {
	t.Parallel()
	e := events.Envelope{
		ID: "0190c0de-0000-7000-8000-000000000001", Type: "ticket.opened", SchemaVersion: 1, Source: "/helpdesk/ticket",
		AggregateType: "ticket", AggregateID: "0190c0de-0000-7000-8000-000000000002",
		OccurredAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Actor: "u1", Data: []byte(`{"title":"标题"}`),
		ActorRole: "customer", SourceIP: "2001:db8::1", RequestID: "0190c0de-0000-7000-8000-000000000003",
		Hash: "ab12", PrevHash: "cd34",
	}
	m := eventstore.EncodeMsg("events.ticket.ticket."+e.AggregateID, e)
	for k, want := range map[string]string{
		"ce-id": e.ID, "ce-type": "ticket.opened", "ce-source": "/helpdesk/ticket", "ce-specversion": "1.0",
		"ce-time": "2026-01-02T03:04:05.000000006Z", "ce-subject": e.AggregateID, "Content-Type": "application/json",
		"ce-dataschema": "contracts/events/schema/ticket.opened.v1.json",
		"ce-actorrole":  "customer", "ce-sourceip": "2001:db8::1", "ce-requestid": e.RequestID,
		"ce-hash": "ab12", "ce-prevhash": "cd34",
	} {
		if got := m.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	back, err := eventstore.DecodeMsg(m.Subject, m.Header, m.Data, 7)
	want := e
	want.AggregateVersion = 7
	if err != nil || !reflect.DeepEqual(back, want) {
		t.Fatalf("round trip:\n got  %+v, %v\n want %+v", back, err, want)
	}
	if _, err := eventstore.DecodeMsg("x", nats.Header{}, nil, 1); err == nil {
		t.Fatal("decoding a message without ce headers succeeded")
	}
}

// BenchmarkAppend measures single-event appends to fresh aggregates on an
// embedded server with file storage.
func BenchmarkAppend(b *testing.B) {
	_, nc := natsembed.StartForTest(b)
	store := newStore(b, nc, "bench")
	data := []byte(`{"title":"打印机无法连接网络","description":"办公室的打印机从昨天开始无法连接网络，重启后仍然不行。","priority":"P2","channel":"web"}`)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := uuid.Must(uuid.NewV7()).String()
			e := events.Envelope{ID: id, Type: "bench.appended", SchemaVersion: 1, Source: "/bench", AggregateType: "thing",
				AggregateID: id, OccurredAt: time.Now(), Data: data}
			if _, err := store.Append(context.Background(), subjects.Aggregate{Service: "bench", Type: "thing", ID: id},
				[]events.Envelope{e}, eventstore.AppendOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
