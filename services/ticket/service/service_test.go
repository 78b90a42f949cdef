package service_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/calendar"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/rpc"
	"helpdesk/infra/sqlstore/sqlstoretest"
	"helpdesk/services/ticket/service"
)

// clock is a fake clock for the deadline tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// TestDeadlines_record_breaches_and_auto_close boots the ticket service on an
// embedded NATS server with a fake clock and lets the scheduler act: SLA
// breaches are recorded once, and a resolved ticket closes itself after
// three Chinese working days (over the 2025 National Day holiday).
func TestDeadlines_record_breaches_and_auto_close(t *testing.T) {
	_, nc := natsembed.StartForTest(t)
	js, _ := jetstream.New(nc)
	store, err := eventstore.NewJetStream(context.Background(), js, "ticket")
	if err != nil {
		t.Fatal(err)
	}
	// Tuesday 2025-09-30 10:00 in Shanghai, the day before National Day.
	clk := &clock{now: time.Date(2025, 9, 30, 2, 0, 0, 0, time.UTC)}
	svc, err := service.Start(context.Background(), service.Config{
		Conn: nc, Store: store, DB: sqlstoretest.SQLite(t), Calendar: calendar.NewChina(),
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry(),
		Clock: clk.Now, DeadlineInterval: time.Hour, // the test drives the scheduler itself
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })

	customer := rpc.WithCaller(context.Background(), rpc.Caller{ID: "cust-1", Role: "customer"})
	agent := rpc.WithCaller(context.Background(), rpc.Caller{ID: "agent-1", Role: "agent"})
	tk, err := svc.App.Commands.Open.Handle(customer, ticketapi.OpenTicket{Title: "国庆前的故障", Priority: "P1"})
	if err != nil {
		t.Fatal(err)
	}
	waitListed := func(version uint64) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := svc.Projection.WaitFor(ctx, version); err != nil {
			t.Fatal(err)
		}
	}
	waitListed(tk.Version)
	if n := svc.Scheduler.RunOnce(context.Background()); n != 0 {
		t.Fatalf("recorded %d events before any deadline", n)
	}

	clk.Add(5 * time.Hour) // past the P1 first response (1h) and resolution (4h)
	if n := svc.Scheduler.RunOnce(context.Background()); n != 2 {
		t.Fatalf("recorded %d events, want 2 breaches", n)
	}
	got, _ := svc.App.Queries.Ticket.Handle(agent, ticketapi.GetTicket{TicketID: tk.ID})
	if !got.SLA.FirstResponseBreached || !got.SLA.ResolutionBreached {
		t.Fatalf("SLA after the scheduler: %+v", got.SLA)
	}
	waitListed(got.Version)
	if n := svc.Scheduler.RunOnce(context.Background()); n != 0 {
		t.Fatalf("breaches recorded again: %d", n)
	}

	resolved, err := svc.App.Commands.Resolve.Handle(agent, ticketapi.ResolveTicket{Target: ticketapi.Target{TicketID: tk.ID}, Resolution: "已修复"})
	if err != nil {
		t.Fatal(err)
	}
	// Three working days after 2025-09-30 10:00 is 2025-10-11 10:00 (an
	// adjusted working Saturday), not 2025-10-03.
	want := time.Date(2025, 10, 11, 2+5, 0, 0, 0, time.UTC)
	if !resolved.AutoCloseAt.Equal(want) {
		t.Fatalf("auto-close at %v, want %v", resolved.AutoCloseAt, want)
	}
	waitListed(resolved.Version)
	clk.Set(resolved.AutoCloseAt.Add(-time.Minute))
	if n := svc.Scheduler.RunOnce(context.Background()); n != 0 {
		t.Fatalf("closed a minute early: %d", n)
	}
	clk.Add(time.Minute)
	if n := svc.Scheduler.RunOnce(context.Background()); n != 1 {
		t.Fatalf("recorded %d events at the auto-close time, want 1", n)
	}
	got, _ = svc.App.Queries.Ticket.Handle(agent, ticketapi.GetTicket{TicketID: tk.ID})
	if got.Status != ticketapi.StatusClosed {
		t.Fatalf("status %s after auto-close", got.Status)
	}
}
