package natsembed_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/events"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
)

// BenchmarkSync compares appends with the periodic fsync of helpdesk up (1 s)
// and with --nats-sync always (fsync before every acknowledgement), 16
// concurrent writers.
func BenchmarkSync(b *testing.B) {
	for _, always := range []bool{false, true} {
		b.Run(map[bool]string{false: "interval", true: "always"}[always], func(b *testing.B) {
			s, _ := natsembed.Start(natsembed.Config{DataDir: b.TempDir(), Listen: "127.0.0.1:-1", SyncAlways: always, SyncInterval: time.Second})
			defer s.Shutdown()
			nc, _ := s.Connect()
			js, _ := jetstream.New(nc)
			store, _ := eventstore.NewJetStream(context.Background(), js, "bench")
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := uuid.NewString()
					e := events.Envelope{ID: id, Type: "x", AggregateID: id, OccurredAt: time.Now(), Data: []byte(`{}`)}
					if _, err := store.Append(context.Background(), subjects.Aggregate{Service: "bench", Type: "t", ID: id}, []events.Envelope{e}, eventstore.AppendOptions{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// TestStart_refuses_a_busy_port gives a clear error instead of a server log
// line when the address is taken.
func TestStart_refuses_a_busy_port(t *testing.T) {
	s, _ := natsembed.StartForTest(t)
	_, err := natsembed.Start(natsembed.Config{DataDir: t.TempDir(), Listen: strings.TrimPrefix(s.ClientURL(), "nats://")})
	if err == nil || !strings.Contains(err.Error(), "--nats-listen") {
		t.Fatalf("err = %v, want a hint about --nats-listen", err)
	}
}
