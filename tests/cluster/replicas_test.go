package cluster_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"

	"helpdesk/contracts/subjects"
	"helpdesk/infra/launcher"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/sqlstore"
	"helpdesk/infra/sqlstore/sqlstoretest"
	"helpdesk/infra/telemetry/logtest"
)

// TestReplicas_of_the_ticket_service_share_commands_and_a_postgres_read_model
// runs two ticket-service replicas, each with its own NATS connection and
// database pool (as two processes would), on one PostgreSQL read model,
// behind one gateway. Under continuous ticket creation both replicas answer
// commands (queue group), one replica stops half-way and the other carries
// on; afterwards every ticket answered 2xx is in the log once, and the list
// read model has each ticket once and equals its rebuild.
func TestReplicas_of_the_ticket_service_share_commands_and_a_postgres_read_model(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two service replicas under load")
	}
	logs := logtest.ShownOnFailure(t, "logs of the Helpdesk parts")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv, probe := natsembed.StartForTest(t)
	readStore := sqlstore.Config{Driver: sqlstore.DriverPostgres, DSN: sqlstoretest.PostgresDSN(t)}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	start := func(cfg launcher.PartsConfig) *launcher.Parts {
		t.Helper()
		cfg.Conn, cfg.Logger, cfg.Registry = connect(t, []string{srv.ClientURL()}), logger, launcher.NewRegistry()
		p, err := launcher.StartParts(ctx, cfg)
		if err != nil {
			t.Fatalf("start parts: %v", err)
		}
		t.Cleanup(func() { _ = p.Stop(context.Background()) })
		return p
	}
	first := start(launcher.PartsConfig{
		Services: []string{subjects.ServiceIdentity, subjects.ServiceTicket}, DB: readStore,
		EnsureAdmin: true, AdminPassword: adminPassword,
		Auth: launcher.Auth{AdminSetPasswordsFinal: true, AdminPasswordFinal: true},
	})
	second := start(launcher.PartsConfig{Services: []string{subjects.ServiceTicket}, DB: readStore})
	gw := start(launcher.PartsConfig{Gateway: true, Listen: "127.0.0.1:0"})

	l := &load{url: gw.URL + "/api/v1/tickets", token: customerToken(t, gw.URL), results: map[string]string{}}
	stopLoad := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { l.run(stopLoad) })
	}
	time.Sleep(loadBefore)
	answered := ticketReplicaRequests(t, probe)
	if len(answered) != 2 || slices.Contains(answered, 0) {
		t.Errorf("create requests answered per ticket replica: %v, want two replicas sharing them", answered)
	}
	// The first replica goes (its projection with it); the second carries on.
	if err := first.Ticket.Stop(); err != nil {
		t.Fatal(err)
	}
	stoppedAt := l.successes()
	time.Sleep(loadBefore)
	close(stopLoad)
	wg.Wait()
	if l.successes() <= stoppedAt {
		t.Fatalf("no command succeeded after one replica stopped; last error: %v", l.lastError())
	}

	js, err := jetstream.New(probe)
	if err != nil {
		t.Fatal(err)
	}
	logged := readTickets(ctx, t, js, subjects.Stream(subjects.ServiceTicket))
	for key, id := range l.results {
		if logged.byKey[key] != id {
			t.Errorf("Idempotency-Key %s: answered ticket %s, the event log has %q", key, id, logged.byKey[key])
		}
	}
	for key, n := range logged.opened {
		if n > 1 {
			t.Errorf("Idempotency-Key %s opened %d tickets", key, n)
		}
	}
	wait, cancelWait := context.WithTimeout(ctx, 20*time.Second)
	defer cancelWait()
	if err := second.Ticket.Projection.WaitFor(wait, logged.last); err != nil {
		t.Fatalf("the remaining replica's projection: %v", err)
	}
	live := listTickets(ctx, t, second)
	if len(live) != len(logged.byKey) {
		t.Errorf("the shared list read model has %d tickets, the event log %d", len(live), len(logged.byKey))
	}
	if _, err := second.Ticket.Projection.Rebuild(wait, nil); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	if rebuilt := listTickets(ctx, t, second); !slices.Equal(live, rebuilt) {
		t.Errorf("the shared read model differs from its rebuild (%d rows, rebuilt %d): %s", len(live), len(rebuilt), firstDifference(live, rebuilt))
	}
	t.Logf("%d tickets; create requests per replica before one stopped: %v", len(live), answered)
}

// ticketReplicaRequests asks every ticket-service replica for its
// statistics and returns, per replica, the requests its endpoints answered.
func ticketReplicaRequests(t *testing.T, nc *nats.Conn) []int {
	t.Helper()
	subject, err := micro.ControlSubject(micro.StatsVerb, "helpdesk-"+subjects.ServiceTicket, "")
	if err != nil {
		t.Fatal(err)
	}
	inbox := nats.NewInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := nc.PublishRequest(subject, inbox, nil); err != nil {
		t.Fatal(err)
	}
	var out []int
	for {
		msg, err := sub.NextMsg(500 * time.Millisecond)
		if err != nil {
			return out
		}
		var stats micro.Stats
		if err := json.Unmarshal(msg.Data, &stats); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range stats.Endpoints {
			n += e.NumRequests
		}
		out = append(out, n)
	}
}
