package adapters_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/infra/projection/projectiontest"
	"helpdesk/infra/sqlstore"
	"helpdesk/infra/sqlstore/sqlstoretest"
	"helpdesk/services/callrecord/adapters"
)

var t0 = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC) // 09:00 in Beijing

func sec(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

func newList(t *testing.T, db *sqlstore.DB) *adapters.CallList {
	t.Helper()
	list := adapters.NewCallList(db)
	projectiontest.Migrate(t, db, list)
	return list
}

// apply folds envelopes into the read model in one transaction, the way the
// projection runner does.
func apply(t *testing.T, db *sqlstore.DB, list *adapters.CallList, envs ...events.Envelope) {
	t.Helper()
	projectiontest.Apply(t, db, list, envs...)
}

func envelope(t *testing.T, aggregateType, id string, p events.Payload, at time.Time) events.Envelope {
	t.Helper()
	e, err := events.New(callapi.Source, aggregateType, id, p, at, events.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// board is an event of the hotline board.
func board(t *testing.T, p events.Payload, at time.Time) events.Envelope {
	return envelope(t, callapi.AggregateHotline, callapi.BoardID, p, at)
}

// ofCall is an event of the call callID's own aggregate.
func ofCall(t *testing.T, callID string, p events.Payload, at time.Time) events.Envelope {
	return envelope(t, callapi.AggregateCall, callapi.CallAggregateID(callID), p, at)
}

func get(t *testing.T, list *adapters.CallList, callID string, admin bool) callapi.Call {
	t.Helper()
	c, ok, err := list.Get(context.Background(), callID, admin)
	if err != nil || !ok {
		t.Fatalf("Get(%s) = %v, %v", callID, ok, err)
	}
	return c
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ptr[T any](v T) *T { return &v }

// ring is the decision to ring an agent for a call.
func ring(callID, agent, extension, work string) callapi.Routing {
	return callapi.Routing{CallID: callID, Action: callapi.ActionRing,
		Agent: &callapi.AgentRef{ID: agent, Extension: extension, WorkNumber: work}}
}

// queue is the decision to keep a call waiting at position.
func queue(callID string, position int) callapi.Routing {
	return callapi.Routing{CallID: callID, Action: callapi.ActionQueue, QueuePosition: position}
}

// TestCallList_folds_a_call checks the call's status, agent and queue
// position after each event, the whole view at the end, and that every
// event applied again, all of them or one alone, leaves the view as it was.
func TestCallList_folds_a_call(t *testing.T) {
	t.Parallel()
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		list := newList(t, db)
		const id = "1700000000.12"
		keepUntil := time.Date(2026, 3, 18, 16, 0, 0, 0, time.UTC)
		steps := []struct {
			env    events.Envelope
			status string
			agent  string
			queue  int
		}{
			{board(t, callapi.CallReceived{CallID: id, Caller: "13812345678", Hotline: "4001234567", Skill: "exam", Routing: queue(id, 2)}, sec(0)), "queued", "", 2},
			{board(t, callapi.AgentStateChanged{AgentID: "a1", State: callapi.StateReady, Routing: ptr(ring(id, "a1", "8001", "1001"))}, sec(5)), "ringing", "a1", 0},
			{board(t, callapi.CallNotAnswered{CallID: id, AgentID: "a1", Routing: queue(id, 1)}, sec(20)), "queued", "", 1},
			{board(t, callapi.AgentStateChanged{AgentID: "a2", State: callapi.StateReady, Routing: ptr(ring(id, "a2", "8002", "1002"))}, sec(20)), "ringing", "a2", 0},
			{board(t, callapi.CallAnswered{CallID: id, AgentID: "a2"}, sec(30)), "answered", "a2", 0},
			{board(t, callapi.AgentStateChanged{AgentID: "a2", State: callapi.StateBusy}, sec(31)), "answered", "a2", 0},
			{board(t, callapi.CallEnded{CallID: id, Disposition: callapi.DispositionAnswered, AgentID: "a2"}, sec(150)), "ended", "a2", 0},
			{board(t, callapi.CallNotAnswered{CallID: id, AgentID: "a2", Routing: queue(id, 1)}, sec(151)), "ended", "a2", 0},
			{ofCall(t, id, callapi.CallRated{CallID: id, Score: 4}, sec(160)), "ended", "a2", 0},
			{ofCall(t, id, callapi.TicketOpened{CallID: id, TicketID: "T-1"}, sec(170)), "ended", "a2", 0},
			{ofCall(t, id, callapi.CallResolved{CallID: id, Question: "考试系统登录失败", Resolution: "清除浏览器缓存后恢复"}, sec(180)), "ended", "a2", 0},
			{ofCall(t, id, callapi.RecordingStored{CallID: id, Object: "rec/1", ContentType: "audio/wav", Size: 1234, SHA256: "abc", KeepUntil: keepUntil}, sec(200)), "ended", "a2", 0},
			{ofCall(t, id, callapi.RecordingPlayed{CallID: id}, sec(300)), "ended", "a2", 0},
		}
		var envs []events.Envelope
		for i, s := range steps {
			apply(t, db, list, s.env)
			envs = append(envs, s.env)
			c := get(t, list, id, true)
			agent := ""
			if c.Agent != nil {
				agent = c.Agent.ID
			}
			if c.Status != s.status || agent != s.agent || c.QueuePosition != s.queue {
				t.Fatalf("after step %d (%s): status %q agent %q queue %d, want %q %q %d",
					i, s.env.Type, c.Status, agent, c.QueuePosition, s.status, s.agent, s.queue)
			}
		}
		want := callapi.Call{
			CallID: id, Caller: "13812345678", Hotline: "4001234567", Skill: "exam", Status: callapi.StatusEnded,
			Agent:      &callapi.AgentRef{ID: "a2", Extension: "8002", WorkNumber: "1002"},
			ReceivedAt: sec(0), AnsweredAt: ptr(sec(30)), EndedAt: ptr(sec(150)), Disposition: callapi.DispositionAnswered,
			WaitSeconds: ptr(30.0), HandleSeconds: ptr(120.0), Rating: 4, TicketID: "T-1",
			Question: "考试系统登录失败", Resolution: "清除浏览器缓存后恢复",
			Recording: &callapi.Recording{ContentType: "audio/wav", Size: 1234, SHA256: "abc", StoredAt: sec(200), KeepUntil: keepUntil},
			UpdatedAt: sec(200),
		}
		if got := get(t, list, id, true); asJSON(t, got) != asJSON(t, want) {
			t.Fatalf("view\n got %s\nwant %s", asJSON(t, got), asJSON(t, want))
		}
		redeliveries := [][]events.Envelope{envs, {envs[0]}, {envs[5]}, {envs[7]}}
		for _, r := range redeliveries {
			apply(t, db, list, r...)
			if got := get(t, list, id, true); asJSON(t, got) != asJSON(t, want) {
				t.Fatalf("after redelivering %d events\n got %s\nwant %s", len(r), asJSON(t, got), asJSON(t, want))
			}
		}
		page, err := list.List(context.Background(), callapi.ListCalls{}, true)
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("List after redelivery = %d calls, %v; want 1", len(page.Items), err)
		}
		if _, ok, err := list.Get(context.Background(), "nope", true); ok || err != nil {
			t.Fatalf("Get of an unknown call = %v, %v", ok, err)
		}
	})
}

// TestCallList_answer_time_is_the_first verifies that a second answer keeps
// the first answer time.
func TestCallList_answer_time_is_the_first(t *testing.T) {
	t.Parallel()
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		list := newList(t, db)
		apply(t, db, list,
			board(t, callapi.CallReceived{CallID: "c", Caller: "13812345678"}, sec(0)),
			board(t, callapi.CallAnswered{CallID: "c", AgentID: "a1"}, sec(8)),
			board(t, callapi.CallAnswered{CallID: "c", AgentID: "a1"}, sec(12)))
		c := get(t, list, "c", true)
		if !c.AnsweredAt.Equal(sec(8)) || *c.WaitSeconds != 8 || c.HandleSeconds != nil {
			t.Fatalf("answered %v wait %v handle %v", c.AnsweredAt, *c.WaitSeconds, c.HandleSeconds)
		}
	})
}

