package adapters_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/subjects"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/sqlstore"
	"helpdesk/infra/sqlstore/sqlstoretest"
)

// BenchmarkTicketList_Apply measures the read model alone, without NATS or
// the projection runner: b.N ticket events (opened, assigned, work started,
// first reply per ticket) applied in transactions of 2,048 events, as the
// runner batches them during a rebuild.
//
//	cd services/ticket && go test -run xxx -bench TicketList_Apply -benchtime 100000x ./adapters
func BenchmarkTicketList_Apply(b *testing.B) {
	for _, c := range []struct {
		name string
		open func(testing.TB) *sqlstore.DB
	}{{"sqlite", sqlstoretest.SQLite}, {"postgres", sqlstoretest.Postgres}} {
		b.Run(c.name, func(b *testing.B) {
			db := c.open(b)
			list := newList(b, db)
			envs := ticketEvents(b, b.N)
			ctx := context.Background()
			b.ResetTimer()
			for start := 0; start < len(envs); start += 2048 {
				tx, err := db.Write.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				for _, e := range envs[start:min(start+2048, len(envs))] {
					if err := list.Apply(ctx, tx, e); err != nil {
						b.Fatal(err)
					}
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// ticketEvents returns n events of n/4 tickets, each ticket's events in a
// row, with stream sequences as versions.
func ticketEvents(tb testing.TB, n int) []events.Envelope {
	tb.Helper()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	envs := make([]events.Envelope, 0, n)
	for t := 0; len(envs) < n; t++ {
		id := fmt.Sprintf("01900000-0000-7000-8000-%012d", t)
		agent := fmt.Sprintf("agent-%d", t%60)
		for _, p := range []events.Payload{
			ticketapi.Opened{Title: "打印机无法连接网络", Description: "办公室的网络打印机从昨天下午开始无法连接网络。", Category: "系统故障",
				Priority: "P2", Channel: "web", Requester: fmt.Sprintf("customer-%d", t%5000),
				FirstResponseDue: at.Add(4 * time.Hour), ResolutionDue: at.Add(48 * time.Hour)},
			ticketapi.Assigned{Assignee: agent},
			ticketapi.WorkStarted{},
			ticketapi.Replied{ReplyID: fmt.Sprint(t), Author: agent, AuthorRole: "agent", Body: "已收到", FirstResponse: true, Status: ticketapi.StatusInProgress},
		}[:min(4, n-len(envs))] {
			e, err := events.New(ticketapi.Source, subjects.AggregateTicket, id, p, at, events.Metadata{Actor: agent, ActorRole: "agent"})
			if err != nil {
				tb.Fatal(err)
			}
			e.AggregateVersion = uint64(len(envs) + 1)
			envs = append(envs, e)
			at = at.Add(time.Second)
		}
	}
	return envs
}
