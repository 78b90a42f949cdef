package auditlog_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/events"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/auditlog"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
)

type note struct {
	Text string `json:"text"`
}

func (note) EventType() string  { return "thing.noted" }
func (note) SchemaVersion() int { return 1 }

func newEvent(t *testing.T, agg subjects.Aggregate, text string) events.Envelope {
	t.Helper()
	e, err := events.New("/helpdesk/test", agg.Type, agg.ID, note{Text: text}, time.Now(), events.Metadata{
		Actor: "u1", ActorRole: "agent", SourceIP: "198.51.100.4", RequestID: uuid.NewString(), CorrelationID: "c1",
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// history writes events through the real store: a legacy event (stored
// before the chain) followed by chained ones, single appends, an atomic
// batch and a chain, interleaved over three aggregates. It returns the
// events in stream order.
func history(t *testing.T, js jetstream.JetStream) []events.Envelope {
	t.Helper()
	ctx := context.Background()
	store, err := eventstore.NewJetStream(ctx, js, "ticket")
	if err != nil {
		t.Fatal(err)
	}
	agg := func() subjects.Aggregate { return subjects.Ticket(uuid.Must(uuid.NewV7()).String()) }
	a, b, c := agg(), agg(), agg()
	legacy := newEvent(t, a, "before the chain")
	if _, err := js.PublishMsg(ctx, eventstore.EncodeMsg(a.Subject(), legacy)); err != nil {
		t.Fatal(err)
	}
	versions := map[string]uint64{}
	evs, _ := store.Load(ctx, a)
	versions[a.ID] = evs[0].AggregateVersion
	write := func(ref subjects.Aggregate, chain bool, texts ...string) {
		t.Helper()
		var envs []events.Envelope
		for _, s := range texts {
			envs = append(envs, newEvent(t, ref, s))
		}
		opts := eventstore.AppendOptions{ExpectedVersion: versions[ref.ID]}
		if chain {
			_, err = store.AppendChain(ctx, ref, envs, opts)
		} else {
			_, err = store.Append(ctx, ref, envs, opts)
		}
		if err != nil {
			t.Fatal(err)
		}
		versions[ref.ID] = envs[len(envs)-1].AggregateVersion
	}
	write(a, false, "a1")
	write(b, false, "b1")
	write(c, false, "c1")
	write(b, false, "b2", "b3", "b4")
	write(a, false, "a2")
	write(c, true, "c2", "c3", "c4", "c5")
	write(b, false, "b5")
	write(a, true, "a3")
	var all []events.Envelope
	for _, ref := range []subjects.Aggregate{a, b, c} {
		evs, err := store.Load(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, evs...)
	}
	bySeq := make([]events.Envelope, len(all))
	for _, e := range all {
		bySeq[e.AggregateVersion-1] = e
	}
	return bySeq
}

func text(t *testing.T, e events.Envelope) string {
	var n note
	if err := e.Decode(&n); err != nil {
		t.Fatal(err)
	}
	return n.Text
}

// tamperedCopy republishes every message of EVENTS_TICKET into a new
// stream, as someone restoring an edited backup would: edit may change a
// message or drop it (nil). It returns the copy's stream name and the copy
// sequence of each event id.
func tamperedCopy(t *testing.T, js jetstream.JetStream, name string, edit func(m *nats.Msg) *nats.Msg) map[string]uint64 {
	t.Helper()
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{name + ".>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	cons, err := js.OrderedConsumer(ctx, "EVENTS_TICKET", jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := js.Stream(ctx, "EVENTS_TICKET")
	total := st.CachedInfo().State.Msgs
	seqs := map[string]uint64{}
	for read := uint64(0); read < total; read++ {
		m, err := cons.Next(jetstream.FetchMaxWait(2 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		out := nats.NewMsg(name + "." + m.Subject())
		for k, v := range m.Headers() {
			if !strings.HasPrefix(k, "Nats-") { // the server's own, e.g. the expected sequence
				out.Header[k] = v
			}
		}
		out.Data = append([]byte(nil), m.Data()...)
		if out = edit(out); out == nil {
			continue
		}
		ack, err := js.PublishMsg(ctx, out)
		if err != nil {
			t.Fatal(err)
		}
		seqs[out.Header.Get(events.HeaderID)] = ack.Sequence
	}
	return seqs
}

func TestVerify_untouched_log_is_intact(t *testing.T) {
	t.Parallel()
	_, nc := natsembed.StartForTest(t)
	js, _ := jetstream.New(nc)
	evs := history(t, js)
	var progress []auditlog.Progress
	rep, err := auditlog.Verify(context.Background(), js, auditlog.VerifyOptions{
		Progress: func(p auditlog.Progress) { progress = append(progress, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Broken != nil || rep.Events != len(evs) || rep.Legacy != 1 || rep.Chained != len(evs)-1 || rep.Subjects != 3 ||
		len(rep.Streams) != 1 || rep.Streams[0] != "EVENTS_TICKET" {
		t.Fatalf("report = %+v, broken %v; want %d events, 1 legacy, 3 subjects, intact", rep, rep.Broken, len(evs))
	}
	if len(progress) == 0 {
		t.Error("no progress reported")
	}
}

// TestVerify_tampered_copies edits and deletes stored events in copies of
// the log and checks that Verify names the first broken link exactly; an
// untampered copy verifies clean.
func TestVerify_tampered_copies(t *testing.T) {
	t.Parallel()
	_, nc := natsembed.StartForTest(t)
	js, _ := jetstream.New(nc)
	evs := history(t, js)
	find := func(s string) events.Envelope {
		for _, e := range evs {
			if text(t, e) == s {
				return e
			}
		}
		t.Fatalf("no event %q", s)
		return events.Envelope{}
	}
	is := func(m *nats.Msg, s string) bool { return m.Header.Get(events.HeaderID) == find(s).ID }
	tests := []struct {
		name   string
		edit   func(m *nats.Msg) *nats.Msg
		broken string // the text of the event reported, "" for intact
		want   auditlog.Problem
	}{
		{"untampered copy", func(m *nats.Msg) *nats.Msg { return m }, "", ""},
		{"data of a batch event edited", func(m *nats.Msg) *nats.Msg {
			if is(m, "b3") {
				m.Data, _ = json.Marshal(note{Text: "b3 changed"})
			}
			return m
		}, "b3", auditlog.ProblemEdited},
		{"actor header edited", func(m *nats.Msg) *nats.Msg {
			if is(m, "c3") {
				m.Header.Set(events.HeaderActor, "someone-else")
			}
			return m
		}, "c3", auditlog.ProblemEdited},
		{"edited and rehashed", func(m *nats.Msg) *nats.Msg {
			if is(m, "a2") {
				e, _ := eventstore.DecodeMsg(m.Subject, m.Header, m.Data, 1)
				e.SourceIP = "192.0.2.1"
				e.Hash = e.ChainHash(e.PrevHash)
				m.Header = eventstore.EncodeMsg(m.Subject, e).Header
			}
			return m
		}, "a3", auditlog.ProblemMissing},
		{"event of a chain deleted", func(m *nats.Msg) *nats.Msg {
			if is(m, "c3") {
				return nil
			}
			return m
		}, "c4", auditlog.ProblemMissing},
		{"first chained event deleted", func(m *nats.Msg) *nats.Msg {
			if is(m, "b1") {
				return nil
			}
			return m
		}, "b2", auditlog.ProblemMissing},
		{"hash removed", func(m *nats.Msg) *nats.Msg {
			if is(m, "b5") {
				m.Header.Del(events.HeaderHash)
				m.Header.Del(events.HeaderPrevHash)
			}
			return m
		}, "b5", auditlog.ProblemUnchained},
		{"event moved to another aggregate's subject", func(m *nats.Msg) *nats.Msg {
			if is(m, "a1") {
				m.Subject = strings.Replace(m.Subject, find("a1").AggregateID, find("b1").AggregateID, 1)
			}
			return m
		}, "a1", auditlog.ProblemMoved},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "COPY" + string(rune('A'+i))
			seqs := tamperedCopy(t, js, name, tt.edit)
			rep, err := auditlog.Verify(context.Background(), js, auditlog.VerifyOptions{Streams: []string{name}})
			if err != nil {
				t.Fatal(err)
			}
			if tt.broken == "" {
				if rep.Broken != nil || rep.Chained != len(evs)-1 || rep.Legacy != 1 {
					t.Fatalf("untampered copy: %+v, broken %v", rep, rep.Broken)
				}
				return
			}
			e := find(tt.broken)
			b := rep.Broken
			if b == nil {
				t.Fatalf("tampering not found: %+v", rep)
			}
			subject := name + "." + subjects.Ticket(e.AggregateID).Subject()
			if tt.want == auditlog.ProblemMoved {
				subject = strings.Replace(subject, e.AggregateID, find("b1").AggregateID, 1)
			}
			if b.Stream != name || b.EventID != e.ID || b.Sequence != seqs[e.ID] || b.Problem != tt.want || b.Subject != subject {
				t.Fatalf("broken link %s\nwant event %q (%s) at %s sequence %d: %s", b, tt.broken, e.ID, name, seqs[e.ID], tt.want)
			}
		})
	}
}

// TestEventStreams_deny_delete_cannot_be_lifted: the event streams'
// protection against deletes and purges cannot be switched off by a
// stream update, so in-place tampering needs the server's files.
func TestEventStreams_deny_delete_cannot_be_lifted(t *testing.T) {
	t.Parallel()
	_, nc := natsembed.StartForTest(t)
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	if _, err := eventstore.NewJetStream(ctx, js, "ticket"); err != nil {
		t.Fatal(err)
	}
	st, _ := js.Stream(ctx, "EVENTS_TICKET")
	for _, lift := range []func(*jetstream.StreamConfig){
		func(c *jetstream.StreamConfig) { c.DenyDelete = false },
		func(c *jetstream.StreamConfig) { c.DenyPurge = false },
	} {
		cfg := st.CachedInfo().Config
		lift(&cfg)
		if _, err := js.UpdateStream(ctx, cfg); err == nil {
			t.Fatalf("update to %+v succeeded", cfg)
		}
	}
}

// TestVerify_stream_trimmed_by_a_limits_update: a stream update may set
// limits on an event stream, which NATS allows despite DenyDelete and
// DenyPurge, and so drop its oldest events; Verify reports the gap.
func TestVerify_stream_trimmed_by_a_limits_update(t *testing.T) {
	t.Parallel()
	_, nc := natsembed.StartForTest(t)
	js, _ := jetstream.New(nc)
	evs := history(t, js)
	ctx := context.Background()
	st, _ := js.Stream(ctx, "EVENTS_TICKET")
	cfg := st.CachedInfo().Config
	cfg.MaxMsgs = int64(len(evs) - 2)
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatalf("limits update refused (then this loophole is closed): %v", err)
	}
	rep, err := auditlog.Verify(ctx, js, auditlog.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b := rep.Broken; b == nil || b.Problem != auditlog.ProblemGap || b.Sequence != 3 || b.EventID != evs[2].ID {
		t.Fatalf("broken link %v, want a gap before sequence 3 (event %s)", rep.Broken, evs[2].ID)
	}
}
