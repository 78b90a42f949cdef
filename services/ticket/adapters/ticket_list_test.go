package adapters_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/calendar"
	"helpdesk/infra/sqlstore"
	"helpdesk/infra/sqlstore/sqlstoretest"
	"helpdesk/services/ticket/adapters"
	"helpdesk/services/ticket/domain/ticket"
)

var (
	cal    = calendar.NewChina()
	policy = ticket.DefaultPolicy()
	agent  = ticket.Actor{ID: "agent-1", Role: "agent"}
	admin  = ticket.Actor{ID: "admin-1", Role: "admin"}
	start  = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
)

// model applies envelopes to the read model, one transaction each, the way
// the projection runner does.
func apply(t *testing.T, db *sqlstore.DB, list *adapters.TicketList, evs ...events.Envelope) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, e := range evs {
		if err := list.Apply(ctx, tx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func newList(t testing.TB, db *sqlstore.DB) *adapters.TicketList {
	t.Helper()
	list := adapters.NewTicketList(db)
	if err := db.Migrate(context.Background(), list.Name(), list.Migrations()); err != nil {
		t.Fatal(err)
	}
	return list
}

// sim drives random tickets through the domain and keeps their events.
type sim struct {
	seq     uint64
	tickets map[string]*ticket.Ticket
	envs    []events.Envelope
}

func (s *sim) record(t *testing.T, id string, at time.Time, ps []events.Payload) {
	for _, p := range ps {
		s.seq++
		e, err := events.New(ticketapi.Source, "ticket", id, p, at, events.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		e.AggregateVersion = s.seq
		s.envs = append(s.envs, e)
	}
}

// run opens n tickets and applies random commands; refused commands are
// skipped, as a user would see a 409 and move on.
func (s *sim) run(t *testing.T, n, steps int, rng *rand.Rand) {
	s.tickets = map[string]*ticket.Ticket{}
	var ids []string
	now := start
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("t-%03d", i)
		requester := ticket.Actor{ID: fmt.Sprintf("cust-%d", i%3), Role: "customer"}
		tk, ps, err := ticket.Open(id, requester, ticketapi.OpenTicket{Title: "工单 " + id, Priority: ticketapi.Priorities[i%4], Category: []string{"账号", "考试"}[i%2]}, now, policy, cal)
		if err != nil {
			t.Fatal(err)
		}
		s.tickets[id], ids = tk, append(ids, id)
		s.record(t, id, now, ps)
		now = now.Add(time.Minute)
	}
	for i := 0; i < steps; i++ {
		id := ids[rng.IntN(len(ids))]
		tk := s.tickets[id]
		requester := ticket.Actor{ID: tk.Requester(), Role: "customer"}
		now = now.Add(time.Duration(rng.IntN(180)) * time.Minute)
		var ps []events.Payload
		var err error
		switch rng.IntN(9) {
		case 0:
			ps, err = tk.Assign(agent, fmt.Sprintf("agent-%d", rng.IntN(2)), now)
		case 1:
			ps, err = tk.StartWork(agent, now)
		case 2:
			ps, err = tk.Reply(agent, "r", "回复", rng.IntN(2) == 0, false, now)
		case 3:
			ps, err = tk.Reply(agent, "r", "请确认", false, true, now)
		case 4:
			ps, err = tk.Reply(requester, "r", "补充", false, false, now)
		case 5:
			ps, err = tk.Resolve(agent, "已解决", now, policy, cal)
		case 6:
			ps, err = tk.Close(requester, "", now)
		case 7:
			ps, err = tk.Reopen(requester, "又坏了", now, policy, cal)
		case 8:
			ps = tk.RecordSLABreaches(now)
			if len(ps) == 0 && tk.AutoCloseDue(now) {
				ps, err = tk.AutoClose(now)
			}
		}
		if err == nil {
			s.record(t, id, now, ps)
		}
	}
}

// TestTicketList_matches_domain replays random histories into the read model
// and, at ten checkpoints, checks every row against the aggregate rebuilt
// from the same events.
func TestTicketList_matches_domain(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) { matchesDomain(t, seed) })
	}
}

func matchesDomain(t *testing.T, seed uint64) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		list := newList(t, db)
		s := &sim{}
		s.run(t, 40, 1500, rand.New(rand.NewPCG(seed, 2)))
		statuses := map[string]int{}
		chunk := len(s.envs)/10 + 1
		for end := chunk; ; end += chunk {
			end = min(end, len(s.envs))
			// Events arrive in order, each once: the projection runner's
			// position guarantees that (see infra/projection's tests).
			apply(t, db, list, s.envs[max(0, end-chunk):end]...)
			compare(t, list, s.envs[:end], statuses)
			if end == len(s.envs) {
				break
			}
		}
		if len(statuses) < 6 {
			t.Errorf("the random history reached only %v; the test is too weak", statuses)
		}
	})
}

