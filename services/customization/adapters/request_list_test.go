package adapters_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"helpdesk/contracts/custapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/infra/projection/projectiontest"
	"helpdesk/infra/sqlstore"
	"helpdesk/infra/sqlstore/sqlstoretest"
	"helpdesk/services/customization/adapters"
)

func newList(t testing.TB, db *sqlstore.DB) *adapters.RequestList {
	t.Helper()
	m := adapters.NewRequestList(db)
	projectiontest.Migrate(t, db, m)
	return m
}

// apply folds envelopes into the read model in one transaction, the way
// the projection runner does.
func apply(t testing.TB, db *sqlstore.DB, m *adapters.RequestList, envs ...events.Envelope) {
	t.Helper()
	projectiontest.Apply(t, db, m, envs...)
}

func reset(t testing.TB, db *sqlstore.DB, m *adapters.RequestList) {
	t.Helper()
	projectiontest.Reset(t, db, m)
}

// envelope is an appended event of request id: version is its stream
// sequence.
func envelope(t testing.TB, id string, version uint64, actor string, p events.Payload, when time.Time) events.Envelope {
	t.Helper()
	e, err := events.New(custapi.Source, custapi.AggregateRequest, id, p, when, events.Metadata{Actor: actor})
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

const day = 24 * time.Hour

// ---- The workflow table, stated again for the tests ----

// move is one row of the workflow table of contracts/EVENTS.md: the
// statuses an event may be taken from, the status it leads to, whether
// staff take it (else the requester), and how likely the generator takes it.
type move struct {
	from   []string
	to     string
	staff  bool
	weight int
}

var workflow = map[string]move{
	custapi.EventAssessmentStarted:   {[]string{"submitted"}, "under_assessment", true, 10},
	custapi.EventRejected:            {[]string{"submitted", "under_assessment"}, "rejected", true, 1},
	custapi.EventEstimated:           {[]string{"under_assessment"}, "estimated", true, 10},
	custapi.EventApproved:            {[]string{"estimated"}, "approved", false, 8},
	custapi.EventReestimateRequested: {[]string{"estimated"}, "under_assessment", false, 3},
	custapi.EventScopeChanged:        {[]string{"approved", "scheduled", "in_development", "in_testing"}, "under_assessment", false, 1},
	custapi.EventScheduled:           {[]string{"approved"}, "scheduled", true, 10},
	custapi.EventDevelopmentStarted:  {[]string{"scheduled"}, "in_development", true, 10},
	custapi.EventTestingStarted:      {[]string{"in_development"}, "in_testing", true, 10},
	custapi.EventDelivered:           {[]string{"in_testing"}, "delivered", true, 10},
	custapi.EventAccepted:            {[]string{"delivered"}, "accepted", false, 7},
	custapi.EventReworkRequested:     {[]string{"delivered"}, "in_development", false, 4},
	custapi.EventCancelled:           {[]string{"submitted", "under_assessment", "estimated", "approved", "scheduled"}, "cancelled", false, 1},
}

// payloadOf is an event of type typ with its required fields filled in.
func payloadOf(typ string, i int) events.Payload {
	switch typ {
	case custapi.EventAssessmentStarted:
		return custapi.AssessmentStarted{}
	case custapi.EventRejected:
		return custapi.Rejected{Reason: "不在范围内"}
	case custapi.EventEstimated:
		return custapi.Estimated{EffortDays: float64(1 + i%20), Cost: 1000, PlannedStart: "2026-10-01", PlannedEnd: "2026-10-20"}
	case custapi.EventApproved:
		return custapi.Approved{}
	case custapi.EventReestimateRequested:
		return custapi.ReestimateRequested{Comment: "太贵了"}
	case custapi.EventScopeChanged:
		return custapi.ScopeChanged{Description: fmt.Sprintf("新范围 %d", i)}
	case custapi.EventScheduled:
		return custapi.Scheduled{Milestone: "v2.1"}
	case custapi.EventDevelopmentStarted:
		return custapi.DevelopmentStarted{}
	case custapi.EventTestingStarted:
		return custapi.TestingStarted{}
	case custapi.EventDelivered:
		return custapi.Delivered{}
	case custapi.EventAccepted:
		return custapi.Accepted{}
	case custapi.EventReworkRequested:
		return custapi.ReworkRequested{Reason: "导出有误"}
	case custapi.EventCancelled:
		return custapi.Cancelled{}
	}
	panic("no payload for " + typ)
}

// ---- A generated history and what is expected of it ----

var (
	histStart = time.Date(2026, 9, 7, 1, 0, 0, 0, time.UTC)
	histEnd   = histStart.Add(12 * 7 * day)
	rangeFrom = time.Date(2026, 9, 21, 3, 17, 0, 0, time.UTC)
	rangeTo   = time.Date(2026, 10, 19, 22, 3, 0, 0, time.UTC)
	// Submission times the generator uses on purpose: the bounds of the
	// ranges asked for, and ties that the id must break.
	boundarySubmissions = []time.Time{rangeFrom, rangeTo, rangeFrom.Add(-time.Microsecond), rangeTo.Add(-time.Microsecond),
		rangeFrom, rangeTo, rangeFrom.Add(10 * day), rangeFrom.Add(10 * day)}
)

var staffIDs = []string{"s-1", "s-2", "s-3", "s-4"}

// generate makes a history of n requests submitted over eight weeks, each
// walking the workflow at random, a step every few minutes to five days,
// until it ends, stops on the way, or reaches the end of the history. The
// events are in stream order; the version of each is its place there.
func generate(t testing.TB, seed uint64, n int) []events.Envelope {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 3))
	type timed struct {
		env   events.Envelope
		order int
	}
	var all []timed
	add := func(id, actor string, p events.Payload, when time.Time) {
		all = append(all, timed{envelope(t, id, 0, actor, p, when), len(all)})
	}
	micros := func(d time.Duration) time.Duration {
		return time.Duration(r.Int64N(int64(d/time.Microsecond))) * time.Microsecond
	}
	types := make([]string, 0, len(workflow))
	for typ := range workflow {
		types = append(types, typ)
	}
	slices.Sort(types)
	for i := range n {
		id := fmt.Sprintf("CR-%04d", i)
		requester := fmt.Sprintf("u-%d", r.IntN(12))
		at := histStart.Add(micros(8 * 7 * day))
		if i < len(boundarySubmissions) {
			at = boundarySubmissions[i]
		}
		add(id, requester, custapi.Submitted{Kind: custapi.Kinds[r.IntN(len(custapi.Kinds))], Title: fmt.Sprintf("需求 %d", i),
			Description: "说明", Justification: "理由", TicketIDs: []string{fmt.Sprintf("T-%d", i)}, Requester: requester}, at)
		status, assignee := "submitted", ""
		for range 80 {
			if r.IntN(25) == 0 {
				break // left where it is
			}
			var choices []string
			total := 0
			for _, typ := range types {
				if slices.Contains(workflow[typ].from, status) {
					choices, total = append(choices, typ), total+workflow[typ].weight
				}
			}
			if total == 0 {
				break // a final status
			}
			pick, typ := r.IntN(total), ""
			for _, c := range choices {
				if pick -= workflow[c].weight; pick < 0 {
					typ = c
					break
				}
			}
			at = at.Add(time.Minute + micros(5*day))
			if !at.Before(histEnd) {
				break
			}
			actor := requester
			if workflow[typ].staff {
				actor = cmp.Or(assignee, staffIDs[r.IntN(len(staffIDs))])
			}
			if typ == custapi.EventAssessmentStarted {
				assignee = actor
			}
			add(id, actor, payloadOf(typ, i), at)
			status = workflow[typ].to
		}
	}
	slices.SortStableFunc(all, func(a, b timed) int {
		return cmp.Or(a.env.OccurredAt.Compare(b.env.OccurredAt), cmp.Compare(a.order, b.order))
	})
	out := make([]events.Envelope, len(all))
	for i, e := range all {
		e.env.AggregateVersion = uint64(i + 1)
		out[i] = e.env
	}
	return out
}