// TestCallList_reconciles_CDRs checks that a CDR creates a call the model
// does not know, fills in only what the live API did not record, and lists
// each source once.
func TestCallList_reconciles_CDRs(t *testing.T) {
	t.Parallel()
	const id = "call-1"
	cdr := func(source string, started, answered, ended time.Time, disposition string) callapi.CDRIngested {
		return callapi.CDRIngested{CallID: id, Source: source, Key: source + "-" + id, Caller: "13900001111", Hotline: "4001234567",
			StartedAt: started, AnsweredAt: answered, EndedAt: ended, Disposition: disposition}
	}
	received := callapi.CallReceived{CallID: id, Caller: "13812345678", Hotline: "4001234567"}
	tests := []struct {
		name        string
		events      func(t *testing.T) []events.Envelope
		status      string
		caller      string
		receivedAt  time.Time
		answeredAt  *time.Time
		endedAt     *time.Time
		disposition string
		sources     []string
	}{{
		name: "unknown call",
		events: func(t *testing.T) []events.Envelope {
			return []events.Envelope{ofCall(t, id, cdr("freeswitch", sec(0), sec(7), sec(67), callapi.DispositionAnswered), sec(90))}
		},
		status: "ended", caller: "13900001111", receivedAt: sec(0), answeredAt: ptr(sec(7)), endedAt: ptr(sec(67)),
		disposition: "answered", sources: []string{"freeswitch"},
	}, {
		name: "unknown call not answered",
		events: func(t *testing.T) []events.Envelope {
			return []events.Envelope{ofCall(t, id, cdr("asterisk", sec(0), time.Time{}, sec(30), callapi.DispositionAbandoned), sec(90))}
		},
		status: "ended", caller: "13900001111", receivedAt: sec(0), endedAt: ptr(sec(30)),
		disposition: "abandoned", sources: []string{"asterisk"},
	}, {
		name: "after the live API recorded everything",
		events: func(t *testing.T) []events.Envelope {
			return []events.Envelope{
				board(t, received, sec(1)),
				board(t, callapi.CallAnswered{CallID: id, AgentID: "a1"}, sec(9)),
				board(t, callapi.CallEnded{CallID: id, Disposition: callapi.DispositionAnswered, AgentID: "a1"}, sec(70)),
				ofCall(t, id, cdr("freeswitch", sec(0), sec(8), sec(69), callapi.DispositionNoAnswer), sec(90)),
			}
		},
		status: "ended", caller: "13812345678", receivedAt: sec(1), answeredAt: ptr(sec(9)), endedAt: ptr(sec(70)),
		disposition: "answered", sources: []string{"freeswitch"},
	}, {
		name: "fills what the live API missed",
		events: func(t *testing.T) []events.Envelope {
			return []events.Envelope{
				board(t, received, sec(1)),
				board(t, callapi.CallAnswered{CallID: id, AgentID: "a1"}, sec(9)),
				ofCall(t, id, cdr("asterisk", sec(0), sec(8), sec(69), callapi.DispositionAnswered), sec(90)),
			}
		},
		status: "ended", caller: "13812345678", receivedAt: sec(1), answeredAt: ptr(sec(9)), endedAt: ptr(sec(69)),
		disposition: "answered", sources: []string{"asterisk"},
	}, {
		name: "same CDR twice and another source",
		events: func(t *testing.T) []events.Envelope {
			fs := ofCall(t, id, cdr("freeswitch", sec(0), sec(7), sec(67), callapi.DispositionAnswered), sec(90))
			return []events.Envelope{fs, fs,
				ofCall(t, id, cdr("freeswitch", sec(0), sec(7), sec(67), callapi.DispositionAnswered), sec(91)),
				ofCall(t, id, cdr("asterisk", sec(0), sec(6), sec(66), callapi.DispositionAnswered), sec(92)),
			}
		},
		status: "ended", caller: "13900001111", receivedAt: sec(0), answeredAt: ptr(sec(7)), endedAt: ptr(sec(67)),
		disposition: "answered", sources: []string{"freeswitch", "asterisk"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
				list := newList(t, db)
				for _, e := range tt.events(t) {
					apply(t, db, list, e) // one transaction each, as separate deliveries
				}
				c := get(t, list, id, true)
				if c.Status != tt.status || c.Caller != tt.caller || !c.ReceivedAt.Equal(tt.receivedAt) ||
					!equalTime(c.AnsweredAt, tt.answeredAt) || !equalTime(c.EndedAt, tt.endedAt) ||
					c.Disposition != tt.disposition || !slices.Equal(c.CDRSources, tt.sources) {
					t.Fatalf("got %s", asJSON(t, c))
				}
			})
		})
	}
}

func equalTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// TestCallList_masks_caller verifies that only admins see the full number,
// in Get and in List.
func TestCallList_masks_caller(t *testing.T) {
	t.Parallel()
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		list := newList(t, db)
		apply(t, db, list, board(t, callapi.CallReceived{CallID: "c", Caller: "13812345678", Hotline: "4001234567"}, sec(0)))
		for _, tt := range []struct {
			admin bool
			want  string
		}{{false, "138****5678"}, {true, "13812345678"}} {
			if c := get(t, list, "c", tt.admin); c.Caller != tt.want {
				t.Errorf("Get admin=%v: caller %q, want %q", tt.admin, c.Caller, tt.want)
			}
			page, err := list.List(context.Background(), callapi.ListCalls{}, tt.admin)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 1 || page.Items[0].Caller != tt.want {
				t.Errorf("List admin=%v: %s, want caller %q", tt.admin, asJSON(t, page.Items), tt.want)
			}
		}
	})
}

// TestCallList_List_pages_and_filters reads every filter page by page.
func TestCallList_List_pages_and_filters(t *testing.T) {
	t.Parallel()
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		list := newList(t, db)
		// c0..c6 arrive a minute apart, c3 and c4 at the same time (the id
		// breaks the tie); even calls go to a1, odd ones to a2, and c5 and
		// c6 are abandoned before anyone answers.
		for i := range 7 {
			id, at := fmt.Sprintf("c%d", i), sec(60*i)
			if i == 4 {
				at = sec(60 * 3)
			}
			evs := []events.Envelope{board(t, callapi.CallReceived{CallID: id, Caller: "13812345678"}, at)}
			if i < 5 {
				evs = append(evs,
					board(t, callapi.AgentStateChanged{AgentID: "x", State: callapi.StateReady, Routing: ptr(ring(id, []string{"a1", "a2"}[i%2], "", ""))}, at.Add(time.Second)),
					board(t, callapi.CallAnswered{CallID: id}, at.Add(2*time.Second)),
					board(t, callapi.CallEnded{CallID: id, Disposition: callapi.DispositionAnswered}, at.Add(30*time.Second)))
			} else {
				evs = append(evs, board(t, callapi.CallEnded{CallID: id, Disposition: callapi.DispositionAbandoned}, at.Add(9*time.Second)))
			}
			apply(t, db, list, evs...)
		}
		tests := []struct {
			name string
			q    callapi.ListCalls
			want []string
		}{
			{"all", callapi.ListCalls{}, []string{"c6", "c5", "c4", "c3", "c2", "c1", "c0"}},
			{"from", callapi.ListCalls{From: sec(180)}, []string{"c6", "c5", "c4", "c3"}},
			{"to is exclusive", callapi.ListCalls{To: sec(180)}, []string{"c2", "c1", "c0"}},
			{"from and to", callapi.ListCalls{From: sec(60), To: sec(300)}, []string{"c4", "c3", "c2", "c1"}},
			{"agent", callapi.ListCalls{AgentID: "a1"}, []string{"c4", "c2", "c0"}},
			{"disposition", callapi.ListCalls{Disposition: callapi.DispositionAbandoned}, []string{"c6", "c5"}},
			{"agent and range", callapi.ListCalls{AgentID: "a2", From: sec(60), To: sec(180)}, []string{"c1"}},
			{"nothing", callapi.ListCalls{AgentID: "a3"}, nil},
		}
		for _, tt := range tests {
			for _, limit := range []int{0, 1, 2, 3} {
				q := tt.q
				q.Limit = limit
				var got []string
				for pages := 0; ; pages++ {
					page, err := list.List(ctx, q, false)
					if err != nil {
						t.Fatalf("%s: %v", tt.name, err)
					}
					if limit > 0 && len(page.Items) > limit {
						t.Fatalf("%s limit %d: a page of %d", tt.name, limit, len(page.Items))
					}
					for _, c := range page.Items {
						got = append(got, c.CallID)
					}
					if page.NextCursor == "" {
						break
					}
					if pages > 10 {
						t.Fatalf("%s limit %d: too many pages", tt.name, limit)
					}
					q.Cursor = page.NextCursor
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("%s limit %d: %v, want %v", tt.name, limit, got, tt.want)
				}
			}
		}
		if _, err := list.List(ctx, callapi.ListCalls{Cursor: "bm90LWEtY3Vyc29y"}, false); problem.CodeOf(err) != problem.CodeValidation {
			t.Fatalf("a foreign cursor: %v, want a validation error", err)
		}
	})
}

