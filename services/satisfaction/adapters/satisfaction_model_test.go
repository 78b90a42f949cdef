package adapters_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/satapi"
	"helpdesk/infra/projection/projectiontest"
	"helpdesk/infra/sqlstore"
	"helpdesk/infra/sqlstore/sqlstoretest"
	"helpdesk/services/satisfaction/adapters"
	"helpdesk/services/satisfaction/app/query"
)

// bj is Beijing time, loaded here on its own rather than taken from the
// model.
var bj = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

// at is a Beijing wall-clock time in UTC.
func at(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, bj).UTC()
}

func newModel(t testing.TB, db *sqlstore.DB) *adapters.SatisfactionModel {
	t.Helper()
	m := adapters.NewSatisfactionModel(db)
	projectiontest.Migrate(t, db, m)
	return m
}

// apply folds envelopes into the read model in one transaction, the way
// the projection runner does.
func apply(t testing.TB, db *sqlstore.DB, m *adapters.SatisfactionModel, envs ...events.Envelope) {
	t.Helper()
	projectiontest.Apply(t, db, m, envs...)
}

// envelope is an appended event: version is its stream sequence.
func envelope(t testing.TB, aggregateType, id string, version uint64, actor string, p events.Payload, when time.Time) events.Envelope {
	t.Helper()
	e, err := events.New(satapi.Source, aggregateType, id, p, when, events.Metadata{Actor: actor})
	if err != nil {
		t.Fatal(err)
	}
	e.AggregateVersion = version
	return e
}

func asJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ptr[T any](v T) *T { return &v }

// ---- A generated history and the figures expected of it ----

// history is a generated satisfaction history: its events in stream order
// (the version of each is its place in the stream) and when it ends.
type history struct {
	events []events.Envelope
	end    time.Time
}

// Times the generator puts surveys at on purpose: the bounds of the ranges
// the tests ask for.
var (
	histStart      = at(2026, 10, 26, 0, 0) // a Monday
	histEnd        = histStart.Add(42 * 24 * time.Hour)
	rangeFrom      = at(2026, 11, 3, 10, 17)
	rangeTo        = at(2026, 11, 19, 5, 3)
	midnightBound  = at(2026, 11, 16, 0, 0)
	boundaryIssues = []time.Time{rangeFrom, rangeTo, midnightBound, rangeFrom.Add(-time.Microsecond),
		rangeTo.Add(-time.Microsecond), midnightBound.Add(-time.Microsecond), at(2026, 11, 10, 8, 0)}
)

// generate makes a history of n surveys about tickets and calls issued at
// any time of day over six weeks: answered (at once on the IVR for calls,
// within the week on the web for tickets), expired or left open, with a
// follow-up for scores 1–2 or an unsolved problem, some completed.
func generate(t testing.TB, seed uint64, n int) history {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	type timed struct {
		env   events.Envelope
		order int
	}
	var all []timed
	add := func(aggType, id, actor string, p events.Payload, when time.Time) {
		all = append(all, timed{envelope(t, aggType, id, 0, actor, p, when), len(all)})
	}
	agents := []string{"a1", "a2", "a3", "a4", "a5", "a6", "a7", ""}
	categories := []string{"account", "exam", "network", "billing", ""}
	ticketChannels := []string{"web", "remote", "email", "phone"}
	micros := func(d time.Duration) time.Duration {
		return time.Duration(r.Int64N(int64(d/time.Microsecond))) * time.Microsecond
	}
	for i := range n {
		issued := histStart.Add(micros(42 * 24 * time.Hour))
		if i < len(boundaryIssues) {
			issued = boundaryIssues[i]
		}
		ticket := r.IntN(10) < 6
		p := satapi.SurveyIssued{AgentID: agents[r.IntN(len(agents))], Category: categories[r.IntN(len(categories))]}
		var id, respondent string
		var expires time.Time
		if ticket {
			p.About, p.TicketID, p.Resolution = satapi.AboutTicket, fmt.Sprintf("T-%d", i), uint64(r.IntN(40)+1)
			p.Respondent, p.Channel = fmt.Sprintf("u-%d", r.IntN(20)), ticketChannels[r.IntN(len(ticketChannels))]
			id, respondent, expires = satapi.SurveyForTicket(p.TicketID, p.Resolution), p.Respondent, issued.Add(7*24*time.Hour)
		} else {
			p.About, p.CallID, p.Channel = satapi.AboutCall, fmt.Sprintf("call-%d", i), "phone"
			id, expires = satapi.SurveyForCall(p.CallID), issued.Add(time.Hour)
		}
		p.ExpiresAt = expires
		add(satapi.AggregateSurvey, id, "system:satisfaction", p, issued)

		var answered time.Time
		var a satapi.SurveyAnswered
		switch {
		case !ticket && r.IntN(4) < 3:
			answered = issued.Add(5*time.Second + micros(2*time.Minute))
			a = satapi.SurveyAnswered{Score: 1 + r.IntN(5), Via: satapi.ViaIVR}
		case ticket && r.IntN(10) < 6:
			answered = issued.Add(micros(7 * 24 * time.Hour))
			a = satapi.SurveyAnswered{Score: 1 + r.IntN(5), Via: satapi.ViaWeb}
			if k := r.IntN(3); k > 0 {
				a.Solved = ptr(k == 1 || r.IntN(4) > 0)
			}
			if r.IntN(2) == 0 {
				a.Dimensions = satapi.Dimensions{Speed: r.IntN(6), Professionalism: r.IntN(6), Outcome: r.IntN(6)}
			}
			if r.IntN(3) == 0 {
				a.Comment = fmt.Sprintf("评论 %d", i)
			}
		}
		if !answered.IsZero() && answered.Before(histEnd) {
			add(satapi.AggregateSurvey, id, respondent, a, answered)
			if a.Score > 2 && (a.Solved == nil || *a.Solved) {
				continue
			}
			fid, opened := satapi.FollowUpFor(id), answered.Add(time.Second)
			reason := satapi.ReasonLowScore
			if a.Score > 2 {
				reason = satapi.ReasonNotSolved
			}
			add(satapi.AggregateFollowUp, fid, "system:satisfaction", satapi.FollowUpOpened{SurveyID: id, TicketID: p.TicketID,
				CallID: p.CallID, AgentID: p.AgentID, Reason: reason, Score: a.Score, DueAt: opened.Add(48 * time.Hour)}, opened)
			if done := opened.Add(time.Hour + micros(96*time.Hour)); r.IntN(10) < 6 && done.Before(histEnd) {
				add(satapi.AggregateFollowUp, fid, fmt.Sprintf("sup-%d", r.IntN(3)),
					satapi.FollowUpCompleted{Contact: "电话 138****0000", Outcome: fmt.Sprintf("已回访 %d", i)}, done)
			}
			continue
		}
		if expired := expires.Add(micros(10 * time.Minute)); expired.Before(histEnd) && r.IntN(5) > 0 {
			add(satapi.AggregateSurvey, id, "system:satisfaction", satapi.SurveyExpired{}, expired)
		}
	}
	slices.SortStableFunc(all, func(a, b timed) int {
		return cmp.Or(a.env.OccurredAt.Compare(b.env.OccurredAt), cmp.Compare(a.order, b.order))
	})
	h := history{end: histEnd}
	for i, e := range all {
		e.env.AggregateVersion = uint64(i + 1)
		h.events = append(h.events, e.env)
	}
	return h
}

