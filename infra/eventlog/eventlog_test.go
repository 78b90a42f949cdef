package eventlog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventlog"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
)

// t0 is the time the seeded history starts.
var t0 = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

// seeded is a small history in three streams, written out of time order
// across streams so that the merge has work to do.
type seeded struct {
	reader *eventlog.Reader
	store  *eventstore.JetStream
	t1, t2 string
	user   string
	// all is every event label in occurred_at order.
	all []string
}

func seed(t *testing.T) seeded {
	t.Helper()
	_, nc := natsembed.StartForTest(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	store, err := eventstore.NewJetStream(context.Background(), js, subjects.ServiceTicket, subjects.ServiceIdentity, subjects.ServiceKnowledge)
	if err != nil {
		t.Fatal(err)
	}
	s := seeded{reader: eventlog.NewReader(js), store: store, t1: uuid.NewString(), t2: uuid.NewString(), user: uuid.NewString()}
	article := uuid.NewString()
	reg, _ := json.Marshal(identityapi.UserRegistered{Username: "li.na", DisplayName: "Li Na", Role: "agent", PasswordHash: "$argon2id$v=19$secret"})
	appendEv(t, store, subjects.Ticket(s.t1), "ticket.opened", "cust-1", t0, `{"title":"printer"}`)
	appendEv(t, store, subjects.Ticket(s.t1), "ticket.replied", "agent-1", t0.Add(time.Hour), `{"body":"on it"}`)
	appendEv(t, store, subjects.Ticket(s.t2), "ticket.opened", "cust-2", t0.Add(2*time.Hour), `{"title":"vpn"}`)
	appendEv(t, store, subjects.Ticket(s.t1), "ticket.resolved", "agent-1", t0.Add(3*time.Hour), `{"resolution":"fixed"}`)
	appendEv(t, store, subjects.User(s.user), "user.registered", "admin-1", t0.Add(30*time.Minute), string(reg))
	appendEv(t, store, subjects.Article(article), "article.drafted", "agent-1", t0.Add(90*time.Minute), `{"title":"VPN"}`)
	s.all = []string{"ticket.opened@" + s.t1, "user.registered@" + s.user, "ticket.replied@" + s.t1,
		"article.drafted@" + article, "ticket.opened@" + s.t2, "ticket.resolved@" + s.t1}
	return s
}

func appendEv(t *testing.T, store *eventstore.JetStream, agg subjects.Aggregate, typ, actor string, at time.Time, data string) {
	t.Helper()
	evs, err := store.Load(context.Background(), agg)
	if err != nil {
		t.Fatal(err)
	}
	var version uint64
	if len(evs) > 0 {
		version = evs[len(evs)-1].AggregateVersion
	}
	e := events.Envelope{ID: uuid.Must(uuid.NewV7()).String(), Type: typ, SchemaVersion: 1, Source: "/helpdesk/" + agg.Service,
		AggregateType: agg.Type, AggregateID: agg.ID, OccurredAt: at, Actor: actor, Data: json.RawMessage(data)}
	if _, err := store.Append(context.Background(), agg, []events.Envelope{e}, eventstore.AppendOptions{ExpectedVersion: version}); err != nil {
		t.Fatal(err)
	}
}

func label(e eventlog.Event) string { return e.Envelope.Type + "@" + e.Envelope.AggregateID }

// scanAll runs a scan to its end and returns the labels and the stats.
func scanAll(t *testing.T, r *eventlog.Reader, p eventlog.Params) ([]string, eventlog.Stats) {
	t.Helper()
	f, err := eventlog.ParseFilter(p)
	if err != nil {
		t.Fatal(err)
	}
	scan, err := r.Open(context.Background(), f, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer scan.Close()
	var got []string
	for {
		ev, ok, err := scan.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return got, scan.Stats()
		}
		got = append(got, label(ev))
	}
}

func TestScan_filters(t *testing.T) {
	s := seed(t)
	pick := func(idx ...int) []string {
		out := []string{}
		for _, i := range idx {
			out = append(out, s.all[i])
		}
		return out
	}
	rfc := func(d time.Duration) string { return t0.Add(d).In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339) }
	for _, tt := range []struct {
		name        string
		params      eventlog.Params
		want        []string
		wantScanned int
	}{
		{"everything, merged by occurred_at", eventlog.Params{}, s.all, 6},
		{"one service", eventlog.Params{Service: "ticket"}, pick(0, 2, 4, 5), 4},
		{"one aggregate by type and id", eventlog.Params{Aggregate: "ticket/" + s.t1}, pick(0, 2, 5), 3},
		{"one aggregate by id alone", eventlog.Params{Aggregate: s.t2}, pick(4), 1},
		{"every aggregate of a type", eventlog.Params{Aggregate: "user/*"}, pick(1), 1},
		{"type prefix", eventlog.Params{Type: "ticket.*"}, pick(0, 2, 4, 5), 6},
		{"type list", eventlog.Params{Type: "ticket.opened, user.registered"}, pick(0, 1, 4), 6},
		{"actor", eventlog.Params{Actor: "agent-1"}, pick(2, 3, 5), 6},
		{"window: from inclusive, to exclusive", eventlog.Params{From: rfc(time.Hour), To: rfc(3 * time.Hour)}, pick(2, 3, 4), 6},
		{"everything combined", eventlog.Params{Service: "ticket", Aggregate: "ticket/" + s.t1, Type: "ticket.replied,ticket.resolved", Actor: "agent-1", From: rfc(2 * time.Hour)}, pick(5), 3},
		{"from far ahead of the store's clock reads nothing", eventlog.Params{From: time.Now().Add(time.Hour).Format(time.RFC3339)}, []string{}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, stats := scanAll(t, s.reader, tt.params)
			if got == nil {
				got = []string{}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got\n %v\nwant\n %v", got, tt.want)
			}
			if stats.Matched != len(tt.want) || stats.Scanned != tt.wantScanned {
				t.Errorf("stats %+v, want %d matched and %d scanned", stats, len(tt.want), tt.wantScanned)
			}
		})
	}
}