// TestCallList_List_caps_the_limit checks the default and maximum page sizes.
func TestCallList_List_caps_the_limit(t *testing.T) {
	t.Parallel()
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		list := newList(t, db)
		var evs []events.Envelope
		for i := range callapi.MaxListLimit + 1 {
			evs = append(evs, board(t, callapi.CallReceived{CallID: fmt.Sprintf("c%03d", i)}, sec(i)))
		}
		apply(t, db, list, evs...)
		for _, tt := range []struct{ limit, want int }{{0, callapi.DefaultListLimit}, {1000, callapi.MaxListLimit}, {-1, callapi.DefaultListLimit}} {
			page, err := list.List(context.Background(), callapi.ListCalls{Limit: tt.limit}, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != tt.want || page.NextCursor == "" {
				t.Errorf("limit %d: %d calls, cursor %q; want %d and a cursor", tt.limit, len(page.Items), page.NextCursor, tt.want)
			}
		}
	})
}

// statsCalls are five calls of 2 March 2026 (UTC) and one of the next day:
//
//	c1 09:00 Beijing, a1, answered after 10 s, talked 120 s, rated 5
//	c2 09:30 Beijing, a1, answered after 25 s, talked 60 s, rated 3
//	c3 10:10 Beijing, queued and abandoned after 40 s, no agent
//	c4 10:20 Beijing, a2, answered after 5 s, still talking
//	c5 07:30 Beijing on 3 March (23:30 UTC), rang a2 in vain, a1 answered
//	   after 15 s, talked 300 s, rated 4
//	c6 09:00 Beijing on 3 March, outside the range
func statsCalls(t *testing.T) []events.Envelope {
	var evs []events.Envelope
	add := func(e ...events.Envelope) { evs = append(evs, e...) }
	answered := func(id, agent string, at time.Time, wait, talk, rating int) {
		add(board(t, callapi.CallReceived{CallID: id, Caller: "13812345678", Routing: queue(id, 1)}, at),
			board(t, callapi.AgentStateChanged{AgentID: agent, State: callapi.StateReady, Routing: ptr(ring(id, agent, "", ""))}, at.Add(time.Second)),
			board(t, callapi.CallAnswered{CallID: id, AgentID: agent}, at.Add(time.Duration(wait)*time.Second)))
		if talk > 0 {
			add(board(t, callapi.CallEnded{CallID: id, Disposition: callapi.DispositionAnswered, AgentID: agent},
				at.Add(time.Duration(wait+talk)*time.Second)))
		}
		if rating > 0 {
			add(ofCall(t, id, callapi.CallRated{CallID: id, Score: rating}, at.Add(time.Duration(wait+talk+5)*time.Second)))
		}
	}
	answered("c1", "a1", t0, 10, 120, 5)
	answered("c2", "a1", t0.Add(30*time.Minute), 25, 60, 3)
	c3 := t0.Add(70 * time.Minute)
	add(board(t, callapi.CallReceived{CallID: "c3", Caller: "13812345678", Routing: queue("c3", 1)}, c3),
		board(t, callapi.CallEnded{CallID: "c3", Disposition: callapi.DispositionAbandoned}, c3.Add(40*time.Second)))
	answered("c4", "a2", t0.Add(80*time.Minute), 5, 0, 0)
	c5 := time.Date(2026, 3, 2, 23, 30, 0, 0, time.UTC)
	add(board(t, callapi.CallReceived{CallID: "c5", Caller: "13812345678", Routing: queue("c5", 1)}, c5),
		board(t, callapi.AgentStateChanged{AgentID: "a2", State: callapi.StateReady, Routing: ptr(ring("c5", "a2", "", ""))}, c5.Add(time.Second)),
		board(t, callapi.CallNotAnswered{CallID: "c5", AgentID: "a2", Routing: ring("c5", "a1", "", "")}, c5.Add(12*time.Second)),
		board(t, callapi.CallAnswered{CallID: "c5", AgentID: "a1"}, c5.Add(15*time.Second)),
		board(t, callapi.CallEnded{CallID: "c5", Disposition: callapi.DispositionAnswered, AgentID: "a1"}, c5.Add(315*time.Second)),
		ofCall(t, "c5", callapi.CallRated{CallID: "c5", Score: 4}, c5.Add(320*time.Second)))
	answered("c6", "a1", t0.Add(24*time.Hour), 3, 30, 1)
	return evs
}

