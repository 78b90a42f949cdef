package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
)

// replayFixture starts NATS with a registered user and a ticket opened and
// replied to, and returns the server URL and the ids.
func replayFixture(t *testing.T) (url, user, tk string) {
	t.Helper()
	srv, nc := natsembed.StartForTest(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	store, err := eventstore.NewJetStream(context.Background(), js, subjects.ServiceIdentity, subjects.ServiceTicket)
	if err != nil {
		t.Fatal(err)
	}
	user, tk = uuid.NewString(), uuid.NewString()
	at := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	reg, _ := json.Marshal(identityapi.UserRegistered{Username: "wang.fang", DisplayName: "Wang Fang", Role: "customer", PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"})
	for i, ev := range []struct {
		agg        subjects.Aggregate
		typ, actor string
		data       string
	}{
		{subjects.User(user), identityapi.EventUserRegistered, "admin-1", string(reg)},
		{subjects.Ticket(tk), "ticket.opened", user, `{"title":"打印机坏了 <急>"}`},
		{subjects.Ticket(tk), "ticket.replied", "agent-1", `{"body":"on it, \"quoted\", with a comma"}`},
	} {
		evs, _ := store.Load(context.Background(), ev.agg)
		var version uint64
		if len(evs) > 0 {
			version = evs[len(evs)-1].AggregateVersion
		}
		e := events.Envelope{ID: uuid.Must(uuid.NewV7()).String(), Type: ev.typ, SchemaVersion: 1, Source: "/helpdesk/" + ev.agg.Service,
			AggregateType: ev.agg.Type, AggregateID: ev.agg.ID, OccurredAt: at.Add(time.Duration(i) * time.Minute), Actor: ev.actor,
			CorrelationID: "corr-" + ev.typ, Data: json.RawMessage(ev.data)}
		if _, err := store.Append(context.Background(), ev.agg, []events.Envelope{e}, eventstore.AppendOptions{ExpectedVersion: version}); err != nil {
			t.Fatal(err)
		}
	}
	return srv.ClientURL(), user, tk
}

func TestReplay_jsonl(t *testing.T) {
	url, user, tk := replayFixture(t)
	var out, errOut bytes.Buffer
	if err := run([]string{"replay", "--nats-url", url}, &out, &errOut); err != nil {
		t.Fatalf("replay: %v\n%s", err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 lines, got:\n%s", out.String())
	}
	var got []events.Envelope
	for _, l := range lines {
		var e events.Envelope
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		got = append(got, e)
	}
	if got[0].Type != identityapi.EventUserRegistered || got[0].AggregateID != user || got[1].AggregateID != tk || got[2].Type != "ticket.replied" {
		t.Fatalf("events out of order or wrong: %+v", got)
	}
	if strings.Contains(out.String(), "argon2id") || !strings.Contains(string(got[0].Data), `"password_hash":"[redacted]"`) {
		t.Fatalf("the password hash was not redacted: %s", got[0].Data)
	}
	if !strings.Contains(lines[1], `"title":"打印机坏了 <急>"`) {
		t.Fatalf("the title is not as written: %s", lines[1])
	}
	if !strings.Contains(errOut.String(), "replay done: 3 events matched, 3 read") {
		t.Fatalf("summary on stderr: %q", errOut.String())
	}

	out.Reset()
	if err := run([]string{"replay", "--nats-url", url, "--aggregate", "ticket/" + tk, "--actor", "agent-1"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != 1 || !strings.Contains(out.String(), `"type":"ticket.replied"`) {
		t.Fatalf("filtered replay gave %d lines:\n%s", n, out.String())
	}
}

func TestReplay_csv(t *testing.T) {
	url, _, tk := replayFixture(t)
	var out, errOut bytes.Buffer
	if err := run([]string{"replay", "--nats-url", url, "--format", "csv", "--type", "ticket.*", "--progress-events", "1"}, &out, &errOut); err != nil {
		t.Fatalf("replay: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{"replay: 1 matched of 2 read", "replay: 2 matched of 3 read", "replay done: 2 events matched, 3 read"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v", err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(replayColumns, ",") {
		t.Fatalf("rows: %q", rows)
	}
	row := map[string]string{}
	for i, col := range rows[2] {
		row[rows[0][i]] = col
	}
	want := map[string]string{
		"occurred_at": "2026-11-20T02:02:00Z", "service": "ticket", "stream_seq": "2", "aggregate_type": "ticket",
		"aggregate_id": tk, "aggregate_version": "2", "type": "ticket.replied", "actor": "agent-1",
		"correlation_id": "corr-ticket.replied", "data": `{"body":"on it, \"quoted\", with a comma"}`,
	}
	for col, v := range want {
		if row[col] != v {
			t.Errorf("column %s = %q, want %q", col, row[col], v)
		}
	}
}

func TestReplay_rejects_bad_flags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"replay", "--format", "xml"}, "--format"},
		{[]string{"replay", "--from", "last tuesday"}, "from"},
		{[]string{"replay", "--service", "billing"}, "service"},
	} {
		err := run(tt.args, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run %v = %v, want an error naming %s", tt.args, err, tt.want)
		}
	}
}

// TestCSVCell_neutralises_formulas: a client chooses its correlation id
// (X-Request-Id) and other text that reaches the CSV; a cell that a
// spreadsheet would run as a formula is written as text.
func TestCSVCell_neutralises_formulas(t *testing.T) {
	for _, tt := range []struct {
		col, json, want string
	}{
		{"correlation_id", `"=HYPERLINK(\"http://evil.example\",\"x\")"`, `'=HYPERLINK("http://evil.example","x")`},
		{"correlation_id", `"+1+cmd"`, `'+1+cmd`},
		{"actor", `"-2+3"`, `'-2+3`},
		{"request_id", `"@SUM(A1)"`, `'@SUM(A1)`},
		{"aggregate_id", "\"\\t=1\"", "'\t=1"},
		{"correlation_id", `"corr-1"`, `corr-1`},
		{"stream_seq", `12`, `12`},
		{"data", `{"title":"=1+1"}`, `{"title":"=1+1"}`},
		{"source_ip", ``, ``},
	} {
		if got := csvCell(tt.col, json.RawMessage(tt.json)); got != tt.want {
			t.Errorf("csvCell(%s, %s) = %q, want %q", tt.col, tt.json, got, tt.want)
		}
	}
}