func compare(t *testing.T, list *adapters.TicketList, envs []events.Envelope, statuses map[string]int) {
	t.Helper()
	page, err := list.List(context.Background(), ticketapi.ListTickets{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string][]events.Envelope{}
	for _, e := range envs {
		byID[e.AggregateID] = append(byID[e.AggregateID], e)
	}
	if len(page.Items) != len(byID) {
		t.Fatalf("%d rows, want %d", len(page.Items), len(byID))
	}
	for _, row := range page.Items {
		want, err := ticket.FromEvents(byID[row.ID])
		if err != nil {
			t.Fatal(err)
		}
		v := want.View(admin)
		if row.Status != v.Status || row.Assignee != v.Assignee || row.Version != v.Version || row.Requester != v.Requester || row.Priority != v.Priority {
			t.Errorf("row %s = %+v\n domain   = status %s assignee %s version %d", row.ID, row, v.Status, v.Assignee, v.Version)
		}
		statuses[row.Status]++
	}
}

func TestTicketList_List_filters_and_pages(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		list := newList(t, db)
		s := &sim{}
		s.run(t, 25, 0, rand.New(rand.NewPCG(3, 4)))
		apply(t, db, list, s.envs...)
		ctx := context.Background()

		// Pages of 10 cover all 25 tickets once, newest first.
		var seen []string
		cursor := ""
		for pages := 0; ; pages++ {
			p, err := list.List(ctx, ticketapi.ListTickets{Limit: 10, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range p.Items {
				seen = append(seen, it.ID)
			}
			if p.NextCursor == "" {
				if pages != 2 {
					t.Fatalf("%d pages, want 3", pages+1)
				}
				break
			}
			cursor = p.NextCursor
		}
		if len(seen) != 25 || seen[0] != "t-024" || seen[24] != "t-000" {
			t.Fatalf("pages gave %d tickets, first %s last %s", len(seen), seen[0], seen[len(seen)-1])
		}
		tests := []struct {
			filter ticketapi.ListTickets
			want   int
		}{
			{ticketapi.ListTickets{Requester: "cust-0"}, 9},
			{ticketapi.ListTickets{Priority: "P1"}, 7},
			{ticketapi.ListTickets{Category: "考试"}, 12},
			{ticketapi.ListTickets{Requester: "cust-0", Priority: "P1"}, 3},
			{ticketapi.ListTickets{Status: "closed"}, 0},
		}
		for _, tt := range tests {
			tt.filter.Limit = 200
			p, err := list.List(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Items) != tt.want {
				t.Errorf("%+v: %d tickets, want %d", tt.filter, len(p.Items), tt.want)
			}
		}
		if _, err := list.List(ctx, ticketapi.ListTickets{Limit: 10, Cursor: "bm9wZQ"}); err == nil {
			t.Fatal("a forged cursor was accepted")
		}
	})
}

func TestTicketList_DueTickets(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		list := newList(t, db)
		s := &sim{}
		s.run(t, 4, 0, rand.New(rand.NewPCG(5, 6))) // P1..P4 opened at 09:00, 09:01, ...
		apply(t, db, list, s.envs...)
		ctx := context.Background()
		due := func(at time.Time) int {
			ids, err := list.DueTickets(ctx, at, 100)
			if err != nil {
				t.Fatal(err)
			}
			return len(ids)
		}
		if n := due(start.Add(59 * time.Minute)); n != 0 {
			t.Fatalf("%d due before the first deadline", n)
		}
		if n := due(start.Add(61 * time.Minute)); n != 1 { // P1 first response (1h)
			t.Fatalf("%d due after the P1 first-response deadline, want 1", n)
		}
		// Once the breach is recorded, the ticket is not due until its next deadline.
		tk := s.tickets["t-000"]
		s.envs = nil
		s.record(t, "t-000", start.Add(61*time.Minute), tk.RecordSLABreaches(start.Add(61*time.Minute)))
		apply(t, db, list, s.envs...)
		if n := due(start.Add(62 * time.Minute)); n != 0 {
			t.Fatalf("%d due after the breach was recorded", n)
		}
		if n := due(start.Add(5 * time.Hour)); n != 2 { // P1 resolution 4h, P2 first response 4h
			t.Fatalf("%d due at 14:00, want 2", n)
		}
	})
}