// TestCallList_Stats checks hand-computed figures per Beijing hour, per
// Beijing day (c5, at 23:30 UTC, counts on 3 March) and per agent.
func TestCallList_Stats(t *testing.T) {
	t.Parallel()
	total := callapi.Figures{Offered: 5, Answered: 4, Abandoned: 1, AnswerRate: 0.8, ServiceLevel: 0.6,
		AvgWaitSeconds: 13.75, AvgHandleSeconds: 160, AvgRating: 4, Rated: 3}
	c5 := callapi.Figures{Offered: 1, Answered: 1, AnswerRate: 1, ServiceLevel: 1, AvgWaitSeconds: 15,
		AvgHandleSeconds: 300, AvgRating: 4, Rated: 1}
	with := func(f callapi.Figures, key string) callapi.Figures { f.Key = key; return f }
	tests := []struct {
		groupBy string
		want    []callapi.Figures
	}{{
		groupBy: callapi.GroupByHour,
		want: []callapi.Figures{
			{Key: "2026-03-02T09:00:00+08:00", Offered: 2, Answered: 2, AnswerRate: 1, ServiceLevel: 0.5,
				AvgWaitSeconds: 17.5, AvgHandleSeconds: 90, AvgRating: 4, Rated: 2},
			{Key: "2026-03-02T10:00:00+08:00", Offered: 2, Answered: 1, Abandoned: 1, AnswerRate: 0.5, ServiceLevel: 0.5,
				AvgWaitSeconds: 5},
			with(c5, "2026-03-03T07:00:00+08:00"),
		},
	}, {
		groupBy: callapi.GroupByDay,
		want: []callapi.Figures{
			{Key: "2026-03-02T00:00:00+08:00", Offered: 4, Answered: 3, Abandoned: 1, AnswerRate: 0.75, ServiceLevel: 0.5,
				AvgWaitSeconds: 40.0 / 3, AvgHandleSeconds: 90, AvgRating: 4, Rated: 2},
			with(c5, "2026-03-03T00:00:00+08:00"),
		},
	}, {
		groupBy: callapi.GroupByAgent,
		want: []callapi.Figures{
			{Key: "", Offered: 1, Abandoned: 1},
			{Key: "a1", Offered: 3, Answered: 3, AnswerRate: 1, ServiceLevel: 2.0 / 3,
				AvgWaitSeconds: 50.0 / 3, AvgHandleSeconds: 160, AvgRating: 4, Rated: 3},
			{Key: "a2", Offered: 1, Answered: 1, AnswerRate: 1, ServiceLevel: 1, AvgWaitSeconds: 5},
		},
	}}
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		list := newList(t, db)
		apply(t, db, list, statsCalls(t)...)
		from, to := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
		for _, tt := range tests {
			got, err := list.Stats(ctx, callapi.GetStats{From: from, To: to, GroupBy: tt.groupBy})
			if err != nil {
				t.Fatal(err)
			}
			if !got.From.Equal(from) || !got.To.Equal(to) || got.GroupBy != tt.groupBy {
				t.Errorf("%s: echoed %v %v %q", tt.groupBy, got.From, got.To, got.GroupBy)
			}
			if len(got.Groups) != len(tt.want) {
				t.Fatalf("%s: groups %s\nwant %s", tt.groupBy, asJSON(t, got.Groups), asJSON(t, tt.want))
			}
			for i := range tt.want {
				checkFigures(t, tt.groupBy, got.Groups[i], tt.want[i])
			}
			checkFigures(t, tt.groupBy+" total", got.Total, total)
		}
		empty, err := list.Stats(ctx, callapi.GetStats{From: to.Add(48 * time.Hour), To: to.Add(72 * time.Hour), GroupBy: callapi.GroupByDay})
		if err != nil {
			t.Fatal(err)
		}
		if len(empty.Groups) != 0 || empty.Groups == nil {
			t.Errorf("empty range: groups %v", empty.Groups)
		}
		checkFigures(t, "empty range", empty.Total, callapi.Figures{})
		if _, err := list.Stats(ctx, callapi.GetStats{From: from, To: to, GroupBy: "week"}); problem.CodeOf(err) != problem.CodeInvalidArgument {
			t.Errorf("group by week: %v, want an invalid argument", err)
		}
	})
}

