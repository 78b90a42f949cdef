package adapters_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
	"helpdesk/services/callrecord/adapters"
	"helpdesk/services/callrecord/app/command"
	"helpdesk/services/callrecord/domain/acd"
)

// openStore starts an embedded NATS and returns its event store.
func openStore(t testing.TB) eventstore.Store {
	t.Helper()
	_, nc := natsembed.StartForTest(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	store, err := eventstore.NewJetStream(context.Background(), js, subjects.ServiceCallRecord)
	if err != nil {
		t.Fatal(err)
	}
	return store
}

// runBoard opens and runs a board on store until the test ends.
func runBoard(t testing.TB, store eventstore.Store) *adapters.Board {
	t.Helper()
	return runBoardAt(t, store, time.Now)
}

// runBoardAt is runBoard with a clock.
func runBoardAt(t testing.TB, store eventstore.Store, clock func() time.Time) *adapters.Board {
	t.Helper()
	b, err := adapters.OpenBoard(context.Background(), store, clock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return b
}

// signIn signs n agents in and makes them ready, one after the other.
func signIn(t testing.TB, b *adapters.Board, n int) {
	t.Helper()
	for i := range n {
		id := fmt.Sprintf("agent-%03d", i)
		_, err := b.Do(context.Background(), func(board *acd.Board, now time.Time) (any, error) {
			if err := board.Login(id, fmt.Sprint(8000+i), fmt.Sprint(1000+i), nil, now); err != nil {
				return nil, err
			}
			return board.SetState(id, acd.StateReady, now)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func offer(b *adapters.Board, id string) (acd.Decision, error) {
	v, err := b.Do(context.Background(), func(board *acd.Board, now time.Time) (any, error) {
		return board.Offer(id, "", "13800138000", "4001234567", now)
	})
	if err != nil {
		return acd.Decision{}, err
	}
	return v.(acd.Decision), nil
}

// TestBoard_two_processes_never_ring_one_agent_twice runs two boards on
// one event store, as two replicas would, and offers calls to both at
// once. Their appends conflict; the loser rebuilds and decides again, so
// no agent is told to ring for two calls, and a board rebuilt from the
// store agrees with what the callers were told.
func TestBoard_two_processes_never_ring_one_agent_twice(t *testing.T) {
	store := openStore(t)
	first := runBoard(t, store)
	signIn(t, first, 20)
	second := runBoard(t, store) // loaded after the sign-ins: it knows the agents

	var mu sync.Mutex
	rung := map[string]string{} // agent → call
	queued := 0
	var wg sync.WaitGroup
	for i := range 60 {
		b := first
		if i%2 == 1 {
			b = second
		}
		wg.Go(func() {
			id := fmt.Sprintf("call-%02d", i)
			d, err := offer(b, id)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if d.Agent == nil {
				queued++
				return
			}
			if other, dup := rung[d.Agent.ID]; dup {
				t.Errorf("%s rings for %s and %s", d.Agent.ID, other, id)
			}
			rung[d.Agent.ID] = id
		})
	}
	wg.Wait()
	if len(rung) != 20 || queued != 40 {
		t.Fatalf("%d agents rung, %d calls queued; want 20 and 40", len(rung), queued)
	}
	evs, err := store.Load(context.Background(), subjects.Hotline("main"))
	if err != nil {
		t.Fatal(err)
	}
	stored, err := acd.FromEvents(evs)
	if err != nil {
		t.Fatal(err)
	}
	for agent, call := range rung {
		if a, _ := stored.Agent(agent); a.Call != call {
			t.Errorf("the stored board has %s on %q, the caller was told %s", agent, a.Call, call)
		}
	}
	if len(stored.Waiting()) != 40 {
		t.Errorf("the stored board has %d calls waiting, want 40", len(stored.Waiting()))
	}
}

// TestBoard_goes_on_when_other_aggregates_interleave offers calls while
// other aggregates of the same stream (ratings, CDRs) are appended as fast
// as can be: chains are cut short, and every offer still succeeds, with
// the board rebuilt from the store agreeing with what callers were told.
func TestBoard_goes_on_when_other_aggregates_interleave(t *testing.T) {
	store := openStore(t)
	b := runBoard(t, store)
	signIn(t, b, 40)
	stop := make(chan struct{})
	var others sync.WaitGroup
	others.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			env, _ := events.New(callapi.Source, callapi.AggregateCall, uuid.NewString(), callapi.CallRated{CallID: "x", Score: 5}, time.Now(), events.Metadata{})
			_, _ = store.Append(context.Background(), subjects.Call(env.AggregateID), []events.Envelope{env}, eventstore.AppendOptions{})
		}
	})
	var mu sync.Mutex
	rung := map[string]string{}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			id := fmt.Sprintf("c-%03d", i)
			d, err := offer(b, id)
			if err != nil {
				t.Errorf("offer %s: %v", id, err)
				return
			}
			if d.Agent != nil {
				mu.Lock()
				rung[d.Agent.ID] = id
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(stop)
	others.Wait()
	evs, err := store.Load(context.Background(), subjects.Hotline("main"))
	if err != nil {
		t.Fatal(err)
	}
	stored, err := acd.FromEvents(evs)
	if err != nil {
		t.Fatal(err)
	}
	if len(rung) != 40 || len(stored.Waiting()) != 160 {
		t.Fatalf("%d agents rung, %d waiting; want 40 and 160", len(rung), len(stored.Waiting()))
	}
	for agent, call := range rung {
		if a, _ := stored.Agent(agent); a.Call != call {
			t.Errorf("stored: %s on %q, told %s", agent, a.Call, call)
		}
	}
}

// TestRerouteHandler_rings_the_next_agent_after_the_timeout offers a call
// that rings the longest-idle agent, lets it ring past the timeout on a
// fake clock, and checks that the agent is set away and the call rings
// the next agent, on the board rebuilt from the store as well.
func TestRerouteHandler_rings_the_next_agent_after_the_timeout(t *testing.T) {
	store := openStore(t)
	var mu sync.Mutex
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	b := runBoardAt(t, store, clock)
	signIn(t, b, 2) // agent-000 is ready first: idle longest
	d, err := offer(b, "c1")
	if err != nil || d.Agent == nil || d.Agent.ID != "agent-000" {
		t.Fatalf("offer: %+v, %v", d, err)
	}
	hotline := command.NewHotlineHandler(b, noStaff{}, noCalls{}, 20*time.Second)
	advance(20 * time.Second)
	if n, err := hotline.Reroute(context.Background()); err != nil || n != 0 {
		t.Fatalf("at the timeout: %d re-routed, %v; want none yet", n, err)
	}
	advance(time.Second)
	if n, err := hotline.Reroute(context.Background()); err != nil || n != 1 {
		t.Fatalf("past the timeout: %d re-routed, %v; want 1", n, err)
	}
	evs, err := store.Load(context.Background(), subjects.Hotline("main"))
	if err != nil {
		t.Fatal(err)
	}
	stored, err := acd.FromEvents(evs)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := stored.Agent("agent-000")
	c, _ := stored.Call("c1")
	if first.State != acd.StateAway || c.Agent != "agent-001" {
		t.Fatalf("after the timeout: agent-000 %s, c1 rings %q; want away and agent-001", first.State, c.Agent)
	}
}

// noStaff and noCalls stand in for the identity service and the read
// model, which re-routing does not use.
type (
	noStaff struct{}
	noCalls struct{}
)

func (noStaff) User(context.Context, string) (identityapi.User, error) {
	return identityapi.User{}, nil
}
func (noCalls) Known(context.Context, string) (bool, error) { return false, nil }

// BenchmarkBoard_offer measures calls on a board over an embedded
// JetStream with 200 agents, 50 calls at a time: each is offered (the
// routing decision), ended and its agent made ready again, three
// operations, each stored before it is answered.
func BenchmarkBoard_offer(b *testing.B) {
	store := openStore(b)
	board := runBoard(b, store)
	signIn(b, board, 200)
	var seq sync.Mutex
	n := 0
	b.SetParallelism(25) // × GOMAXPROCS 2 = 50 callers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			seq.Lock()
			n++
			id := fmt.Sprint(n)
			seq.Unlock()
			d, err := offer(board, id)
			if err != nil {
				b.Fatal(err)
			}
			if d.Agent == nil {
				continue
			}
			_, err = board.Do(context.Background(), func(bd *acd.Board, now time.Time) (any, error) {
				end, _ := bd.Ended(id, "abandoned", now)
				return end, nil
			})
			if err != nil {
				b.Fatal(err)
			}
			_, err = board.Do(context.Background(), func(bd *acd.Board, now time.Time) (any, error) {
				return bd.SetState(d.Agent.ID, acd.StateReady, now)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
