package acd_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/services/callrecord/domain/acd"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// at is t0 plus s seconds.
func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

// ready signs agents in ("id" or "id:skill") and makes them ready, in the
// order given, a second apart from second start.
func ready(t *testing.T, b *acd.Board, start int, agents ...string) {
	t.Helper()
	for i, spec := range agents {
		id, skill, _ := strings.Cut(spec, ":")
		var skills []string
		if skill != "" {
			skills = []string{skill}
		}
		if err := b.Login(id, "ext-"+id, "W"+id, skills, at(start+i)); err != nil {
			t.Fatal(err)
		}
		if _, err := b.SetState(id, acd.StateReady, at(start+i)); err != nil {
			t.Fatal(err)
		}
	}
}

// offer offers a call "id" or "id:skill" at second s.
func offer(t *testing.T, b *acd.Board, spec string, s int) string {
	t.Helper()
	id, skill, _ := strings.Cut(spec, ":")
	d, err := b.Offer(id, skill, "13800138000", "4001234567", at(s))
	if err != nil {
		t.Fatal(err)
	}
	return rings(d)
}

// rings describes a decision: "call→agent" or "call@position".
func rings(d acd.Decision) string {
	if d.Agent != nil {
		return d.Call + "→" + d.Agent.ID
	}
	return fmt.Sprintf("%s@%d", d.Call, d.Position)
}

func all(ds []acd.Decision) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, rings(d))
	}
	return out
}