func checkFigures(t *testing.T, name string, got, want callapi.Figures) {
	t.Helper()
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	if got.Key != want.Key || got.Offered != want.Offered || got.Answered != want.Answered ||
		got.Abandoned != want.Abandoned || got.Rated != want.Rated ||
		!near(got.AnswerRate, want.AnswerRate) || !near(got.ServiceLevel, want.ServiceLevel) ||
		!near(got.AvgWaitSeconds, want.AvgWaitSeconds) || !near(got.AvgHandleSeconds, want.AvgHandleSeconds) ||
		!near(got.AvgRating, want.AvgRating) {
		t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
	}
}

// TestCallList_ExpiredRecordings lists stored, unpurged recordings whose
// retention has ended, earliest first, and a purge shows in the view.
func TestCallList_ExpiredRecordings(t *testing.T) {
	t.Parallel()
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		list := newList(t, db)
		day := func(n int) time.Time { return time.Date(2026, 3, n, 16, 0, 0, 0, time.UTC) }
		var evs []events.Envelope
		for _, r := range []struct {
			id, ticket string
			keep       time.Time
		}{{"r1", "", day(20)}, {"r2", "T-9", day(18)}, {"r3", "", day(19)}, {"r4", "", day(25)}, {"r5", "", day(17)}} {
			evs = append(evs, board(t, callapi.CallReceived{CallID: r.id}, sec(0)),
				ofCall(t, r.id, callapi.RecordingStored{CallID: r.id, Object: "rec/" + r.id, ContentType: "audio/mpeg", Size: 10, KeepUntil: r.keep}, sec(10)))
			if r.ticket != "" {
				evs = append(evs, ofCall(t, r.id, callapi.TicketOpened{CallID: r.id, TicketID: r.ticket}, sec(20)))
			}
		}
		evs = append(evs,
			board(t, callapi.CallReceived{CallID: "none"}, sec(0)),
			ofCall(t, "r5", callapi.RecordingPurged{CallID: "r5", Object: "rec/r5", KeepUntil: day(17)}, day(17)))
		apply(t, db, list, evs...)
		tests := []struct {
			until time.Time
			limit int
			want  []adapters.ExpiredRecording
		}{
			{day(16), 10, nil},
			{day(19), 10, []adapters.ExpiredRecording{
				{CallID: "r2", Object: "rec/r2", TicketID: "T-9", KeepUntil: day(18)},
				{CallID: "r3", Object: "rec/r3", KeepUntil: day(19)},
			}},
			{day(30), 3, []adapters.ExpiredRecording{
				{CallID: "r2", Object: "rec/r2", TicketID: "T-9", KeepUntil: day(18)},
				{CallID: "r3", Object: "rec/r3", KeepUntil: day(19)},
				{CallID: "r1", Object: "rec/r1", KeepUntil: day(20)},
			}},
		}
		for _, tt := range tests {
			got, err := list.ExpiredRecordings(ctx, tt.until, adapters.ExpiredRecording{}, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if asJSON(t, got) != asJSON(t, tt.want) {
				t.Errorf("until %v limit %d:\n got %s\nwant %s", tt.until, tt.limit, asJSON(t, got), asJSON(t, tt.want))
			}
		}
		// The next page starts after the last one listed.
		page, err := list.ExpiredRecordings(ctx, day(30), adapters.ExpiredRecording{CallID: "r2", KeepUntil: day(18)}, 10)
		if err != nil || len(page) != 3 || page[0].CallID != "r3" || page[1].CallID != "r1" || page[2].CallID != "r4" {
			t.Errorf("the page after r2: %s, %v", asJSON(t, page), err)
		}
		if c := get(t, list, "r5", true); c.Recording == nil || !equalTime(c.Recording.PurgedAt, ptr(day(17))) {
			t.Errorf("purged recording: %s", asJSON(t, c.Recording))
		}
		if c := get(t, list, "none", true); c.Recording != nil {
			t.Errorf("call without recording: %s", asJSON(t, c.Recording))
		}
	})
}

