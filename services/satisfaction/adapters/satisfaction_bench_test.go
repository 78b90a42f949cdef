package adapters_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/satapi"
	"helpdesk/infra/sqlstore"
	"helpdesk/services/satisfaction/adapters"
)

// benchSurveys is how many answered surveys BenchmarkStats_1M fills in.
const benchSurveys = 1_000_000

// BenchmarkStats_1M measures Stats over a year of one million answered
// surveys on SQLite: for a whole year and for a month whose bounds are not
// Beijing midnights, for every grouping. The surveys are filled in through
// Apply, outside the timing, by the first sub-benchmark (its log shows the
// progress and the setup time): 60 agents, 12 categories, 4 channels,
// issued at any time of the year; scores mostly 4–5, a follow-up for
// scores 1–2, one in twenty never completed. Besides the mean (ns/op) each
// reports the 50th and 99th percentile of its calls, in milliseconds.
func BenchmarkStats_1M(b *testing.B) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, sqlstore.Config{Driver: sqlstore.DriverSQLite, DSN: b.TempDir() + "/bench.db"})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	m := newModel(b, db)
	year := at(2026, 1, 1, 0, 0)
	end := at(2027, 1, 1, 0, 0)
	filled := false
	fill := func(b *testing.B) {
		if filled {
			return
		}
		started := time.Now()
		events := fillYear(b, db, m, year, end, benchSurveys)
		took := time.Since(started).Round(time.Second)
		st, err := m.Stats(ctx, satapi.GetStats{From: year, To: end}, end)
		if err != nil || st.Total.Issued != benchSurveys || st.Total.Responses != benchSurveys {
			b.Fatalf("figures of the year: %+v, %v", st.Total, err)
		}
		// Benchmark logs show ten lines at most: this is the tenth.
		b.Logf("setup: %d surveys, %d events through Apply in %v; the year: %+v", benchSurveys, events, took, st.Total)
		filled = true
	}
	ranges := []struct {
		name     string
		from, to time.Time
	}{
		{"year", year, end},
		{"month_not_aligned", at(2026, 6, 3, 10, 17), at(2026, 7, 2, 15, 41)},
	}
	for _, rg := range ranges {
		for _, g := range groupBys {
			b.Run(rg.name+"/"+cmp.Or(g, "total"), func(b *testing.B) {
				fill(b)
				q := satapi.GetStats{From: rg.from, To: rg.to, GroupBy: g}
				took := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				for range b.N {
					start := time.Now()
					if _, err := m.Stats(ctx, q, end); err != nil {
						b.Fatal(err)
					}
					took = append(took, time.Since(start))
				}
				b.StopTimer()
				slices.Sort(took)
				pct := func(p float64) float64 {
					return float64(took[min(len(took)-1, int(p*float64(len(took))))]) / float64(time.Millisecond)
				}
				b.ReportMetric(pct(0.50), "p50-ms")
				b.ReportMetric(pct(0.99), "p99-ms")
			})
		}
	}
}

// fillYear applies n surveys issued at random in [from, to), all answered,
// through the model's Apply in transactions of 50 000 events, each
// survey's events in order with increasing versions, and logs its progress
// every 100 000 surveys but the last. It returns how many events it
// applied.
func fillYear(b *testing.B, db *sqlstore.DB, m *adapters.SatisfactionModel, from, to time.Time, n int) uint64 {
	b.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(2026, 1))
	channels := []string{"web", "remote", "email", "phone"}
	scores := []int{1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5}
	span := to.Sub(from) / time.Microsecond
	started := time.Now()
	var version uint64
	var batch []events.Envelope
	flush := func() {
		tx, err := db.Write.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range batch {
			if err := m.Apply(ctx, tx, e); err != nil {
				tx.Rollback()
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	add := func(aggType, id, actor string, p events.Payload, when time.Time) {
		version++
		batch = append(batch, envelope(b, aggType, id, version, actor, p, when))
	}
	for i := range n {
		issued := from.Add(time.Duration(r.Int64N(int64(span))) * time.Microsecond)
		id := fmt.Sprintf("s-%07d", i)
		p := satapi.SurveyIssued{AgentID: fmt.Sprintf("agent-%02d", r.IntN(60)), Category: fmt.Sprintf("cat-%02d", r.IntN(12)),
			Channel: channels[r.IntN(len(channels))], ExpiresAt: issued.Add(7 * 24 * time.Hour)}
		via := satapi.ViaWeb
		if p.Channel == "phone" && r.IntN(2) == 0 {
			p.About, p.CallID, via = satapi.AboutCall, "call-"+id, satapi.ViaIVR
		} else {
			p.About, p.TicketID, p.Resolution, p.Respondent = satapi.AboutTicket, "T-"+id, 3, fmt.Sprintf("u-%d", r.IntN(20000))
		}
		answered := issued.Add(time.Duration(1+r.IntN(48*60)) * time.Minute)
		score := scores[r.IntN(len(scores))]
		add(satapi.AggregateSurvey, id, "system:satisfaction", p, issued)
		add(satapi.AggregateSurvey, id, p.Respondent, satapi.SurveyAnswered{Score: score, Via: via}, answered)
		if score <= 2 {
			fid, opened := "f-"+id, answered.Add(time.Second)
			add(satapi.AggregateFollowUp, fid, "system:satisfaction", satapi.FollowUpOpened{SurveyID: id, TicketID: p.TicketID,
				CallID: p.CallID, AgentID: p.AgentID, Reason: satapi.ReasonLowScore, Score: score, DueAt: opened.Add(48 * time.Hour)}, opened)
			if r.IntN(20) > 0 {
				add(satapi.AggregateFollowUp, fid, "sup-1", satapi.FollowUpCompleted{Contact: "电话", Outcome: "已回访"},
					opened.Add(time.Duration(1+r.IntN(72))*time.Hour))
			}
		}
		if len(batch) >= 50_000 {
			flush()
		}
		if (i+1)%100_000 == 0 && i+1 < n {
			b.Logf("%d surveys applied (%d events) in %v", i+1, version, time.Since(started).Round(time.Second))
		}
	}
	flush()
	return version
}