// reference is the history folded in plain Go: what the read model should
// hold, computed without it.
type reference struct {
	surveys   map[string]satapi.Survey
	followups map[string]satapi.FollowUp
}

func fold(t testing.TB, evs []events.Envelope) reference {
	t.Helper()
	ref := reference{surveys: map[string]satapi.Survey{}, followups: map[string]satapi.FollowUp{}}
	for _, e := range evs {
		when := e.OccurredAt.UTC()
		switch e.Type {
		case satapi.EventSurveyIssued:
			var p satapi.SurveyIssued
			mustDecode(t, e, &p)
			ref.surveys[e.AggregateID] = satapi.Survey{ID: e.AggregateID, Version: e.AggregateVersion, About: p.About,
				TicketID: p.TicketID, CallID: p.CallID, Status: satapi.StatusOpen, Respondent: p.Respondent, AgentID: p.AgentID,
				Category: p.Category, Channel: p.Channel, IssuedAt: when, ExpiresAt: p.ExpiresAt.UTC()}
		case satapi.EventSurveyAnswered:
			var p satapi.SurveyAnswered
			mustDecode(t, e, &p)
			s := ref.surveys[e.AggregateID]
			s.Version, s.Status, s.AnsweredAt, s.Score, s.Comment, s.Solved, s.Via =
				e.AggregateVersion, satapi.StatusAnswered, &when, p.Score, p.Comment, p.Solved, p.Via
			if p.Dimensions != (satapi.Dimensions{}) {
				s.Dimensions = &p.Dimensions
			}
			ref.surveys[e.AggregateID] = s
		case satapi.EventSurveyExpired:
			s := ref.surveys[e.AggregateID]
			s.Version, s.Status = e.AggregateVersion, satapi.StatusExpired
			ref.surveys[e.AggregateID] = s
		case satapi.EventFollowUpOpened:
			var p satapi.FollowUpOpened
			mustDecode(t, e, &p)
			ref.followups[e.AggregateID] = satapi.FollowUp{ID: e.AggregateID, Version: e.AggregateVersion, SurveyID: p.SurveyID,
				TicketID: p.TicketID, CallID: p.CallID, AgentID: p.AgentID, Reason: p.Reason, Score: p.Score,
				Status: satapi.FollowUpOpen, OpenedAt: when, DueAt: p.DueAt.UTC()}
		case satapi.EventFollowUpCompleted:
			var p satapi.FollowUpCompleted
			mustDecode(t, e, &p)
			f := ref.followups[e.AggregateID]
			f.Version, f.Status, f.CompletedAt, f.CompletedBy, f.Contact, f.Outcome =
				e.AggregateVersion, satapi.FollowUpDone, &when, e.Actor, p.Contact, p.Outcome
			ref.followups[e.AggregateID] = f
		}
	}
	return ref
}