// stay is a time a request spent in a status; left is zero while it lasts.
type stay struct {
	status        string
	entered, left time.Time
}

// refRequest is a request folded in plain Go.
type refRequest struct {
	summary  custapi.Summary
	accepted time.Time // zero until accepted
	stays    []stay
}

// fold folds a history, in stream order, in plain Go: what the read model
// should hold, computed without it.
func fold(t testing.TB, evs []events.Envelope) map[string]*refRequest {
	t.Helper()
	ref := map[string]*refRequest{}
	for _, e := range evs {
		when := e.OccurredAt.UTC()
		if e.Type == custapi.EventSubmitted {
			var p custapi.Submitted
			if err := json.Unmarshal(e.Data, &p); err != nil {
				t.Fatal(err)
			}
			ref[e.AggregateID] = &refRequest{
				summary: custapi.Summary{ID: e.AggregateID, Version: e.AggregateVersion, Kind: p.Kind, Title: p.Title,
					Requester: p.Requester, Status: "submitted", CreatedAt: when, UpdatedAt: when, StatusSince: when},
				stays: []stay{{status: "submitted", entered: when}},
			}
			continue
		}
		rq := ref[e.AggregateID]
		to := workflow[e.Type].to
		if !slices.Contains(workflow[e.Type].from, rq.summary.Status) {
			t.Fatalf("the generator took %s from %s", e.Type, rq.summary.Status)
		}
		rq.summary.Version, rq.summary.UpdatedAt, rq.summary.Status, rq.summary.StatusSince = e.AggregateVersion, when, to, when
		rq.stays[len(rq.stays)-1].left = when
		rq.stays = append(rq.stays, stay{status: to, entered: when})
		switch e.Type {
		case custapi.EventAssessmentStarted:
			rq.summary.Assignee = e.Actor
		case custapi.EventAccepted:
			rq.accepted = when
		}
	}
	return ref
}