// TestCallList_PBXKeys lists keys with their revocation; a redelivered
// creation changes nothing.
func TestCallList_PBXKeys(t *testing.T) {
	t.Parallel()
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		list := newList(t, db)
		created := envelope(t, callapi.AggregatePBXKey, "k1", callapi.PBXKeyCreated{Name: "FreeSWITCH 机房A", SecretHash: "h1"}, sec(0))
		apply(t, db, list, created,
			envelope(t, callapi.AggregatePBXKey, "k2", callapi.PBXKeyCreated{Name: "Asterisk", SecretHash: "h2"}, sec(10)),
			envelope(t, callapi.AggregatePBXKey, "k1", callapi.PBXKeyRevoked{}, sec(20)))
		apply(t, db, list, created, envelope(t, callapi.AggregatePBXKey, "k1", callapi.PBXKeyRevoked{}, sec(30)))
		got, err := list.PBXKeys(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want := callapi.PBXKeys{Items: []callapi.PBXKey{
			{ID: "k1", Name: "FreeSWITCH 机房A", CreatedAt: sec(0), RevokedAt: ptr(sec(20))},
			{ID: "k2", Name: "Asterisk", CreatedAt: sec(10)},
		}}
		if asJSON(t, got) != asJSON(t, want) {
			t.Fatalf("got %s\nwant %s", asJSON(t, got), asJSON(t, want))
		}
	})
}