func mustDecode(t testing.TB, e events.Envelope, p any) {
	t.Helper()
	if err := json.Unmarshal(e.Data, p); err != nil {
		t.Fatal(err)
	}
}

// followUpAt is f as seen at now: overdue when open past its due time.
func followUpAt(f satapi.FollowUp, now time.Time) satapi.FollowUp {
	if f.Status == satapi.FollowUpOpen && f.DueAt.Before(now) {
		f.Status = satapi.FollowUpOverdue
	}
	return f
}

// expectStats adds up the figures of q from the reference, survey by
// survey.
func (ref reference) expectStats(q satapi.GetStats, now time.Time) satapi.Stats {
	type counts struct{ issued, responses, scoreSum, csat, followups, completed, overdue int }
	in := func(s satapi.Survey) bool { return !s.IssuedAt.Before(q.From) && s.IssuedAt.Before(q.To) }
	key := func(s satapi.Survey) string {
		day := s.IssuedAt.In(bj)
		switch q.GroupBy {
		case satapi.GroupByAgent:
			return s.AgentID
		case satapi.GroupByCategory:
			return s.Category
		case satapi.GroupByChannel:
			return s.Channel
		case satapi.GroupByDay:
			return day.Format("2006-01-02")
		case satapi.GroupByWeek:
			y, w := day.ISOWeek()
			return fmt.Sprintf("%d-W%02d", y, w)
		}
		return ""
	}
	groups := map[string]*counts{}
	var total counts
	both := func(s satapi.Survey, f func(c *counts)) {
		k := key(s)
		if groups[k] == nil {
			groups[k] = &counts{}
		}
		f(groups[k])
		f(&total)
	}
	for _, s := range ref.surveys {
		if !in(s) {
			continue
		}
		both(s, func(c *counts) {
			c.issued++
			if s.Status == satapi.StatusAnswered {
				c.responses++
				c.scoreSum += s.Score
				if s.Score >= 4 {
					c.csat++
				}
			}
		})
	}
	for _, f := range ref.followups {
		s := ref.surveys[f.SurveyID]
		if !in(s) {
			continue
		}
		both(s, func(c *counts) {
			c.followups++
			switch {
			case f.Status == satapi.FollowUpDone:
				c.completed++
			case f.DueAt.Before(now):
				c.overdue++
			}
		})
	}
	div := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	figures := func(k string, c counts) satapi.Figures {
		return satapi.Figures{Key: k, Issued: c.issued, Responses: c.responses, CSAT: div(c.csat, c.responses),
			AvgScore: div(c.scoreSum, c.responses), ResponseRate: div(c.responses, c.issued),
			FollowUps: c.followups, FollowUpsCompleted: c.completed, FollowUpsOverdue: c.overdue}
	}
	st := satapi.Stats{From: q.From, To: q.To, GroupBy: q.GroupBy, Groups: []satapi.Figures{}, Total: figures("", total)}
	if q.GroupBy != "" {
		for k, c := range groups {
			st.Groups = append(st.Groups, figures(k, *c))
		}
		slices.SortFunc(st.Groups, func(a, b satapi.Figures) int { return cmp.Compare(a.Key, b.Key) })
	}
	return st
}

var groupBys = []string{"", satapi.GroupByAgent, satapi.GroupByCategory, satapi.GroupByChannel, satapi.GroupByDay, satapi.GroupByWeek}

// statsRanges are the ranges the figures are checked for.
var statsRanges = []struct {
	name     string
	from, to time.Time
}{
	{"everything", histStart.Add(-27 * time.Hour), histEnd.Add(30 * time.Hour)},
	{"day-aligned", at(2026, 11, 2, 0, 0), midnightBound},
	{"not aligned", rangeFrom, rangeTo},
	{"UTC midnights", time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 17, 0, 0, 0, 0, time.UTC)},
	{"within a day", at(2026, 11, 5, 8, 0), at(2026, 11, 5, 20, 30)},
	{"across one midnight", at(2026, 11, 5, 20, 0), at(2026, 11, 6, 9, 0)},
	{"one whole day", at(2026, 11, 16, 0, 0), at(2026, 11, 17, 0, 0)},
	{"nothing", at(2027, 3, 1, 0, 0), at(2027, 4, 1, 0, 0)},
	{"empty", rangeFrom, rangeFrom},
}

// checkStats compares Stats with the reference for every range, grouping
// and three times of asking: the end of the history, a time within it,
// and the exact due time of an open follow-up (not yet overdue then).
func checkStats(t *testing.T, m *adapters.SatisfactionModel, ref reference) {
	t.Helper()
	ctx := context.Background()
	nows := []time.Time{histEnd, at(2026, 11, 20, 12, 0)}
	for _, f := range ref.followups {
		if f.Status == satapi.FollowUpOpen && (len(nows) == 2 || f.DueAt.Before(nows[2])) {
			nows = append(nows[:2], f.DueAt)
		}
	}
	for _, now := range nows {
		for _, rg := range statsRanges {
			for _, g := range groupBys {
				q := satapi.GetStats{From: rg.from, To: rg.to, GroupBy: g}
				got, err := m.Stats(ctx, q, now)
				if err != nil {
					t.Fatalf("%s by %q: %v", rg.name, g, err)
				}
				want := ref.expectStats(q, now)
				if !got.From.Equal(want.From) || !got.To.Equal(want.To) || got.GroupBy != want.GroupBy {
					t.Errorf("%s by %q: echoed %v %v %q", rg.name, g, got.From, got.To, got.GroupBy)
				}
				if !reflect.DeepEqual(got.Total, want.Total) {
					t.Errorf("%s by %q at %v: total\n got %+v\nwant %+v", rg.name, g, now, got.Total, want.Total)
				}
				if got.Groups == nil || !reflect.DeepEqual(got.Groups, want.Groups) {
					t.Errorf("%s by %q at %v: groups\n got %s\nwant %s", rg.name, g, now, asJSON(t, got.Groups), asJSON(t, want.Groups))
				}
			}
		}
	}
}

