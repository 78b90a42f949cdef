package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/events"
	"helpdesk/contracts/subjects"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/eventstore"
)

// ticketLife is the events each generated ticket has, in order: opened,
// assigned, work started, first reply. None of them sets off a reaction
// (surveys and knowledge drafts follow resolutions) or a deadline (both
// SLA deadlines lie ahead), so a system started on them has nothing to do
// but catch up.
const ticketLife = 4

// generateTickets appends n ticket events (n/4 tickets, the last one
// shorter when n is not a multiple of 4) to the ticket stream with the
// headers the event store writes (CloudEvents attributes, hash chain,
// Nats-Msg-Id), but published asynchronously from two goroutines: only a
// ticket's first event checks the expected version (0), since the later
// ones' versions are not known before their acknowledgements. It returns
// how long it took, every append acknowledged.
func generateTickets(nc *nats.Conn, n int) (time.Duration, error) {
	ctx := context.Background()
	var failed atomic.Int64
	var firstErr atomic.Value
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, m *nats.Msg, err error) {
			failed.Add(1)
			firstErr.CompareAndSwap(nil, fmt.Errorf("append to %s: %w", m.Subject, err))
		}))
	if err != nil {
		return 0, err
	}
	if _, err := eventstore.NewJetStream(ctx, js, subjects.ServiceTicket); err != nil {
		return 0, err
	}
	start := time.Now()
	tickets := (n + ticketLife - 1) / ticketLife
	const workers = 2
	var done atomic.Int64
	stop := progress("generate", &done)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			g := newTicketGen(tickets)
			for t := w; t < tickets; t += workers {
				count := min(ticketLife, n-t*ticketLife)
				if errs[w] = g.publish(js, t, count); errs[w] != nil {
					return
				}
				done.Add(int64(count))
			}
		})
	}
	wg.Wait()
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		stop()
		return 0, errors.New("generated events not acknowledged within a minute")
	}
	stop()
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, fmt.Errorf("%d of %d generated events failed, the first: %w", failed.Load(), n, err)
	}
	return time.Since(start), errors.Join(errs...)
}

// ticketGen builds the events of generated tickets: their creation times
// spread over the last 90 days, 5,000 requesters and 60 agents.
type ticketGen struct {
	tickets    int
	now        time.Time
	requesters []string
	agents     []string
}

func newTicketGen(tickets int) *ticketGen {
	g := &ticketGen{tickets: tickets, now: time.Now().UTC()}
	for i := range 5000 {
		g.requesters = append(g.requesters, uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "requester-%d", i)).String())
	}
	for i := range 60 {
		g.agents = append(g.agents, uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "agent-%d", i)).String())
	}
	return g
}

// publish sends the first count events of ticket t.
func (g *ticketGen) publish(js jetstream.JetStream, t, count int) error {
	id := uuid.Must(uuid.NewV7()).String()
	agg := subjects.Ticket(id)
	span := 90 * 24 * time.Hour
	at := g.now.Add(-span + time.Duration(int64(span)/int64(g.tickets)*int64(t)))
	requester, agent := g.requesters[t%len(g.requesters)], g.agents[t%len(g.agents)]
	correlation := uuid.NewString()
	payloads := []struct {
		p     events.Payload
		actor string
		role  string
	}{
		{ticketapi.Opened{
			Title:       fmt.Sprintf("打印机无法连接网络，无法打印考试报名表（%d）", t),
			Description: "办公室的网络打印机从昨天下午开始无法连接网络。已经尝试重启打印机和路由器，问题依旧。打印机型号 HP LaserJet M404，IP 地址 10.0.3.25。影响到整个部门的考试报名表打印，请尽快处理。",
			Category:    "系统故障", Priority: []string{"P1", "P2", "P3", "P4"}[t%4], Channel: "web", Requester: requester,
			// Deadlines ahead of the run: the deadline scheduler has nothing to do.
			FirstResponseDue: g.now.Add(30 * 24 * time.Hour), ResolutionDue: g.now.Add(60 * 24 * time.Hour),
		}, requester, "customer"},
		{ticketapi.Assigned{Assignee: agent}, g.agents[0], "admin"},
		{ticketapi.WorkStarted{}, agent, "agent"},
		{ticketapi.Replied{ReplyID: uuid.NewString(), Author: agent, AuthorRole: "agent", Body: "您好，已收到您的问题，我们正在远程检查打印机的网络配置，请稍候。",
			FirstResponse: true, Status: ticketapi.StatusInProgress}, agent, "agent"},
	}
	prev := ""
	for i, p := range payloads[:count] {
		env, err := events.New(ticketapi.Source, subjects.AggregateTicket, id, p.p, at.Add(time.Duration(i)*time.Minute), events.Metadata{
			Actor: p.actor, ActorRole: p.role, SourceIP: "10.0.3.25", RequestID: uuid.NewString(), CorrelationID: correlation,
		})
		if err != nil {
			return err
		}
		env.PrevHash = prev
		env.Hash = env.ChainHash(prev)
		// A busy machine stalls the server for seconds at times: wait, do not fail.
		opts := []jetstream.PublishOpt{jetstream.WithMsgID(env.ID), jetstream.WithStallWait(time.Minute)}
		if i == 0 {
			opts = append(opts, jetstream.WithExpectLastSequencePerSubject(0))
		}
		if _, err := js.PublishMsgAsync(eventstore.EncodeMsg(agg.Subject(), env), opts...); err != nil {
			return fmt.Errorf("publish %s: %w", agg.Subject(), err)
		}
		prev = env.Hash
	}
	return nil
}