// TestCallList_Reset empties calls and keys.
func TestCallList_Reset(t *testing.T) {
	t.Parallel()
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		list := newList(t, db)
		apply(t, db, list, board(t, callapi.CallReceived{CallID: "c"}, sec(0)),
			envelope(t, callapi.AggregatePBXKey, "k1", callapi.PBXKeyCreated{Name: "pbx"}, sec(0)))
		projectiontest.Reset(t, db, list)
		if _, ok, err := list.Get(ctx, "c", true); ok || err != nil {
			t.Errorf("call after reset: %v, %v", ok, err)
		}
		if keys, err := list.PBXKeys(ctx); err != nil || len(keys.Items) != 0 {
			t.Errorf("keys after reset: %v, %v", keys, err)
		}
	})
}

// TestCallList_EventTypes checks that the runner passes on exactly the
// call-record events the model folds: not agents signing in, nor
// playbacks.
func TestCallList_EventTypes(t *testing.T) {
	got := adapters.NewCallList(nil).EventTypes()
	want := []string{
		callapi.EventAgentStateChanged, callapi.EventCallReceived, callapi.EventCallTransferred, callapi.EventCallAnswered,
		callapi.EventCallNotAnswered, callapi.EventCallEnded, callapi.EventCallRated, callapi.EventCallResolved, callapi.EventTicketOpened,
		callapi.EventRecordingStored, callapi.EventRecordingPurged, callapi.EventCDRIngested,
		callapi.EventPBXKeyCreated, callapi.EventPBXKeyRevoked,
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("EventTypes = %v, want %v", got, want)
	}
}

// TestCallList_redelivered_routing_changes_nothing redelivers a call's
// routing events while it is being talked and after a transfer: the call
// stays answered, and a transfer counts once.
func TestCallList_redelivered_routing_changes_nothing(t *testing.T) {
	t.Parallel()
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		list := newList(t, db)
		received := board(t, callapi.CallReceived{CallID: "c", Caller: "13812345678", Routing: ring("c", "a1", "8001", "1001")}, sec(0))
		transferred := board(t, callapi.CallTransferred{CallID: "c", FromAgentID: "a1", Skill: "exam", Routing: ring("c", "a2", "8002", "1002")}, sec(60))
		apply(t, db, list, received, board(t, callapi.CallAnswered{CallID: "c", AgentID: "a1"}, sec(5)))
		apply(t, db, list, received)
		if c := get(t, list, "c", true); c.Status != callapi.StatusAnswered || c.Agent.ID != "a1" {
			t.Fatalf("after a redelivered arrival: %s with %v, want answered with a1", c.Status, c.Agent)
		}
		apply(t, db, list, transferred, transferred, received)
		c := get(t, list, "c", true)
		if c.Status != callapi.StatusRinging || c.Agent.ID != "a2" || c.Transfers != 1 || c.Skill != "exam" {
			t.Fatalf("after a transfer delivered twice: %s with %v, %d transfers, skill %q; want ringing a2, 1, exam",
				c.Status, c.Agent, c.Transfers, c.Skill)
		}
		apply(t, db, list, board(t, callapi.CallAnswered{CallID: "c", AgentID: "a2"}, sec(70)), transferred)
		if c := get(t, list, "c", true); c.Status != callapi.StatusAnswered || c.Agent.ID != "a2" || c.Transfers != 1 {
			t.Fatalf("after the transfer redelivered late: %s with %v, %d transfers", c.Status, c.Agent, c.Transfers)
		}
	})
}