// sortedSurveys are the reference's surveys that keep, newest issued first.
func (ref reference) sortedSurveys(keep func(satapi.Survey) bool) []satapi.Survey {
	var out []satapi.Survey
	for _, s := range ref.surveys {
		if keep(s) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b satapi.Survey) int {
		return cmp.Or(b.IssuedAt.Compare(a.IssuedAt), cmp.Compare(b.ID, a.ID))
	})
	return out
}

// checkLists reads every list page by page and compares it with the
// reference, and the single views and expired surveys too.
func checkLists(t *testing.T, m *adapters.SatisfactionModel, ref reference) {
	t.Helper()
	ctx := context.Background()
	now := histEnd
	for _, f := range []query.SurveyFilter{
		{Limit: 97}, {}, {Respondent: "u-3", Limit: 7}, {Status: satapi.StatusOpen, Limit: 41},
		{Status: satapi.StatusAnswered, Limit: satapi.MaxListLimit}, {Status: satapi.StatusExpired, Limit: 1000},
		{Respondent: "u-7", Status: satapi.StatusAnswered, Limit: 3}, {Respondent: "nobody"},
	} {
		want := ref.sortedSurveys(func(s satapi.Survey) bool {
			return (f.Respondent == "" || s.Respondent == f.Respondent) && (f.Status == "" || s.Status == f.Status)
		})
		var got []satapi.Survey
		for pages := 0; ; pages++ {
			page, err := m.ListSurveys(ctx, f)
			if err != nil {
				t.Fatalf("ListSurveys %+v: %v", f, err)
			}
			if limit := cmp.Or(min(f.Limit, satapi.MaxListLimit), satapi.DefaultListLimit); len(page.Items) > limit ||
				(page.NextCursor != "" && len(page.Items) != limit) {
				t.Fatalf("ListSurveys %+v: a page of %d, cursor %q", f, len(page.Items), page.NextCursor)
			}
			got = append(got, page.Items...)
			if page.NextCursor == "" {
				break
			}
			if pages > len(ref.surveys) {
				t.Fatalf("ListSurveys %+v: too many pages", f)
			}
			f.Cursor = page.NextCursor
		}
		if len(want) == 0 && f.Respondent != "nobody" {
			t.Fatalf("ListSurveys %+v: the history has none", f)
		}
		if asJSON(t, got) != asJSON(t, want) {
			t.Errorf("ListSurveys %+v: %d surveys, want %d (or they differ)", f, len(got), len(want))
		}
	}
	for _, status := range []string{"", satapi.FollowUpOpen, satapi.FollowUpOverdue, satapi.FollowUpDone} {
		var want []satapi.FollowUp
		for _, f := range ref.followups {
			v := followUpAt(f, now)
			if status == "" || v.Status == status || (status == satapi.FollowUpOpen && v.Status == satapi.FollowUpOverdue) {
				want = append(want, v)
			}
		}
		slices.SortFunc(want, func(a, b satapi.FollowUp) int { return cmp.Or(a.DueAt.Compare(b.DueAt), cmp.Compare(a.ID, b.ID)) })
		if len(want) == 0 {
			t.Fatalf("follow-ups %q: the history has none", status)
		}
		var got []satapi.FollowUp
		cursor := ""
		for pages := 0; ; pages++ {
			page, err := m.ListFollowUps(ctx, status, now, 13, cursor)
			if err != nil {
				t.Fatalf("ListFollowUps %q: %v", status, err)
			}
			if len(page.Items) > 13 || (page.NextCursor != "" && len(page.Items) != 13) {
				t.Fatalf("ListFollowUps %q: a page of %d, cursor %q", status, len(page.Items), page.NextCursor)
			}
			got = append(got, page.Items...)
			if page.NextCursor == "" {
				break
			}
			if pages > len(ref.followups) {
				t.Fatalf("ListFollowUps %q: too many pages", status)
			}
			cursor = page.NextCursor
		}
		if asJSON(t, got) != asJSON(t, want) {
			t.Errorf("ListFollowUps %q: %d follow-ups, want %d (or they differ)", status, len(got), len(want))
		}
	}
	n := 0
	for id, want := range ref.surveys {
		if n++; n > 100 {
			break
		}
		got, ok, err := m.Survey(ctx, id)
		if err != nil || !ok || asJSON(t, got) != asJSON(t, want) {
			t.Errorf("Survey %s = %v, %v\n got %s\nwant %s", id, ok, err, asJSON(t, got), asJSON(t, want))
		}
	}
	for id, f := range ref.followups {
		for _, now := range []time.Time{f.DueAt.Add(-time.Microsecond), f.DueAt, f.DueAt.Add(time.Microsecond)} {
			want := followUpAt(f, now)
			got, ok, err := m.FollowUp(ctx, id, now)
			if err != nil || !ok || asJSON(t, got) != asJSON(t, want) {
				t.Errorf("FollowUp %s at %v = %v, %v\n got %s\nwant %s", id, now, ok, err, asJSON(t, got), asJSON(t, want))
			}
		}
	}
	if _, ok, err := m.Survey(ctx, "nope"); ok || err != nil {
		t.Errorf("Survey of an unknown id = %v, %v", ok, err)
	}
	if _, ok, err := m.FollowUp(ctx, "nope", now); ok || err != nil {
		t.Errorf("FollowUp of an unknown id = %v, %v", ok, err)
	}
	var expired []satapi.Survey
	for _, s := range ref.surveys {
		if s.Status == satapi.StatusOpen && !s.ExpiresAt.After(now) {
			expired = append(expired, s)
		}
	}
	slices.SortFunc(expired, func(a, b satapi.Survey) int { return cmp.Or(a.ExpiresAt.Compare(b.ExpiresAt), cmp.Compare(a.ID, b.ID)) })
	if len(expired) < 20 {
		t.Fatalf("the history has %d open expired surveys; want more", len(expired))
	}
	for _, limit := range []int{10, 1000} {
		got, err := m.ExpiredSurveys(ctx, now, limit)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, s := range expired[:min(limit, len(expired))] {
			want = append(want, s.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("ExpiredSurveys limit %d: %v\nwant %v", limit, got, want)
		}
	}
	if got, err := m.ExpiredSurveys(ctx, histStart, 10); err != nil || len(got) != 0 {
		t.Errorf("ExpiredSurveys before the history: %v, %v", got, err)
	}
}

// TestSatisfactionModel_generated_history applies a generated history of
// thousands of surveys, mixed up between aggregates and partly delivered
// twice, and checks figures, lists and views against the history folded
// in plain Go; then applies the whole history again and checks it all
// again.
func TestSatisfactionModel_generated_history(t *testing.T) {
	t.Parallel()
	h := generate(t, 42, 3000)
	ref := fold(t, h.events)
	batches := projectiontest.Deliveries(h.events, 42, 10)
	// The mix-up must bring some follow-ups before their survey.
	seen, early := map[string]bool{}, 0
	for _, b := range batches {
		for _, e := range b {
			seen[e.AggregateID] = true
			if e.Type == satapi.EventFollowUpOpened {
				var p satapi.FollowUpOpened
				mustDecode(t, e, &p)
				if !seen[p.SurveyID] {
					early++
				}
			}
		}
	}
	if early == 0 || len(ref.followups) < 100 {
		t.Fatalf("%d follow-ups, %d before their survey: the history does not test enough", len(ref.followups), early)
	}
	t.Logf("%d events, %d surveys, %d follow-ups (%d delivered before their survey), %d transactions",
		len(h.events), len(ref.surveys), len(ref.followups), early, len(batches))
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		m := newModel(t, db)
		for _, b := range batches {
			apply(t, db, m, b...)
		}
		checkStats(t, m, ref)
		checkLists(t, m, ref)
		for i := 0; i < len(h.events); i += 500 {
			apply(t, db, m, h.events[i:min(i+500, len(h.events))]...)
		}
		checkStats(t, m, ref)
		checkLists(t, m, ref)
	})
}