func TestBoard_routes_to_the_longest_idle_agent_with_the_skill(t *testing.T) {
	tests := []struct {
		name   string
		agents []string // ready in this order
		calls  []string
		want   []string
	}{
		{"longest idle first", []string{"a", "b", "c"}, []string{"1", "2", "3"}, []string{"1→a", "2→b", "3→c"}},
		{"skill before idleness", []string{"a:x", "b:y"}, []string{"1:y", "2:x"}, []string{"1→b", "2→a"}},
		{"a call needing no skill goes to anyone", []string{"a:x", "b:y"}, []string{"1", "2"}, []string{"1→a", "2→b"}},
		{"no agent with the skill: wait", []string{"a:x"}, []string{"1:y", "2:y", "3:x"}, []string{"1@1", "2@2", "3→a"}},
		{"all busy: wait in arrival order", []string{"a"}, []string{"1", "2", "3"}, []string{"1→a", "2@1", "3@2"}},
		{"no agents at all", nil, []string{"1"}, []string{"1@1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := acd.NewBoard()
			ready(t, b, 0, tt.agents...)
			var got []string
			for i, c := range tt.calls {
				got = append(got, offer(t, b, c, 100+i))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBoard_serves_waiting_calls_as_agents_become_free(t *testing.T) {
	b := acd.NewBoard()
	ready(t, b, 0, "a:x", "b:y")
	for i, c := range []string{"1:x", "2:y", "3:y", "4:x", "5:y"} {
		offer(t, b, c, 10+i)
	}
	if got := b.Waiting(); len(got) != 3 || got[0].ID != "3" || got[1].ID != "4" || got[2].ID != "5" {
		t.Fatalf("waiting %v, want 3 4 5", got)
	}
	// A ends call 1 and does after-call work: nothing moves.
	if _, ok := b.Ended("1", "answered", at(20)); !ok {
		t.Fatal("call 1 unknown")
	}
	if a, _ := b.Agent("a"); a.State != acd.StateAfterCallWork || a.Call != "" {
		t.Fatalf("after the call, a is %+v", a)
	}
	// Ready again, a takes the oldest call it has the skill for (4, not 3).
	ds, err := b.SetState("a", acd.StateReady, at(30))
	if err != nil || !slices.Equal(all(ds), []string{"4→a"}) {
		t.Fatalf("a ready: %v %v, want 4→a", all(ds), err)
	}
	// The caller of 3 hangs up while waiting: 5 moves up.
	b.Ended("3", "answered", at(31))
	if d, _ := b.Offer("5", "y", "13800138000", "4001234567", at(32)); rings(d) != "5@1" {
		t.Fatalf("5 is %s, want 5@1", rings(d))
	}
	b.Ended("2", "answered", at(33))
	ds, _ = b.SetState("b", acd.StateReady, at(34))
	if !slices.Equal(all(ds), []string{"5→b"}) || len(b.Waiting()) != 0 {
		t.Fatalf("b ready: %v, waiting %v", all(ds), b.Waiting())
	}
}

func TestBoard_reroutes_a_call_nobody_answers(t *testing.T) {
	b := acd.NewBoard()
	ready(t, b, 0, "a", "b")
	offer(t, b, "1", 10) // rings a
	offer(t, b, "2", 11) // rings b
	offer(t, b, "3", 12) // waits
	if err := b.Answered("2", at(0)); err != nil {
		t.Fatal(err)
	}
	if got := b.RingingTooLong(at(20), 15*time.Second); len(got) != 0 {
		t.Fatalf("too early: %v", got)
	}
	if got := b.RingingTooLong(at(30), 15*time.Second); !slices.Equal(got, []string{"1"}) {
		t.Fatalf("ringing too long: %v, want [1] (2 was answered)", got)
	}
	// Nobody is free: 1 goes back to the queue before 3, which arrived later.
	d, err := b.NoAnswer("1", at(30))
	if err != nil || rings(d) != "1@1" {
		t.Fatalf("no answer: %s %v, want 1@1", rings(d), err)
	}
	if a, _ := b.Agent("a"); a.State != acd.StateAway || a.Call != "" {
		t.Fatalf("a after letting 1 ring out: %+v, want away", a)
	}
	// c comes in and takes 1, then 3 waits alone.
	ready(t, b, 40, "c")
	if c, _ := b.Call("1"); c.Agent != "c" || !c.RingingSince.Equal(at(40)) {
		t.Fatalf("call 1: %+v, want ringing at c", c)
	}
	if w := b.Waiting(); len(w) != 1 || w[0].ID != "3" {
		t.Fatalf("waiting %v", w)
	}
	// With a ready agent, a call that rings out goes straight to them.
	ds, _ := b.SetState("a", acd.StateReady, at(50)) // a takes 3
	if !slices.Equal(all(ds), []string{"3→a"}) {
		t.Fatalf("a ready: %v", all(ds))
	}
	ready(t, b, 51, "d")
	if d, err := b.NoAnswer("3", at(70)); err != nil || rings(d) != "3→d" {
		t.Fatalf("no answer: %s %v, want 3→d", rings(d), err)
	}
}

func TestBoard_changes_nothing_on_a_repeated_report(t *testing.T) {
	b := acd.NewBoard()
	ready(t, b, 0, "a")
	first := offer(t, b, "1", 10)
	waiting := offer(t, b, "2", 11)
	if again := offer(t, b, "1", 12); again != first {
		t.Errorf("offered again: %s, first %s", again, first)
	}
	if again := offer(t, b, "2", 13); again != waiting || len(b.Waiting()) != 1 {
		t.Errorf("waiting call offered again: %s (first %s), %d waiting", again, waiting, len(b.Waiting()))
	}
	for range 2 {
		if err := b.Answered("1", at(0)); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := b.Ended("1", "answered", at(20)); !ok {
		t.Fatal("ending a call")
	}
	if _, again := b.Ended("1", "answered", at(21)); again {
		t.Error("ending twice: the second should report an unknown call")
	}
}

// TestBoard_Transfer hands an answered call to a named agent, refuses
// agents who are not ready or lack the skill, and sends the agent who had
// it to after-call work.
func TestBoard_Transfer(t *testing.T) {
	b := acd.NewBoard()
	ready(t, b, 0, "a:x", "b:x", "c:y")
	if got := offer(t, b, "1:x", 10); got != "1→a" { // a is idle longest
		t.Fatalf("offer: %s", got)
	}
	if err := b.Answered("1", at(11)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Transfer("1", "c", "", at(20)); problem.CodeOf(err) != problem.CodeConflict {
		t.Errorf("transfer to c, who has no skill x: %v", err)
	}
	if _, err := b.Transfer("1", "zz", "", at(20)); problem.CodeOf(err) != problem.CodeNotFound {
		t.Errorf("transfer to an unknown agent: %v", err)
	}
	d, err := b.Transfer("1", "b", "", at(30))
	if err != nil || d.Agent == nil || d.Agent.ID != "b" {
		t.Fatalf("transfer to b: %+v, %v", d, err)
	}
	if a, _ := b.Agent("a"); a.State != acd.StateAfterCallWork || a.Call != "" {
		t.Errorf("a after handing the call on: %+v", a)
	}
	if c, _ := b.Call("1"); c.Agent != "b" || c.Answered {
		t.Errorf("the call after the transfer: %+v", c)
	}
	if _, err := b.Transfer("1", "c", "y", at(40)); problem.CodeOf(err) != problem.CodeConflict {
		t.Errorf("transfer of a call that rings again, not answered: %v", err)
	}
}

func TestBoard_rejects_what_cannot_happen(t *testing.T) {
	b := acd.NewBoard()
	ready(t, b, 0, "a")
	offer(t, b, "1", 10)
	offer(t, b, "2", 11)
	tests := []struct {
		name string
		err  error
		want problem.Code
	}{
		{"login without extension", b.Login("x", "", "W1", nil, at(20)), problem.CodeValidation},
		{"login again while on a call", b.Login("a", "e", "W", nil, at(20)), problem.CodeConflict},
		{"unknown state", func() error { _, err := b.SetState("a", "lunch", at(20)); return err }(), problem.CodeInvalidArgument},
		{"state of an unknown agent", func() error { _, err := b.SetState("zz", acd.StateReady, at(20)); return err }(), problem.CodeNotFound},
		{"sign off during a call", func() error { _, err := b.SetState("a", acd.StateOffline, at(20)); return err }(), problem.CodeConflict},
		{"offer without id", func() error { _, err := b.Offer("", "", "13800138000", "4001234567", at(20)); return err }(), problem.CodeInvalidArgument},
		{"answer an unknown call", b.Answered("9", at(0)), problem.CodeNotFound},
		{"answer a waiting call", b.Answered("2", at(0)), problem.CodeConflict},
		{"no answer of a waiting call", func() error { _, err := b.NoAnswer("2", at(20)); return err }(), problem.CodeConflict},
		{"transfer a ringing call", func() error { _, err := b.Transfer("1", "", "", at(20)); return err }(), problem.CodeConflict},
		{"transfer an unknown call", func() error { _, err := b.Transfer("9", "", "", at(20)); return err }(), problem.CodeNotFound},
	}
	for _, tt := range tests {
		if got := problem.CodeOf(tt.err); got != tt.want {
			t.Errorf("%s: %v (%s), want %s", tt.name, tt.err, got, tt.want)
		}
	}
	if a, _ := b.Agent("a"); a.Call != "1" || a.State != acd.StateBusy {
		t.Errorf("rejected commands changed agent a: %+v", a)
	}
}

// TestBoard_keeps_its_rules_through_a_busy_day drives a board with 200
// agents through 20,000 random reports (calls arriving, answered, ringing
// out, ended or abandoned; agents signing in and out and changing state)
// and checks after each: no agent has two calls; every call rings the
// agent an exhaustive search picks (ready, with the skill, idle longest);
// an agent becoming ready takes the longest-waiting call it can; calls
// wait in arrival order; and no call waits while an agent who could take
// it is ready.
func TestBoard_keeps_its_rules_through_a_busy_day(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2))
	skills := []string{"账号", "考试", "故障"}
	b := acd.NewBoard()
	var agents []string
	for i := range 200 {
		agents = append(agents, fmt.Sprintf("agent-%03d", i))
	}
	login := func(id string, now time.Time) {
		var mine []string
		for _, s := range skills {
			if r.IntN(2) == 0 {
				mine = append(mine, s)
			}
		}
		if err := b.Login(id, "ext-"+id, "W"+id, mine, now); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range agents {
		login(id, at(i))
	}
	var live []string // calls the board knows
	var stored []acd.Change
	calls, rung, taken, transfers := 0, 0, 0, 0
	for step := range 20_000 {
		now := at(1000 + step)
		// The expected pick, from the board's state before the report.
		longestIdle := func(skill string) string {
			best := ""
			var since time.Time
			for _, id := range agents {
				a, ok := b.Agent(id)
				if !ok || a.State != acd.StateReady || (skill != "" && !slices.Contains(a.Skills, skill)) {
					continue
				}
				if best == "" || a.Since.Before(since) {
					best, since = id, a.Since
				}
			}
			return best
		}
		switch op := r.IntN(10); {
		case op < 2: // a call arrives
			calls++
			id, skill := fmt.Sprintf("call-%d", calls), ""
			if r.IntN(4) > 0 {
				skill = skills[r.IntN(len(skills))]
			}
			want := longestIdle(skill)
			d, err := b.Offer(id, skill, "13800138000", "4001234567", now)
			if err != nil {
				t.Fatal(err)
			}
			if got := ""; d.Agent != nil {
				got = d.Agent.ID
				rung++
				if got != want {
					t.Fatalf("step %d: call %s (%s) rings %s, want %s", step, id, skill, got, want)
				}
			} else if want != "" {
				t.Fatalf("step %d: call %s waits while %s is ready", step, id, want)
			}
			live = append(live, id)
		case op < 6 && len(live) > 0: // a known call is answered, rings out or ends
			id := live[r.IntN(len(live))]
			c, _ := b.Call(id)
			switch {
			case c.Agent != "" && !c.Answered && r.IntN(3) == 0:
				if _, err := b.NoAnswer(id, now); err != nil {
					t.Fatal(err)
				}
			case c.Agent != "" && !c.Answered && r.IntN(2) == 0:
				if err := b.Answered(id, now); err != nil {
					t.Fatal(err)
				}
			case c.Answered && r.IntN(3) == 0: // handed on to the agents of a skill
				skill := skills[r.IntN(len(skills))]
				want := longestIdle(skill)
				d, err := b.Transfer(id, "", skill, now)
				if err != nil {
					t.Fatal(err)
				}
				got := ""
				if d.Agent != nil {
					got = d.Agent.ID
				}
				if got != want {
					t.Fatalf("step %d: call %s transferred to %s rings %q, want %q", step, id, skill, got, want)
				}
				transfers++
			default:
				b.Ended(id, "answered", now)
				live = slices.DeleteFunc(live, func(x string) bool { return x == id })
			}
		default: // an agent changes state
			id := agents[r.IntN(len(agents))]
			a, ok := b.Agent(id)
			if !ok {
				login(id, now)
				continue
			}
			if a.Call != "" {
				continue
			}
			s := []acd.State{acd.StateReady, acd.StateReady, acd.StateReady, acd.StateAway, acd.StateBusy, acd.StateAfterCallWork, acd.StateOffline}[r.IntN(7)]
			var want string
			if s == acd.StateReady && a.State != acd.StateReady {
				for _, c := range b.Waiting() {
					if c.Skill == "" || slices.Contains(a.Skills, c.Skill) {
						want = c.ID + "→" + id
						break
					}
				}
			}
			ds, err := b.SetState(id, s, now)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(all(ds), ","); a.State != acd.StateReady && got != want {
				t.Fatalf("step %d: %s becomes %s: %q, want %q", step, id, s, got, want)
			}
			taken += len(ds)
		}
		checkRules(t, b, agents, live, step)
		stored = append(stored, b.Changes()...)
		if step%5000 == 4999 {
			checkReplay(t, b, stored, agents, live, step)
		}
	}
	if rung < 1000 || taken < 500 || transfers < 100 {
		t.Fatalf("the day tested too little: %d calls, %d rang at once, %d taken from the queue, %d transfers", calls, rung, taken, transfers)
	}
}

// checkReplay rebuilds a board from the events b recorded, through their
// JSON as the event store keeps them, and checks it equals b.
func checkReplay(t *testing.T, b *acd.Board, changes []acd.Change, agents, live []string, step int) {
	t.Helper()
	envs := make([]events.Envelope, len(changes))
	for i, c := range changes {
		env, err := events.New(callapi.Source, callapi.AggregateHotline, callapi.BoardID, c.Event, c.At, events.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		env.AggregateVersion = uint64(i + 1)
		envs[i] = env
	}
	replayed, err := acd.FromEvents(envs)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := boardText(replayed, agents, live), boardText(b, agents, live); got != want {
		t.Fatalf("step %d: the board rebuilt from its %d events differs:\n%s\nwant\n%s", step, len(envs), got, want)
	}
}

// boardText describes what a board says of the agents and calls.
func boardText(b *acd.Board, agents, live []string) string {
	var out strings.Builder
	for _, id := range agents {
		if a, ok := b.Agent(id); ok {
			fmt.Fprintf(&out, "agent %s %s %s %v %s %d %s\n", a.ID, a.Extension, a.WorkNumber, a.Skills, a.State, a.Since.UnixNano(), a.Call)
		}
	}
	for _, id := range live {
		c, _ := b.Call(id)
		fmt.Fprintf(&out, "call %s %s %d %s %d %v\n", c.ID, c.Skill, c.Arrived.UnixNano(), c.Agent, c.RingingSince.UnixNano(), c.Answered)
	}
	for _, c := range b.Waiting() {
		fmt.Fprintf(&out, "waiting %s\n", c.ID)
	}
	return out.String()
}

// checkRules checks the invariants of a board.
func checkRules(t *testing.T, b *acd.Board, agents, live []string, step int) {
	t.Helper()
	onCall := map[string]string{}
	for _, id := range live {
		c, ok := b.Call(id)
		if !ok {
			t.Fatalf("step %d: call %s lost", step, id)
		}
		if c.Agent == "" {
			continue
		}
		if other, dup := onCall[c.Agent]; dup {
			t.Fatalf("step %d: agent %s has calls %s and %s", step, c.Agent, other, id)
		}
		onCall[c.Agent] = id
		if a, _ := b.Agent(c.Agent); a.Call != id || a.State != acd.StateBusy {
			t.Fatalf("step %d: call %s rings %s, which is %+v", step, id, c.Agent, a)
		}
	}
	waiting := b.Waiting()
	for i, c := range waiting {
		if i > 0 && c.Arrived.Before(waiting[i-1].Arrived) {
			t.Fatalf("step %d: %s waits behind %s, which arrived later", step, c.ID, waiting[i-1].ID)
		}
	}
	for _, id := range agents {
		a, ok := b.Agent(id)
		if !ok {
			continue
		}
		if a.Call != "" && onCall[id] != a.Call {
			t.Fatalf("step %d: agent %s thinks it has call %s", step, id, a.Call)
		}
		if a.State != acd.StateReady {
			continue
		}
		for _, c := range waiting {
			if c.Skill == "" || slices.Contains(a.Skills, c.Skill) {
				t.Fatalf("step %d: %s waits while %s, who can take it, is ready", step, c.ID, id)
			}
		}
	}
}

// BenchmarkBoard_route measures one routing decision with 200 agents, a
// quarter of them ready: a call is offered and rings, ends, and its agent
// is ready again.
func BenchmarkBoard_route(b *testing.B) {
	board := acd.NewBoard()
	skills := []string{"账号", "考试", "故障"}
	for i := range 200 {
		id := fmt.Sprintf("agent-%03d", i)
		_ = board.Login(id, "ext", "W", []string{skills[i%3]}, at(i))
		state := acd.StateBusy
		if i%4 == 0 {
			state = acd.StateReady
		}
		_, _ = board.SetState(id, state, at(i))
	}
	n := 0
	for b.Loop() {
		n++
		id := fmt.Sprint(n)
		d, err := board.Offer(id, skills[n%3], "13800138000", "4001234567", at(1000+n))
		if err != nil || d.Agent == nil {
			b.Fatalf("%v %v", d, err)
		}
		board.Ended(id, "answered", at(1000+n))
		board.Changes()
		if _, err := board.SetState(d.Agent.ID, acd.StateReady, at(1000+n)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBoard_refuses_an_ended_call_offered_again: a PBX retrying an offer
// after the call ended gets a conflict, not a second call ringing an
// agent, for a day.
func TestBoard_refuses_an_ended_call_offered_again(t *testing.T) {
	b := acd.NewBoard()
	ready(t, b, 0, "a", "b")
	offer(t, b, "1", 10)
	if err := b.Answered("1", at(11)); err != nil {
		t.Fatal(err)
	}
	b.Ended("1", "answered", at(20))
	if _, err := b.Offer("1", "", "13800138000", "4001234567", at(21)); problem.CodeOf(err) != problem.CodeConflict {
		t.Fatalf("offering an ended call again: %v", err)
	}
	if _, err := b.Offer("1", "", "13800138000", "4001234567", at(20).Add(acd.EndedMemory+time.Second)); err != nil {
		t.Fatalf("a day later the id may be used again: %v", err)
	}
}
