package main

import (
	"bytes"
	"context"
	"errors"
	"io"
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

// TestAudit_verify runs `helpdesk audit verify` on a log written through
// the event store, then on a copy of it with one event's data edited: the
// first passes, the second names the edited event and exits non-zero.
func TestAudit_verify(t *testing.T) {
	t.Parallel()
	srv, nc := natsembed.StartForTest(t)
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	store, err := eventstore.NewJetStream(ctx, js, subjects.ServiceTicket)
	if err != nil {
		t.Fatal(err)
	}
	tk := subjects.Ticket(uuid.NewString())
	var version uint64
	var ids []string
	for i := range 3 {
		e := events.Envelope{ID: uuid.Must(uuid.NewV7()).String(), Type: "ticket.replied", SchemaVersion: 1, Source: "/helpdesk/ticket",
			AggregateType: tk.Type, AggregateID: tk.ID, OccurredAt: time.Now(), Actor: "agent-1", ActorRole: "agent",
			Data: []byte(`{"body":"第` + string(rune('1'+i)) + `次"}`)}
		res, err := store.Append(ctx, tk, []events.Envelope{e}, eventstore.AppendOptions{ExpectedVersion: version})
		if err != nil {
			t.Fatal(err)
		}
		version, ids = res.Version, append(ids, e.ID)
	}

	var out, progress bytes.Buffer
	if err := run([]string{"audit", "verify", "--nats-url", srv.ClientURL()}, &out, &progress); err != nil {
		t.Fatalf("verify of an intact log: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "3 events in 1 subjects of [EVENTS_TICKET]: 3 chained, 0 unchained (legacy)") ||
		!strings.Contains(out.String(), "intact") || !strings.Contains(progress.String(), "EVENTS_TICKET: 3/3 events") {
		t.Fatalf("output:\n%s\nprogress:\n%s", out.String(), progress.String())
	}

	// A restored backup with the second event's data edited.
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "RESTORED", Subjects: []string{"restored.>"}}); err != nil {
		t.Fatal(err)
	}
	st, _ := js.Stream(ctx, "EVENTS_TICKET")
	for seq := uint64(1); seq <= 3; seq++ {
		raw, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		m := nats.NewMsg("restored." + raw.Subject)
		for _, h := range []string{events.HeaderID, events.HeaderType, events.HeaderSource, events.HeaderSubject, events.HeaderTime,
			events.HeaderSchemaVersion, events.HeaderAggregateType, events.HeaderActor, events.HeaderActorRole, events.HeaderHash, events.HeaderPrevHash} {
			m.Header.Set(h, raw.Header.Get(h))
		}
		m.Data = raw.Data
		if seq == 2 {
			m.Data = []byte(`{"body":"改过了"}`)
		}
		if _, err := js.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	out.Reset()
	err = run([]string{"audit", "verify", "--stream", "RESTORED", "--nats-url", srv.ClientURL()}, &out, io.Discard)
	if !errors.Is(err, errChainBroken) {
		t.Fatalf("verify of an edited copy: %v, want errChainBroken\n%s", err, out.String())
	}
	for _, want := range []string{"BROKEN at RESTORED sequence 2", "event:   " + ids[1], "content hash mismatch", "restored." + tk.Subject()} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestRun_refuses_short_audit_retention: less than six months of audit
// retention stops `helpdesk up` and `helpdesk gateway` before anything
// starts; six months passes the check.
func TestRun_refuses_short_audit_retention(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"up", "--data-dir", t.TempDir(), "--audit-retention-days", "183"}, "--audit-retention-days: audit retention is 183 days: audit data must be kept at least six months (184 days)"},
		{[]string{"gateway", "--audit-retention-days", "30", "--nats-url", "nats://127.0.0.1:1"}, "at least six months (184 days)"},
		{[]string{"gateway", "--audit-retention-days", "184", "--nats-url", "nats://127.0.0.1:1"}, "connect to nats://127.0.0.1:1"},
	} {
		err := run(tt.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run %v = %v, want an error with %q", tt.args, err, tt.want)
		}
	}
}