// ---- Hand-made cases ----

// TestSatisfactionModel_folds_a_survey follows a ticket's survey and its
// follow-up event by event; every event delivered again, and an older one
// delivered late, change nothing.
func TestSatisfactionModel_folds_a_survey(t *testing.T) {
	t.Parallel()
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := newModel(t, db)
		sid := satapi.SurveyForTicket("T-1", 7)
		fid := satapi.FollowUpFor(sid)
		issuedAt, answeredAt, openedAt, doneAt := at(2026, 11, 26, 23, 30), at(2026, 11, 27, 9, 0), at(2026, 11, 27, 9, 1), at(2026, 11, 28, 10, 0)
		issued := envelope(t, satapi.AggregateSurvey, sid, 10, "system:satisfaction", satapi.SurveyIssued{About: satapi.AboutTicket,
			TicketID: "T-1", Resolution: 7, Respondent: "u-1", AgentID: "a1", Category: "exam", Channel: "web",
			ExpiresAt: issuedAt.Add(7 * 24 * time.Hour)}, issuedAt)
		answered := envelope(t, satapi.AggregateSurvey, sid, 20, "u-1", satapi.SurveyAnswered{Score: 3, Comment: "还行",
			Solved: ptr(false), Dimensions: satapi.Dimensions{Speed: 2, Outcome: 1}, Via: satapi.ViaWeb}, answeredAt)
		// The follow-up names another agent; it counts in its survey's group.
		opened := envelope(t, satapi.AggregateFollowUp, fid, 21, "system:satisfaction", satapi.FollowUpOpened{SurveyID: sid,
			TicketID: "T-1", AgentID: "a2", Reason: satapi.ReasonNotSolved, Score: 3, DueAt: openedAt.Add(48 * time.Hour)}, openedAt)
		completed := envelope(t, satapi.AggregateFollowUp, fid, 30, "sup-1", satapi.FollowUpCompleted{Contact: "电话", Outcome: "已解决"}, doneAt)

		apply(t, db, m, issued)
		s, ok, err := m.Survey(ctx, sid)
		if err != nil || !ok || s.Status != satapi.StatusOpen || s.Version != 10 || s.AnsweredAt != nil || s.Dimensions != nil {
			t.Fatalf("after issue: %v %v %s", ok, err, asJSON(t, s))
		}
		apply(t, db, m, answered, opened, completed)
		wantSurvey := satapi.Survey{ID: sid, Version: 20, About: satapi.AboutTicket, TicketID: "T-1", Status: satapi.StatusAnswered,
			Respondent: "u-1", AgentID: "a1", Category: "exam", Channel: "web", IssuedAt: issuedAt,
			ExpiresAt: issuedAt.Add(7 * 24 * time.Hour), AnsweredAt: &answeredAt, Score: 3, Comment: "还行", Solved: ptr(false),
			Dimensions: &satapi.Dimensions{Speed: 2, Outcome: 1}, Via: satapi.ViaWeb}
		wantFollowUp := satapi.FollowUp{ID: fid, Version: 30, SurveyID: sid, TicketID: "T-1", AgentID: "a2",
			Reason: satapi.ReasonNotSolved, Score: 3, Status: satapi.FollowUpDone, OpenedAt: openedAt, DueAt: openedAt.Add(48 * time.Hour),
			CompletedAt: &doneAt, CompletedBy: "sup-1", Contact: "电话", Outcome: "已解决"}
		q := satapi.GetStats{From: at(2026, 11, 1, 0, 0), To: at(2026, 12, 1, 0, 0), GroupBy: satapi.GroupByDay}
		// Issued at 23:30 Beijing on 26 November, which is still the 26th.
		wantStats := []satapi.Figures{{Key: "2026-11-26", Issued: 1, Responses: 1, CSAT: 0, AvgScore: 3, ResponseRate: 1,
			FollowUps: 1, FollowUpsCompleted: 1}}
		byAgent := satapi.Figures{Key: "a1", Issued: 1, Responses: 1, AvgScore: 3, ResponseRate: 1, FollowUps: 1, FollowUpsCompleted: 1}
		check := func(when string) {
			t.Helper()
			if got, _, _ := m.Survey(ctx, sid); asJSON(t, got) != asJSON(t, wantSurvey) {
				t.Fatalf("%s: survey\n got %s\nwant %s", when, asJSON(t, got), asJSON(t, wantSurvey))
			}
			if got, _, _ := m.FollowUp(ctx, fid, doneAt.Add(100*time.Hour)); asJSON(t, got) != asJSON(t, wantFollowUp) {
				t.Fatalf("%s: follow-up\n got %s\nwant %s", when, asJSON(t, got), asJSON(t, wantFollowUp))
			}
			st, err := m.Stats(ctx, q, doneAt.Add(100*time.Hour))
			if err != nil || !reflect.DeepEqual(st.Groups, wantStats) {
				t.Fatalf("%s: stats %v %s", when, err, asJSON(t, st.Groups))
			}
			st, err = m.Stats(ctx, satapi.GetStats{From: q.From, To: q.To, GroupBy: satapi.GroupByAgent}, doneAt)
			if err != nil || !reflect.DeepEqual(st.Groups, []satapi.Figures{byAgent}) {
				t.Fatalf("%s: stats by agent %v %s", when, err, asJSON(t, st.Groups))
			}
		}
		check("folded")
		for _, e := range []events.Envelope{issued, answered, opened, completed} {
			apply(t, db, m, e)
			check("redelivered " + e.Type)
		}
		// Events older than what the rows hold, delivered late.
		apply(t, db, m, envelope(t, satapi.AggregateSurvey, sid, 15, "system:satisfaction", satapi.SurveyExpired{}, answeredAt),
			envelope(t, satapi.AggregateSurvey, sid, 19, "u-1", satapi.SurveyAnswered{Score: 5, Via: satapi.ViaWeb}, answeredAt),
			envelope(t, satapi.AggregateFollowUp, fid, 25, "sup-2", satapi.FollowUpCompleted{Contact: "x", Outcome: "y"}, doneAt))
		check("stale events")
	})
}