// sorted are the summaries of the requests that keep, ordered by less.
func sorted(ref map[string]*refRequest, keep func(*refRequest) bool, less func(a, b custapi.Summary) int) []custapi.Summary {
	out := []custapi.Summary{}
	for _, rq := range ref {
		if keep(rq) {
			out = append(out, rq.summary)
		}
	}
	slices.SortFunc(out, less)
	return out
}

func newestSubmitted(a, b custapi.Summary) int {
	return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
}

func newestUpdated(a, b custapi.Summary) int {
	return cmp.Or(b.UpdatedAt.Compare(a.UpdatedAt), cmp.Compare(b.ID, a.ID))
}

// expectBoard is the board of the reference.
func expectBoard(ref map[string]*refRequest, kind, requester string, perStatus int) custapi.Board {
	switch {
	case perStatus <= 0:
		perStatus = 20
	case perStatus > 100:
		perStatus = 100
	}
	var b custapi.Board
	for _, status := range custapi.Statuses {
		items := sorted(ref, func(rq *refRequest) bool {
			s := rq.summary
			return s.Status == status && (kind == "" || s.Kind == kind) && (requester == "" || s.Requester == requester)
		}, newestUpdated)
		b.Columns = append(b.Columns, custapi.Column{Status: status, Count: len(items), Items: items[:min(perStatus, len(items))]})
	}
	return b
}

// expectStats works the figures out of the reference request by request.
func expectStats(ref map[string]*refRequest, q custapi.GetStats, now time.Time) custapi.Stats {
	days := func(d time.Duration) float64 { return d.Hours() / 24 }
	figures := func(kind string) custapi.KindStats {
		ks := custapi.KindStats{Kind: kind, DaysInStatus: map[string]float64{}, Open: map[string]int{}}
		var leads []float64
		inStatus := map[string][]float64{} // per status, each request's days in it
		for _, rq := range ref {
			s := rq.summary
			if (kind != "" && s.Kind != kind) || (!q.From.IsZero() && s.CreatedAt.Before(q.From)) ||
				(!q.To.IsZero() && !s.CreatedAt.Before(q.To)) {
				continue
			}
			ks.Submitted++
			ks.Open[s.Status]++
			if !rq.accepted.IsZero() {
				ks.Accepted++
				leads = append(leads, days(rq.accepted.Sub(s.CreatedAt)))
			}
			spent := map[string]time.Duration{}
			for _, st := range rq.stays {
				end := st.left
				if end.IsZero() {
					end = now
				}
				spent[st.status] += max(end.Sub(st.entered), 0)
			}
			for status, d := range spent {
				inStatus[status] = append(inStatus[status], days(d))
			}
		}
		mean := func(xs []float64) float64 {
			if len(xs) == 0 {
				return 0
			}
			sum := 0.0
			for _, x := range xs {
				sum += x
			}
			return sum / float64(len(xs))
		}
		for _, status := range custapi.Statuses {
			if status != custapi.StatusRejected && status != custapi.StatusAccepted && status != custapi.StatusCancelled {
				ks.DaysInStatus[status] = mean(inStatus[status])
			}
			ks.Open[status] += 0
		}
		ks.LeadTimeDays = mean(leads)
		slices.Sort(leads)
		switch n := len(leads); {
		case n == 0:
		case n%2 == 1:
			ks.LeadTimeP50Days = leads[n/2]
		default:
			ks.LeadTimeP50Days = (leads[n/2-1] + leads[n/2]) / 2
		}
		return ks
	}
	st := custapi.Stats{Total: figures("")}
	for _, k := range custapi.Kinds {
		st.Kinds = append(st.Kinds, figures(k))
	}
	return st
}

// near tells whether two figures in days agree to within a millisecond's
// worth of rounding.
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(b)) }

