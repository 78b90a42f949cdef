package gateway_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/auditlog"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
)

// TestAudit_metadata_and_access_trail opens a ticket over HTTP and checks
// that its event names the actor, role, client address and request id, and
// that the access trail holds that request and a denied one.
func TestAudit_metadata_and_access_trail(t *testing.T) {
	t.Parallel()
	_, nc := natsembed.StartForTest(t)
	ctx := context.Background()
	trail, err := auditlog.NewAccessTrail(ctx, auditlog.AccessTrailConfig{Conn: nc, RetentionDays: 200, Instance: "gw.test 1",
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	srv := startTestSystem(t, testSystem{nc: nc, trail: trail,
		services: []string{subjects.ServiceIdentity, subjects.ServiceTicket}}).srv

	admin := login(t, srv, "admin", adminPassword)
	me := do(t, srv, "GET", "/api/v1/me", admin, "")
	denied := do(t, srv, "POST", "/api/v1/tickets", "", `{"title":"x"}`)
	isProblem(t, denied, 401)
	opened := do(t, srv, "POST", "/api/v1/tickets", admin, `{"title":"打印机无法连接网络","priority":"P2","channel":"web"}`, "X-Request-Id", "client-chosen-42")
	if opened.status != 201 {
		t.Fatalf("open: %d %s", opened.status, opened.raw)
	}
	do(t, srv, "GET", "/healthz", "", "")

	js, _ := jetstream.New(nc)
	store, err := eventstore.NewJetStream(ctx, js, subjects.ServiceTicket, subjects.ServiceIdentity)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := store.Load(ctx, subjects.Ticket(opened.body["id"].(string)))
	if err != nil || len(evs) == 0 {
		t.Fatalf("events: %v, %v", evs, err)
	}
	e := evs[0]
	if e.Actor != me.body["id"] || e.ActorRole != "admin" || e.SourceIP != "127.0.0.1" || uuid.Validate(e.RequestID) != nil ||
		e.CorrelationID != "client-chosen-42" || e.Hash == "" {
		t.Fatalf("event metadata: actor %q (want %v), role %q, ip %q, request id %q, correlation %q, hash %q",
			e.Actor, me.body["id"], e.ActorRole, e.SourceIP, e.RequestID, e.CorrelationID, e.Hash)
	}

	// The login is the user's act, asked for by the gateway: it keeps the
	// request's address and id.
	account, err := store.Load(ctx, subjects.User(e.Actor))
	if err != nil {
		t.Fatal(err)
	}
	var loggedIn bool
	for _, a := range account {
		if a.Type == identityapi.EventUserLoggedIn {
			loggedIn = a.Actor == e.Actor && a.ActorRole == "admin" && a.SourceIP == "127.0.0.1" && uuid.Validate(a.RequestID) == nil
		}
	}
	if !loggedIn {
		t.Fatalf("no user.logged_in event with the actor, role, address and request id: %+v", account)
	}

	closeCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := trail.Close(closeCtx); err != nil {
		t.Fatal(err)
	}
	records := accessRecords(t, js)
	if len(records) != 4 { // login, me, the denied open, the open; not /healthz
		t.Fatalf("%d access records, want 4: %+v", len(records), records)
	}
	var sawDenied, sawOpen bool
	for _, r := range records {
		if r.Gateway != "gwtest1" || r.SourceIP != "127.0.0.1" || uuid.Validate(r.RequestID) != nil || r.Time.IsZero() {
			t.Errorf("record %+v", r)
		}
		switch {
		case r.Route == "/api/v1/tickets" && r.Status == 401:
			sawDenied = r.Actor == "" && r.Method == "POST"
		case r.Route == "/api/v1/tickets" && r.Status == 201:
			sawOpen = r.Actor == e.Actor && r.ActorRole == "admin" && r.RequestID == e.RequestID && r.CorrelationID == "client-chosen-42"
		}
	}
	if !sawDenied || !sawOpen {
		t.Fatalf("records %+v: want the denied request and the open with the event's request id", records)
	}
	st, _ := js.Stream(ctx, auditlog.AccessStream)
	if cfg := st.CachedInfo().Config; cfg.MaxAge != 200*24*time.Hour || !cfg.DenyDelete || !cfg.DenyPurge || cfg.Storage != jetstream.FileStorage {
		t.Fatalf("AUDIT stream config %+v", cfg)
	}
}

func accessRecords(t *testing.T, js jetstream.JetStream) []auditlog.AccessRecord {
	t.Helper()
	ctx := context.Background()
	cons, err := js.OrderedConsumer(ctx, auditlog.AccessStream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(100, jetstream.FetchMaxWait(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var out []auditlog.AccessRecord
	for m := range batch.Messages() {
		records, err := auditlog.DecodeAccessRecords(m.Data())
		if err != nil {
			t.Fatal(err)
		}
		if n := m.Headers().Get(auditlog.HeaderRecords); n != strconv.Itoa(len(records)) {
			t.Fatalf("message says %s records, holds %d", n, len(records))
		}
		out = append(out, records...)
	}
	return out
}