// TestSatisfactionModel_answer_and_expiry_move_figures checks hand-added
// figures, and that each change of a survey moves them by what it changes.
func TestSatisfactionModel_answer_and_expiry_move_figures(t *testing.T) {
	t.Parallel()
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := newModel(t, db)
		day := at(2026, 11, 26, 10, 0)
		issue := func(id string, v uint64) events.Envelope {
			return envelope(t, satapi.AggregateSurvey, id, v, "system", satapi.SurveyIssued{About: satapi.AboutCall, CallID: id,
				AgentID: "a1", Channel: "phone", ExpiresAt: day.Add(time.Hour)}, day)
		}
		answer := func(id string, v uint64, score int) events.Envelope {
			return envelope(t, satapi.AggregateSurvey, id, v, "", satapi.SurveyAnswered{Score: score, Via: satapi.ViaIVR}, day.Add(time.Minute))
		}
		apply(t, db, m, issue("s1", 1), issue("s2", 2), issue("s3", 3), issue("s4", 4),
			answer("s1", 5, 5), answer("s2", 6, 4), answer("s3", 7, 2),
			envelope(t, satapi.AggregateSurvey, "s4", 8, "system", satapi.SurveyExpired{}, day.Add(time.Hour)))
		// A late expiry of an answered survey takes its answer out of the
		// figures (it cannot happen in the domain; the model applies it).
		apply(t, db, m, envelope(t, satapi.AggregateSurvey, "s2", 9, "system", satapi.SurveyExpired{}, day.Add(time.Hour)))
		for _, q := range []satapi.GetStats{
			{From: at(2026, 11, 26, 0, 0), To: at(2026, 11, 27, 0, 0)},  // from the day's bucket
			{From: at(2026, 11, 26, 9, 0), To: at(2026, 11, 26, 11, 0)}, // from the rows
		} {
			st, err := m.Stats(ctx, q, day)
			if err != nil {
				t.Fatal(err)
			}
			want := satapi.Figures{Issued: 4, Responses: 2, CSAT: 0.5, AvgScore: 3.5, ResponseRate: 0.5}
			if st.Total != want || len(st.Groups) != 0 || st.Groups == nil {
				t.Errorf("%v–%v: %+v %v, want %+v", q.From, q.To, st.Total, st.Groups, want)
			}
		}
		st, err := m.Stats(ctx, satapi.GetStats{From: at(2026, 11, 1, 0, 0), To: at(2026, 12, 1, 0, 0), GroupBy: satapi.GroupByWeek}, day)
		if err != nil || len(st.Groups) != 1 || st.Groups[0].Key != "2026-W48" || st.Groups[0].Issued != 4 {
			t.Errorf("by week: %v %s", err, asJSON(t, st.Groups))
		}
	})
}