// kindStatsDiff describes how got differs from want; "" when they agree.
func kindStatsDiff(got, want custapi.KindStats) string {
	var diffs []string
	if got.Kind != want.Kind || got.Submitted != want.Submitted || got.Accepted != want.Accepted {
		diffs = append(diffs, fmt.Sprintf("kind %q submitted %d accepted %d, want %q %d %d",
			got.Kind, got.Submitted, got.Accepted, want.Kind, want.Submitted, want.Accepted))
	}
	if !near(got.LeadTimeDays, want.LeadTimeDays) || !near(got.LeadTimeP50Days, want.LeadTimeP50Days) {
		diffs = append(diffs, fmt.Sprintf("lead time %v p50 %v, want %v %v",
			got.LeadTimeDays, got.LeadTimeP50Days, want.LeadTimeDays, want.LeadTimeP50Days))
	}
	if got.DaysInStatus == nil || got.Open == nil || len(got.DaysInStatus) != len(want.DaysInStatus) || len(got.Open) != len(want.Open) {
		diffs = append(diffs, fmt.Sprintf("maps %v %v, want %v %v", got.DaysInStatus, got.Open, want.DaysInStatus, want.Open))
	}
	for status, w := range want.DaysInStatus {
		if g, ok := got.DaysInStatus[status]; !ok || !near(g, w) || math.IsNaN(g) {
			diffs = append(diffs, fmt.Sprintf("days in %s %v, want %v", status, g, w))
		}
	}
	for status, w := range want.Open {
		if g, ok := got.Open[status]; !ok || g != w {
			diffs = append(diffs, fmt.Sprintf("%d %s, want %d", g, status, w))
		}
	}
	return strings.Join(diffs, "; ")
}

// statsRanges are the ranges the figures are checked for.
var statsRanges = []struct {
	name     string
	from, to time.Time
}{
	{"all", time.Time{}, time.Time{}},
	{"around everything", histStart.Add(-day), histEnd.Add(day)},
	{"not aligned", rangeFrom, rangeTo},
	{"open start", time.Time{}, rangeTo},
	{"open end", rangeFrom, time.Time{}},
	{"one week", rangeFrom.Add(3 * day), rangeFrom.Add(10 * day)},
	{"nothing", histEnd.Add(100 * day), histEnd.Add(200 * day)},
	{"empty", rangeFrom, rangeFrom},
}

// checkStats compares Stats with the reference for every range, at the
// end of the history and a month later.
func checkStats(t *testing.T, m *adapters.RequestList, ref map[string]*refRequest) {
	t.Helper()
	ctx := context.Background()
	for _, now := range []time.Time{histEnd, histEnd.Add(31*day + 7*time.Hour)} {
		for _, rg := range statsRanges {
			q := custapi.GetStats{From: rg.from, To: rg.to}
			got, err := m.Stats(ctx, q, now)
			if err != nil {
				t.Fatalf("stats %s: %v", rg.name, err)
			}
			want := expectStats(ref, q, now)
			if d := kindStatsDiff(got.Total, want.Total); d != "" {
				t.Errorf("stats %s at %v: total: %s", rg.name, now, d)
			}
			if len(got.Kinds) != len(want.Kinds) {
				t.Fatalf("stats %s: %d kinds, want %d", rg.name, len(got.Kinds), len(want.Kinds))
			}
			for i := range want.Kinds {
				if d := kindStatsDiff(got.Kinds[i], want.Kinds[i]); d != "" {
					t.Errorf("stats %s at %v: %s: %s", rg.name, now, want.Kinds[i].Kind, d)
				}
			}
		}
	}
}