func TestScan_redacts_secrets(t *testing.T) {
	s := seed(t)
	f, _ := eventlog.ParseFilter(eventlog.Params{Type: "user.registered"})
	items, _, err := s.reader.Page(context.Background(), f, nil, 10, 0)
	if err != nil || len(items) != 1 {
		t.Fatalf("got %d events, %v", len(items), err)
	}
	var data map[string]any
	if err := json.Unmarshal(items[0].Envelope.Data, &data); err != nil {
		t.Fatal(err)
	}
	if data["password_hash"] != eventlog.Redacted || data["username"] != "li.na" || data["role"] != "agent" {
		t.Fatalf("data after redaction: %v", data)
	}
	if strings.Contains(string(items[0].Envelope.Data), "argon2id") {
		t.Fatalf("the hash leaked: %s", items[0].Envelope.Data)
	}
}

func TestRedact(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"title":"a","n":12345678901234567890}`, `{"title":"a","n":12345678901234567890}`},
		{`{"password_hash":"x","b":"<a & b>"}`, `{"b":"<a & b>","password_hash":"[redacted]"}`},
		{`{"temporary_password":"p","key":{"secret_hash":"h","name":"k"}}`, `{"key":{"name":"k","secret_hash":"[redacted]"},"temporary_password":"[redacted]"}`},
		{`{"items":[{"reset_token":"t"}]}`, `{"items":[{"reset_token":"[redacted]"}]}`},
		{`"not an object"`, `"not an object"`},
	} {
		if got := string(eventlog.Redact(json.RawMessage(tt.in))); got != tt.want {
			t.Errorf("Redact(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestPage_no_gaps_no_repeats pages through the log at every page size and
// with events appended between pages: the pages together are the whole
// result, once each.
func TestPage_no_gaps_no_repeats(t *testing.T) {
	s := seed(t)
	for _, tt := range []struct {
		params eventlog.Params
		want   []string
	}{
		{eventlog.Params{}, s.all},
		{eventlog.Params{Actor: "agent-1"}, []string{s.all[2], s.all[3], s.all[5]}},
	} {
		f, err := eventlog.ParseFilter(tt.params)
		if err != nil {
			t.Fatal(err)
		}
		for limit := 1; limit <= len(tt.want)+1; limit++ {
			t.Run(fmt.Sprintf("%+v/limit %d", tt.params, limit), func(t *testing.T) {
				got := pageAll(t, s.reader, f, limit)
				if !slices.Equal(got, tt.want) {
					t.Fatalf("pages gave\n %v\nwant\n %v", got, tt.want)
				}
			})
		}
	}

	t.Run("events appended between pages come once, on a later page", func(t *testing.T) {
		f, _ := eventlog.ParseFilter(eventlog.Params{})
		first, next, err := s.reader.Page(context.Background(), f, nil, 4, 0)
		if err != nil || next == "" {
			t.Fatalf("first page: %v, next %q", err, next)
		}
		appendEv(t, s.store, subjects.Ticket(s.t2), "ticket.replied", "agent-2", t0.Add(time.Minute), `{"body":"late"}`)
		got := labels(first)
		for next != "" {
			cur, err := eventlog.DecodeCursor(next, f)
			if err != nil {
				t.Fatal(err)
			}
			var items []eventlog.Event
			if items, next, err = s.reader.Page(context.Background(), f, cur, 4, 0); err != nil {
				t.Fatal(err)
			}
			got = append(got, labels(items)...)
		}
		want := append(slices.Clone(s.all), "ticket.replied@"+s.t2)
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	})
}

// TestPage_paused_by_its_budget pages with a budget too small to read more
// than one event a page: pages come short, even empty, but each moves on,
// and together they are the whole result.
func TestPage_paused_by_its_budget(t *testing.T) {
	s := seed(t)
	for _, p := range []eventlog.Params{{}, {Type: "ticket.resolved"}} {
		f, _ := eventlog.ParseFilter(p)
		var got []string
		cur := eventlog.Cursor{}
		short := 0
		for pages := 0; ; pages++ {
			if pages > 3*len(s.all) {
				t.Fatalf("%+v: paging does not end", p)
			}
			items, next, err := s.reader.Page(context.Background(), f, cur, 10, time.Nanosecond)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, labels(items)...)
			if next == "" {
				break
			}
			short++
			if cur, err = eventlog.DecodeCursor(next, f); err != nil {
				t.Fatal(err)
			}
		}
		want := s.all
		if p.Type != "" {
			want = []string{s.all[5]}
		}
		if !slices.Equal(got, want) || short == 0 {
			t.Fatalf("%+v: got %v after %d short pages, want %v", p, got, short, want)
		}
	}
}

func pageAll(t *testing.T, r *eventlog.Reader, f eventlog.Filter, limit int) []string {
	t.Helper()
	var got []string
	cur := eventlog.Cursor{}
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("paging does not end")
		}
		items, next, err := r.Page(context.Background(), f, cur, limit, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) > limit || (next != "" && len(items) != limit) {
			t.Fatalf("page of %d items with next %q at limit %d", len(items), next, limit)
		}
		got = append(got, labels(items)...)
		if next == "" {
			return got
		}
		if cur, err = eventlog.DecodeCursor(next, f); err != nil {
			t.Fatal(err)
		}
	}
}

func labels(evs []eventlog.Event) []string {
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		out = append(out, label(e))
	}
	return out
}

func TestParseFilter_rejects(t *testing.T) {
	for _, tt := range []struct {
		params eventlog.Params
		field  string
	}{
		{eventlog.Params{Service: "billing"}, "service"},
		{eventlog.Params{Aggregate: "ticket/a.b"}, "aggregate"},
		{eventlog.Params{Aggregate: "tick et/1"}, "aggregate"},
		{eventlog.Params{Aggregate: "*"}, "aggregate"},
		{eventlog.Params{Aggregate: "ticket/"}, "aggregate"},
		{eventlog.Params{Type: "ticket.>"}, "type"},
		{eventlog.Params{Type: "ticket.opened,"}, "type"},
		{eventlog.Params{Type: "*"}, "type"},
		{eventlog.Params{Actor: "a b"}, "actor"},
		{eventlog.Params{From: "yesterday"}, "from"},
		{eventlog.Params{To: "2026-11-20"}, "to"},
		{eventlog.Params{From: "2026-11-20T10:00:00Z", To: "2026-11-20T10:00:00Z"}, "to"},
	} {
		_, err := eventlog.ParseFilter(tt.params)
		p := problem.As(err)
		if p == nil || p.Code != problem.CodeInvalidArgument || len(p.Fields) != 1 || p.Fields[0].Field != tt.field {
			t.Errorf("ParseFilter(%+v) = %v, want an invalid_argument on %s", tt.params, err, tt.field)
		}
	}
}

func TestDecodeCursor_rejects(t *testing.T) {
	f, _ := eventlog.ParseFilter(eventlog.Params{Service: "ticket"})
	other, _ := eventlog.ParseFilter(eventlog.Params{Service: "identity"})
	good := eventlog.Cursor{subjects.Stream("ticket"): 3}.Encode(f)
	if c, err := eventlog.DecodeCursor(good, f); err != nil || c[subjects.Stream("ticket")] != 3 {
		t.Fatalf("round trip: %v %v", c, err)
	}
	for _, s := range []string{"!!", "bm90IGpzb24", good[:len(good)-3], eventlog.Cursor{"EVENTS_X": 1}.Encode(f)} {
		if p := problem.As(errOf(eventlog.DecodeCursor(s, f))); p == nil || p.Fields[0].Field != "cursor" {
			t.Errorf("DecodeCursor(%q) accepted or wrong error", s)
		}
	}
	if _, err := eventlog.DecodeCursor(good, other); err == nil {
		t.Error("a cursor was accepted with other filters")
	}
	// Times 2^64 ns apart (UnixNano wraps) are other filters too.
	y2500, _ := eventlog.ParseFilter(eventlog.Params{From: "2500-01-01T00:00:00Z"})
	y3084, _ := eventlog.ParseFilter(eventlog.Params{From: "3084-07-21T23:34:33.709551616Z"})
	if _, err := eventlog.DecodeCursor(eventlog.Cursor{subjects.Stream("ticket"): 3}.Encode(y2500), y3084); err == nil {
		t.Error("a cursor of from=2500 was accepted with from=3084")
	}
}

func errOf(_ eventlog.Cursor, err error) error { return err }