// TestSatisfactionModel_follow_up_before_its_survey delivers a follow-up,
// completed, before the survey it follows: it counts once the survey comes.
func TestSatisfactionModel_follow_up_before_its_survey(t *testing.T) {
	t.Parallel()
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := newModel(t, db)
		issuedAt := at(2026, 11, 26, 10, 0)
		sid := satapi.SurveyForCall("c1")
		fid := satapi.FollowUpFor(sid)
		opened := envelope(t, satapi.AggregateFollowUp, fid, 3, "system", satapi.FollowUpOpened{SurveyID: sid, CallID: "c1",
			AgentID: "a9", Reason: satapi.ReasonLowScore, Score: 1, DueAt: issuedAt.Add(48 * time.Hour)}, issuedAt.Add(time.Minute))
		apply(t, db, m, opened,
			envelope(t, satapi.AggregateFollowUp, fid, 4, "sup-1", satapi.FollowUpCompleted{Contact: "c", Outcome: "o"}, issuedAt.Add(time.Hour)))
		q := satapi.GetStats{From: at(2026, 11, 1, 0, 0), To: at(2026, 12, 1, 0, 0), GroupBy: satapi.GroupByAgent}
		if st, err := m.Stats(ctx, q, issuedAt); err != nil || st.Total != (satapi.Figures{}) || len(st.Groups) != 0 {
			t.Fatalf("without the survey: %v %+v", err, st)
		}
		apply(t, db, m, envelope(t, satapi.AggregateSurvey, sid, 1, "system", satapi.SurveyIssued{About: satapi.AboutCall, CallID: "c1",
			AgentID: "a1", Channel: "phone", ExpiresAt: issuedAt.Add(time.Hour)}, issuedAt),
			envelope(t, satapi.AggregateSurvey, sid, 2, "", satapi.SurveyAnswered{Score: 1, Via: satapi.ViaIVR}, issuedAt.Add(30*time.Second)),
			opened)
		want := satapi.Figures{Key: "a1", Issued: 1, Responses: 1, AvgScore: 1, ResponseRate: 1, FollowUps: 1, FollowUpsCompleted: 1}
		for _, q := range []satapi.GetStats{q, {From: issuedAt, To: issuedAt.Add(time.Hour), GroupBy: satapi.GroupByAgent}} {
			st, err := m.Stats(ctx, q, issuedAt.Add(100*time.Hour))
			if err != nil || len(st.Groups) != 1 || st.Groups[0] != want {
				t.Errorf("%v–%v: %v %s, want %+v", q.From, q.To, err, asJSON(t, st.Groups), want)
			}
		}
	})
}