// checkLists reads lists page by page and boards, and compares them with
// the reference.
func checkLists(t *testing.T, m *adapters.RequestList, ref map[string]*refRequest) {
	t.Helper()
	ctx := context.Background()
	for _, f := range []custapi.ListRequests{
		{}, {Limit: 7}, {Limit: 1000}, {Status: custapi.StatusInDevelopment, Limit: 3},
		{Status: custapi.StatusAccepted, Limit: 11}, {Kind: custapi.KindNewFeature, Limit: 13},
		{Requester: "u-3", Limit: 4}, {Assignee: "s-2", Limit: 9},
		{Status: custapi.StatusCancelled, Kind: custapi.KindUIOptimization, Requester: "u-5"},
		{Requester: "nobody"},
	} {
		want := sorted(ref, func(rq *refRequest) bool {
			s := rq.summary
			return (f.Status == "" || s.Status == f.Status) && (f.Kind == "" || s.Kind == f.Kind) &&
				(f.Requester == "" || s.Requester == f.Requester) && (f.Assignee == "" || s.Assignee == f.Assignee)
		}, newestSubmitted)
		if len(want) == 0 && f.Requester != "nobody" {
			t.Fatalf("List %+v: the history has none", f)
		}
		limit := cmp.Or(min(f.Limit, 200), 50)
		got := []custapi.Summary{}
		for pages := 0; ; pages++ {
			page, err := m.List(ctx, f)
			if err != nil {
				t.Fatalf("List %+v: %v", f, err)
			}
			if page.Items == nil || len(page.Items) > limit || (page.NextCursor != "" && len(page.Items) != limit) {
				t.Fatalf("List %+v: a page of %d, cursor %q", f, len(page.Items), page.NextCursor)
			}
			got = append(got, page.Items...)
			if page.NextCursor == "" {
				break
			}
			if pages > len(ref) {
				t.Fatalf("List %+v: too many pages", f)
			}
			f.Cursor = page.NextCursor
		}
		if asJSON(t, got) != asJSON(t, want) {
			t.Errorf("List %+v: %d requests, want %d (or they differ)", f, len(got), len(want))
		}
	}
	for _, kind := range append([]string{""}, custapi.Kinds...) {
		for _, requester := range []string{"", "u-3", "nobody"} {
			for _, perStatus := range []int{0, 3, 1000} {
				got, err := m.Board(ctx, kind, requester, perStatus)
				if err != nil {
					t.Fatalf("Board %q %q %d: %v", kind, requester, perStatus, err)
				}
				want := expectBoard(ref, kind, requester, perStatus)
				if asJSON(t, got) != asJSON(t, want) {
					t.Errorf("Board %q %q %d:\n got %s\nwant %s", kind, requester, perStatus, asJSON(t, got), asJSON(t, want))
				}
			}
		}
	}
}

// TestRequestList_equals_replay applies a generated history of hundreds
// of requests, mixed up between requests and partly delivered twice, and
// checks lists, boards and figures against the history folded in plain Go;
// then applies the whole history again and checks it all again.
func TestRequestList_equals_replay(t *testing.T) {
	t.Parallel()
	evs := generate(t, 42, 400)
	ref := fold(t, evs)
	batches := projectiontest.Deliveries(evs, 42, 5)
	// The history must hold what the model has to get right.
	types, reworked, redelivered := map[string]int{}, 0, 0
	for _, e := range evs {
		types[e.Type]++
	}
	for _, rq := range ref {
		n := 0
		for _, s := range rq.stays {
			if s.status == custapi.StatusInDevelopment {
				n++
			}
		}
		if n > 1 && !rq.accepted.IsZero() {
			reworked++
		}
	}
	// A stale delivery comes after a later event of its request.
	stale, newest := 0, map[string]uint64{}
	for _, b := range batches {
		redelivered += len(b)
		for _, e := range b {
			if e.AggregateVersion < newest[e.AggregateID] {
				stale++
			}
			newest[e.AggregateID] = max(newest[e.AggregateID], e.AggregateVersion)
		}
	}
	redelivered -= len(evs)
	for typ := range workflow {
		if types[typ] < 5 {
			t.Fatalf("the history has %d %s events; want more", types[typ], typ)
		}
	}
	if reworked < 5 || types[custapi.EventAccepted] < 40 || redelivered < 100 || stale < 20 {
		t.Fatalf("%d reworked and accepted, %d accepted, %d redelivered (%d stale): the history does not test enough",
			reworked, types[custapi.EventAccepted], redelivered, stale)
	}
	t.Logf("%d events, %d requests, %d accepted (%d after a rework), %d redeliveries (%d stale), %d transactions",
		len(evs), len(ref), types[custapi.EventAccepted], reworked, redelivered, stale, len(batches))
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		m := newList(t, db)
		for _, b := range batches {
			apply(t, db, m, b...)
		}
		checkStats(t, m, ref)
		checkLists(t, m, ref)
		for i := 0; i < len(evs); i += 300 {
			apply(t, db, m, evs[i:min(i+300, len(evs))]...)
		}
		checkStats(t, m, ref)
		checkLists(t, m, ref)
		// Reset and rebuilt, it holds the same again.
		reset(t, db, m)
		if page, err := m.List(context.Background(), custapi.ListRequests{}); err != nil || len(page.Items) != 0 {
			t.Fatalf("after reset: %d requests, %v", len(page.Items), err)
		}
		apply(t, db, m, evs...)
		checkStats(t, m, ref)
	})
}

// ---- Hand-made cases ----

