package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/subjects"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/auditlog"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
)

// TestGenerateTickets_valid_log checks that the generated log is one the
// system takes for its own: the audit verifies every hash chain, every
// event decodes, and each ticket's events come in its life's order, the
// last ticket cut short when the count is not a multiple of four.
func TestGenerateTickets_valid_log(t *testing.T) {
	t.Parallel()
	srv, err := natsembed.Start(natsembed.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	nc, err := srv.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	const n = 4*25 + 2
	if _, err := generateTickets(nc, n); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	stream := subjects.Stream(subjects.ServiceTicket)
	rep, err := auditlog.Verify(ctx, js, auditlog.VerifyOptions{Streams: []string{stream}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Broken != nil || rep.Events != n || rep.Chained != n || rep.Subjects != 26 {
		t.Fatalf("audit: %d events, %d chained, %d tickets, broken %v; want %d, %d, 26, none",
			rep.Events, rep.Chained, rep.Subjects, rep.Broken, n, n)
	}

	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(n, jetstream.FetchMaxWait(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	lives := map[string][]string{}
	for m := range batch.Messages() {
		meta, err := m.Metadata()
		if err != nil {
			t.Fatal(err)
		}
		env, err := eventstore.DecodeMsg(m.Subject(), m.Headers(), m.Data(), meta.Sequence.Stream)
		if err != nil {
			t.Fatal(err)
		}
		lives[env.AggregateID] = append(lives[env.AggregateID], env.Type)
	}
	life := []string{ticketapi.EventOpened, ticketapi.EventAssigned, ticketapi.EventWorkStarted, ticketapi.EventReplied}
	short := 0
	for id, got := range lives {
		if len(got) < len(life) {
			short++
		}
		if !slices.Equal(got, life[:len(got)]) {
			t.Errorf("ticket %s: events %v, want a prefix of %v", id, got, life)
		}
	}
	if len(lives) != 26 || short != 1 {
		t.Errorf("%d tickets, %d of them short; want 26, 1", len(lives), short)
	}
}