// TestSatisfactionModel_refuses_bad_requests checks unknown statuses,
// groupings, foreign cursors, backward ranges, and the page sizes.
func TestSatisfactionModel_refuses_bad_requests(t *testing.T) {
	t.Parallel()
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := newModel(t, db)
		now := at(2026, 11, 26, 10, 0)
		var evs []events.Envelope
		for i := range satapi.MaxListLimit + 1 {
			id := fmt.Sprintf("s%03d", i)
			evs = append(evs, envelope(t, satapi.AggregateSurvey, id, uint64(i+1), "system", satapi.SurveyIssued{About: satapi.AboutCall,
				CallID: id, Channel: "phone", ExpiresAt: now}, now.Add(time.Duration(i)*time.Second)),
				envelope(t, satapi.AggregateFollowUp, "f"+id, uint64(i+1000), "system", satapi.FollowUpOpened{SurveyID: id,
					Reason: satapi.ReasonLowScore, Score: 1, DueAt: now}, now))
		}
		apply(t, db, m, evs...)
		for _, tt := range []struct{ limit, want int }{{0, satapi.DefaultListLimit}, {-1, satapi.DefaultListLimit}, {1000, satapi.MaxListLimit}} {
			page, err := m.ListSurveys(ctx, query.SurveyFilter{Limit: tt.limit})
			if err != nil || len(page.Items) != tt.want || page.NextCursor == "" {
				t.Errorf("ListSurveys limit %d: %d, %q, %v; want %d and a cursor", tt.limit, len(page.Items), page.NextCursor, err, tt.want)
			}
			fpage, err := m.ListFollowUps(ctx, "", now, tt.limit, "")
			if err != nil || len(fpage.Items) != tt.want || fpage.NextCursor == "" {
				t.Errorf("ListFollowUps limit %d: %d, %q, %v; want %d and a cursor", tt.limit, len(fpage.Items), fpage.NextCursor, err, tt.want)
			}
		}
		if ids, err := m.ExpiredSurveys(ctx, now, 0); err != nil || len(ids) != satapi.DefaultListLimit {
			t.Errorf("ExpiredSurveys limit 0: %d, %v", len(ids), err)
		}
		const foreign = "bm90LWEtY3Vyc29y"
		if _, err := m.ListSurveys(ctx, query.SurveyFilter{Cursor: foreign}); problem.CodeOf(err) != problem.CodeValidation {
			t.Errorf("ListSurveys with a foreign cursor: %v", err)
		}
		if _, err := m.ListFollowUps(ctx, "", now, 0, foreign); problem.CodeOf(err) != problem.CodeValidation {
			t.Errorf("ListFollowUps with a foreign cursor: %v", err)
		}
		if _, err := m.ListSurveys(ctx, query.SurveyFilter{Status: "closed"}); problem.CodeOf(err) != problem.CodeInvalidArgument {
			t.Errorf("ListSurveys of status closed: %v", err)
		}
		if _, err := m.ListFollowUps(ctx, "late", now, 0, ""); problem.CodeOf(err) != problem.CodeInvalidArgument {
			t.Errorf("ListFollowUps of status late: %v", err)
		}
		if _, err := m.Stats(ctx, satapi.GetStats{From: now, To: now.Add(time.Hour), GroupBy: "hour"}, now); problem.CodeOf(err) != problem.CodeInvalidArgument {
			t.Errorf("Stats by hour: %v", err)
		}
		if _, err := m.Stats(ctx, satapi.GetStats{From: now, To: now.Add(-time.Hour)}, now); problem.CodeOf(err) != problem.CodeInvalidArgument {
			t.Errorf("Stats of a backward range: %v", err)
		}
	})
}

// TestSatisfactionModel_Reset empties surveys, follow-ups and figures.
func TestSatisfactionModel_Reset(t *testing.T) {
	t.Parallel()
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := newModel(t, db)
		h := generate(t, 1, 50)
		apply(t, db, m, h.events...)
		projectiontest.Reset(t, db, m)
		page, err := m.ListSurveys(ctx, query.SurveyFilter{})
		if err != nil || len(page.Items) != 0 {
			t.Errorf("surveys after reset: %d, %v", len(page.Items), err)
		}
		fpage, err := m.ListFollowUps(ctx, "", histEnd, 0, "")
		if err != nil || len(fpage.Items) != 0 {
			t.Errorf("follow-ups after reset: %d, %v", len(fpage.Items), err)
		}
		st, err := m.Stats(ctx, satapi.GetStats{From: histStart, To: histEnd.Add(24 * time.Hour)}, histEnd)
		if err != nil || st.Total != (satapi.Figures{}) {
			t.Errorf("figures after reset: %+v, %v", st.Total, err)
		}
		// Rebuilt, it holds the same again.
		apply(t, db, m, h.events...)
		checkStats(t, m, fold(t, h.events))
	})
}

// TestSatisfactionModel_handler checks the projection's name, stream and
// event types.
func TestSatisfactionModel_handler(t *testing.T) {
	m := adapters.NewSatisfactionModel(nil)
	if m.Name() != "satisfaction" || m.Stream() != "EVENTS_SATISFACTION" {
		t.Errorf("name %q stream %q", m.Name(), m.Stream())
	}
	got := m.EventTypes()
	want := []string{satapi.EventSurveyIssued, satapi.EventSurveyAnswered, satapi.EventSurveyExpired,
		satapi.EventFollowUpOpened, satapi.EventFollowUpCompleted}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("EventTypes = %v, want %v", got, want)
	}
}