// TestRequestList_folds_a_request follows one request through estimates,
// a re-estimate, development, a rework and acceptance, checking its row
// and figures on the way; every event delivered again, and stale events,
// change nothing.
func TestRequestList_folds_a_request(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	at := func(days float64) time.Time { return t0.Add(time.Duration(days * float64(day))) }
	steps := []struct {
		typ, actor string
		when       float64 // days after t0
	}{
		{custapi.EventAssessmentStarted, "s-1", 1},
		{custapi.EventEstimated, "s-1", 3},
		{custapi.EventReestimateRequested, "u-1", 4},
		{custapi.EventEstimated, "s-1", 5},
		{custapi.EventApproved, "u-1", 6},
		{custapi.EventScheduled, "s-2", 7},
		{custapi.EventDevelopmentStarted, "s-2", 10},
		{custapi.EventTestingStarted, "s-3", 20},
		{custapi.EventDelivered, "s-2", 22},
		{custapi.EventReworkRequested, "u-1", 23},
		{custapi.EventTestingStarted, "s-3", 26},
		{custapi.EventDelivered, "s-2", 27.5},
		{custapi.EventAccepted, "u-1", 28},
	}
	evs := []events.Envelope{envelope(t, "CR-1", 10, "u-1", custapi.Submitted{Kind: custapi.KindNewFeature, Title: "批量导出",
		Requester: "u-1"}, t0)}
	for i, s := range steps {
		evs = append(evs, envelope(t, "CR-1", uint64(20+10*i), s.actor, payloadOf(s.typ, i), at(s.when)))
	}
	// The figures of a request that alone is in the range, at now.
	stats := func(m *adapters.RequestList, now time.Time) custapi.KindStats {
		t.Helper()
		st, err := m.Stats(context.Background(), custapi.GetStats{From: t0, To: t0.Add(time.Microsecond)}, now)
		if err != nil {
			t.Fatal(err)
		}
		return st.Total
	}
	summary := func(m *adapters.RequestList) custapi.Summary {
		t.Helper()
		page, err := m.List(context.Background(), custapi.ListRequests{})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("list: %v %s", err, asJSON(t, page))
		}
		return page.Items[0]
	}
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		m := newList(t, db)
		apply(t, db, m, evs[:11]...) // up to the rework
		want := custapi.Summary{ID: "CR-1", Version: 110, Kind: custapi.KindNewFeature, Title: "批量导出", Requester: "u-1",
			Assignee: "s-1", Status: custapi.StatusInDevelopment, CreatedAt: t0, UpdatedAt: at(23), StatusSince: at(23)}
		if got := summary(m); asJSON(t, got) != asJSON(t, want) {
			t.Fatalf("after the rework:\n got %s\nwant %s", asJSON(t, got), asJSON(t, want))
		}
		// In development since day 23: 10 days before, and 2 more up to day 25.
		if st := stats(m, at(25)); st.Accepted != 0 || st.LeadTimeDays != 0 || !near(st.DaysInStatus[custapi.StatusInDevelopment], 12) {
			t.Fatalf("after the rework: %s", asJSON(t, st))
		}
		// A now before the current stay began counts it as nothing.
		if st := stats(m, at(22.5)); !near(st.DaysInStatus[custapi.StatusInDevelopment], 10) {
			t.Fatalf("asked before the stay began: %s", asJSON(t, st))
		}

		apply(t, db, m, evs[11:]...)
		want.Version, want.Status, want.UpdatedAt, want.StatusSince = 140, custapi.StatusAccepted, at(28), at(28)
		wantStats := custapi.KindStats{Submitted: 1, Accepted: 1, LeadTimeDays: 28, LeadTimeP50Days: 28,
			DaysInStatus: map[string]float64{"submitted": 1, "under_assessment": 3, "estimated": 2,
				"approved": 1, "scheduled": 3, "in_development": 13, "in_testing": 3.5, "delivered": 1.5},
			Open: map[string]int{"submitted": 0, "under_assessment": 0, "rejected": 0, "estimated": 0, "approved": 0, "scheduled": 0,
				"in_development": 0, "in_testing": 0, "delivered": 0, "accepted": 1, "cancelled": 0}}
		check := func(when string) {
			t.Helper()
			if got := summary(m); asJSON(t, got) != asJSON(t, want) {
				t.Fatalf("%s:\n got %s\nwant %s", when, asJSON(t, got), asJSON(t, want))
			}
			if d := kindStatsDiff(stats(m, at(30)), wantStats); d != "" {
				t.Fatalf("%s: %s", when, d)
			}
			b, err := m.Board(context.Background(), custapi.KindNewFeature, "u-1", 0)
			if err != nil || b.Columns[9].Status != custapi.StatusAccepted || b.Columns[9].Count != 1 || asJSON(t, b.Columns[9].Items) != asJSON(t, []custapi.Summary{want}) {
				t.Fatalf("%s: board %v %s", when, err, asJSON(t, b))
			}
		}
		check("accepted")
		for _, e := range evs {
			apply(t, db, m, e)
			check("redelivered " + e.Type)
		}
		// Events older than the row, delivered late: a cancel between the
		// submission and the assessment, a second submission.
		apply(t, db, m, envelope(t, "CR-1", 15, "u-1", custapi.Cancelled{}, at(0.5)),
			envelope(t, "CR-1", 139, "u-1", custapi.ReworkRequested{Reason: "x"}, at(27.9)),
			envelope(t, "CR-1", 5, "u-2", custapi.Submitted{Kind: custapi.KindUIOptimization, Title: "别的", Requester: "u-2"}, at(-1)))
		check("stale events")
	})
}

// TestRequestList_lead_time checks the mean and median lead times of
// hand-made acceptances, in total and per kind.
func TestRequestList_lead_time(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name         string
		leads        []float64 // days, of new features
		open         int       // more requests of new features, not accepted
		mean, p50    float64
		otherKindP50 float64 // of the one UI request accepted after 100 days
	}{
		{"none", nil, 2, 0, 0, 100},
		{"one", []float64{5}, 0, 5, 5, 100},
		{"even count: the mean of the two middle ones", []float64{10, 1, 4, 2}, 1, 4.25, 3, 100},
		{"odd count", []float64{10, 1, 4, 2, 7}, 3, 4.8, 4, 100},
		{"a quarter of a day", []float64{0.25, 0.75}, 0, 0.5, 0.5, 100},
	}
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		m := newList(t, db)
		for _, tt := range tests {
			reset(t, db, m)
			var evs []events.Envelope
			v := uint64(0)
			request := func(kind string, lead float64) {
				v++
				id, start := fmt.Sprintf("CR-%d", v), t0.Add(time.Duration(v)*time.Hour)
				evs = append(evs, envelope(t, id, v*100, "u-1", custapi.Submitted{Kind: kind, Title: id, Requester: "u-1"}, start))
				if lead > 0 {
					end := start.Add(time.Duration(lead * float64(day)))
					evs = append(evs, envelope(t, id, v*100+1, "s-1", custapi.Delivered{}, end.Add(-time.Minute)),
						envelope(t, id, v*100+2, "u-1", custapi.Accepted{}, end))
				}
			}
			for _, lead := range tt.leads {
				request(custapi.KindNewFeature, lead)
			}
			for range tt.open {
				request(custapi.KindNewFeature, 0)
			}
			request(custapi.KindUIOptimization, 100)
			apply(t, db, m, evs...)
			st, err := m.Stats(context.Background(), custapi.GetStats{}, t0.Add(200*day))
			if err != nil {
				t.Fatal(err)
			}
			nf, ui := st.Kinds[3], st.Kinds[1]
			if nf.Kind != custapi.KindNewFeature || nf.Submitted != len(tt.leads)+tt.open || nf.Accepted != len(tt.leads) ||
				!near(nf.LeadTimeDays, tt.mean) || !near(nf.LeadTimeP50Days, tt.p50) {
				t.Errorf("%s: new features %s, want mean %v p50 %v", tt.name, asJSON(t, nf), tt.mean, tt.p50)
			}
			if ui.Kind != custapi.KindUIOptimization || !near(ui.LeadTimeP50Days, tt.otherKindP50) {
				t.Errorf("%s: UI %s", tt.name, asJSON(t, ui))
			}
			all := append(slices.Clone(tt.leads), 100)
			slices.Sort(all)
			p50 := all[len(all)/2]
			if len(all)%2 == 0 {
				p50 = (all[len(all)/2-1] + all[len(all)/2]) / 2
			}
			if st.Total.Accepted != len(all) || !near(st.Total.LeadTimeP50Days, p50) {
				t.Errorf("%s: total %s, want p50 %v", tt.name, asJSON(t, st.Total), p50)
			}
			for _, ks := range []custapi.KindStats{st.Kinds[0], st.Kinds[2]} {
				if ks.Submitted != 0 || ks.LeadTimeDays != 0 || ks.DaysInStatus == nil || ks.Open == nil ||
					len(ks.DaysInStatus) != len(custapi.Statuses)-3 || ks.DaysInStatus[custapi.StatusSubmitted] != 0 {
					t.Errorf("%s: an empty kind: %s", tt.name, asJSON(t, ks))
				}
			}
		}
	})
}

// TestRequestList_refuses_bad_requests checks unknown statuses and kinds,
// foreign cursors, backward ranges, and the page and column sizes.
func TestRequestList_refuses_bad_requests(t *testing.T) {
	t.Parallel()
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		m := newList(t, db)
		now := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
		var evs []events.Envelope
		for i := range 210 {
			id := fmt.Sprintf("CR-%03d", i)
			evs = append(evs, envelope(t, id, uint64(i+1), "u-1", custapi.Submitted{Kind: custapi.KindBusinessOptimization,
				Title: id, Requester: "u-1"}, now.Add(time.Duration(i)*time.Second)))
		}
		apply(t, db, m, evs...)
		for _, tt := range []struct{ limit, want int }{{0, 50}, {-1, 50}, {200, 200}, {1000, 200}} {
			page, err := m.List(ctx, custapi.ListRequests{Limit: tt.limit})
			if err != nil || len(page.Items) != tt.want || page.NextCursor == "" {
				t.Errorf("List limit %d: %d, %q, %v; want %d and a cursor", tt.limit, len(page.Items), page.NextCursor, err, tt.want)
			}
		}
		for _, tt := range []struct{ perStatus, want int }{{0, 20}, {-5, 20}, {100, 100}, {1000, 100}} {
			b, err := m.Board(ctx, "", "", tt.perStatus)
			if err != nil || len(b.Columns) != len(custapi.Statuses) || b.Columns[0].Count != 210 || len(b.Columns[0].Items) != tt.want {
				t.Errorf("Board per status %d: %v %d columns", tt.perStatus, err, len(b.Columns))
			}
		}
		const foreign = "bm90LWEtY3Vyc29y"
		if _, err := m.List(ctx, custapi.ListRequests{Cursor: foreign}); problem.CodeOf(err) != problem.CodeValidation {
			t.Errorf("List with a foreign cursor: %v", err)
		}
		for _, f := range []custapi.ListRequests{{Status: "closed"}, {Kind: "bug"}} {
			if _, err := m.List(ctx, f); problem.CodeOf(err) != problem.CodeInvalidArgument {
				t.Errorf("List %+v: %v", f, err)
			}
		}
		if _, err := m.Board(ctx, "bug", "", 0); problem.CodeOf(err) != problem.CodeInvalidArgument {
			t.Errorf("Board of kind bug: %v", err)
		}
		if _, err := m.Stats(ctx, custapi.GetStats{From: now, To: now.Add(-time.Hour)}, now); problem.CodeOf(err) != problem.CodeInvalidArgument {
			t.Errorf("Stats of a backward range: %v", err)
		}
	})
}

// TestRequestList_handler checks the projection's name, stream and event
// types.
func TestRequestList_handler(t *testing.T) {
	m := adapters.NewRequestList(nil)
	if m.Name() != "customization_requests" || m.Stream() != "EVENTS_CUSTOMIZATION" {
		t.Errorf("name %q stream %q", m.Name(), m.Stream())
	}
	want := []string{custapi.EventSubmitted}
	for typ := range workflow {
		want = append(want, typ)
	}
	got := m.EventTypes()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("EventTypes = %v, want %v", got, want)
	}
}

// TestRequestList_step_that_keeps_the_status keeps the stay and its start:
// the workflow has no such step, but the model must not split a stay.
func TestRequestList_step_that_keeps_the_status(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		m := newList(t, db)
		apply(t, db, m, envelope(t, "CR-1", 1, "u-1", custapi.Submitted{Kind: custapi.KindUIOptimization, Title: "x", Requester: "u-1"}, t0),
			envelope(t, "CR-1", 2, "s-1", custapi.AssessmentStarted{}, t0.Add(day)),
			envelope(t, "CR-1", 3, "u-1", custapi.ScopeChanged{Description: "y"}, t0.Add(2*day)))
		page, err := m.List(context.Background(), custapi.ListRequests{Assignee: "s-1"})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("list: %v %s", err, asJSON(t, page))
		}
		if s := page.Items[0]; s.Version != 3 || !s.UpdatedAt.Equal(t0.Add(2*day)) || !s.StatusSince.Equal(t0.Add(day)) {
			t.Errorf("summary %s", asJSON(t, s))
		}
		st, err := m.Stats(context.Background(), custapi.GetStats{}, t0.Add(4*day))
		if err != nil || !near(st.Total.DaysInStatus[custapi.StatusUnderAssessment], 3) || !near(st.Kinds[1].DaysInStatus[custapi.StatusSubmitted], 1) {
			t.Errorf("stats %v %s", err, asJSON(t, st.Total))
		}
	})
}
