package chaos_test

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"helpdesk/contracts/subjects"
	"helpdesk/contracts/ticketapi"
)

// kind is a command the load sends: its route under /tickets/{id} (none
// for an open) and the event it stores.
type kind struct {
	name, route, event string
}

// The kinds of command the load sends.
var (
	kindOpen    = kind{"open", "", ticketapi.EventOpened}
	kindReply   = kind{"reply", "replies", ticketapi.EventReplied}
	kindAssign  = kind{"assign", "assign", ticketapi.EventAssigned}
	kindStart   = kind{"start", "start", ticketapi.EventWorkStarted}
	kindResolve = kind{"resolve", "resolve", ticketapi.EventResolved}
)

// lifecycle is the order in which the load moves an open ticket on.
var lifecycle = []kind{kindAssign, kindStart, kindResolve}

// command is one client command and what the system answered.
type command struct {
	kind     kind
	key      string // its Idempotency-Key
	body     map[string]any
	ticketID string // the ticket it acts on; for an open, the id once acknowledged
	acked    bool   // answered 2xx
	sends    int
}

func (c *command) path() string {
	if c.kind == kindOpen {
		return "/api/v1/tickets"
	}
	return "/api/v1/tickets/" + c.ticketID + "/" + c.kind.route
}

// ledger records every command sent and its outcome.
type ledger struct {
	mu       sync.Mutex
	next     int
	commands []*command
	problems []string // answers that are bugs whatever happened: 4xx, 5xx
}

func (l *ledger) add(k kind, ticketID string, body map[string]any) *command {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next++
	c := &command{kind: k, key: "chaos-" + strconv.Itoa(l.next), body: body, ticketID: ticketID}
	l.commands = append(l.commands, c)
	return c
}

// send sends c (again) and records the outcome: acknowledged, or unknown
// after a transport error. It returns whether c is acknowledged.
func (l *ledger) send(a *api, c *command) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	r, err := a.send(ctx, http.MethodPost, c.path(), c.body, "Idempotency-Key", c.key)
	l.mu.Lock()
	defer l.mu.Unlock()
	c.sends++
	switch {
	case err != nil:
		return false // unknown: the process died, or was down
	case r.status >= 200 && r.status < 300:
		id := r.str("id")
		if c.ticketID != "" && id != c.ticketID {
			l.problems = append(l.problems, fmt.Sprintf("%s %s answered ticket %s, want %s", c.kind.name, c.key, id, c.ticketID))
		}
		c.ticketID, c.acked = id, true
		return true
	default:
		l.problems = append(l.problems, fmt.Sprintf("%s %s (%s): %d %s", c.kind.name, c.key, c.path(), r.status, r.raw))
		return false
	}
}

// unknown returns the commands with no acknowledgement yet.
func (l *ledger) unknown() []*command {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []*command
	for _, c := range l.commands {
		if !c.acked {
			out = append(out, c)
		}
	}
	return out
}

// counts returns how many commands were sent, and acknowledged.
func (l *ledger) counts() (sent, acked int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.commands {
		if c.acked {
			acked++
		}
	}
	return len(l.commands), acked
}

// ownTicket is a ticket one client opened and moves on.
type ownTicket struct {
	id   string
	step int // lifecycle commands acknowledged
}

// load sends commands from one client until stop is closed: it opens
// tickets, replies to them, and assigns them to assignee, starts and
// resolves them, one command at a time. A ticket whose command got no
// answer is left alone: the command is sent again after the restart.
func (l *ledger) load(a *api, assignee string, rng *rand.Rand, worker int, stop <-chan struct{}) {
	var open []*ownTicket
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		if len(open) == 0 || rng.IntN(5) < 2 {
			c := l.add(kindOpen, "", map[string]any{
				"title": fmt.Sprintf("崩溃测试 %d-%d", worker, n), "description": "kill -9 under load: 打印机无法连接网络",
				"priority": []string{"P1", "P2", "P3", "P4"}[rng.IntN(4)]})
			if l.send(a, c) {
				open = append(open, &ownTicket{id: c.ticketID})
			}
			continue
		}
		i := rng.IntN(len(open))
		tk := open[i]
		var c *command
		switch k := lifecycle[tk.step]; {
		case rng.IntN(3) == 0:
			c = l.add(kindReply, tk.id, map[string]any{"body": fmt.Sprintf("客户端 %d 的回复 %d", worker, n), "internal": rng.IntN(2) == 0})
		case k == kindAssign:
			c = l.add(k, tk.id, map[string]any{"assignee": assignee})
		case k == kindStart:
			c = l.add(k, tk.id, map[string]any{})
		default:
			c = l.add(k, tk.id, map[string]any{"resolution": fmt.Sprintf("重启路由器后恢复 %d-%d", worker, n)})
		}
		ok := l.send(a, c)
		if ok && c.kind != kindReply {
			tk.step++
		}
		if !ok || tk.step == len(lifecycle) {
			open = slices.Delete(open, i, i+1)
		}
	}
}

// sendAll sends every command (again), workers at a time, and returns those
// still without an answer.
func (l *ledger) sendAll(a *api, cmds []*command, workers int) []*command {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		left []*command
	)
	ch := make(chan *command)
	for range workers {
		wg.Go(func() {
			for c := range ch {
				if !l.send(a, c) {
					mu.Lock()
					left = append(left, c)
					mu.Unlock()
				}
			}
		})
	}
	for _, c := range cmds {
		ch <- c
	}
	close(ch)
	wg.Wait()
	return left
}

// chaosSeed is CHAOS_SEED when set (to replay a run), else the time.
func chaosSeed(t *testing.T) uint64 {
	if s := os.Getenv("CHAOS_SEED"); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("CHAOS_SEED: %v", err)
		}
		return seed
	}
	return uint64(time.Now().UnixNano())
}

// TestCrash_kill9_under_load runs `helpdesk up` under load from several
// clients that open tickets, reply to them, assign, start and resolve them,
// each command with an Idempotency-Key of its own. It kills the process
// with SIGKILL at seeded random moments (under load, and now and then again
// right after the restart), restarts it on the same data dir and sends
// every command left without an answer again, with its key. Then:
//   - every command is answered 2xx, and one sent again answers the same
//     ticket;
//   - every command is in the ticket stream exactly once, on its ticket,
//     and nothing else is;
//   - every resolved ticket has one satisfaction survey and one draft
//     article (reactions, which run across the kills too);
//   - the read models equal those that a fresh start without them builds
//     from the same streams (killed once while it builds them), and that
//     start appends no event.
func TestCrash_kill9_under_load(t *testing.T) {
	const (
		kills   = 4
		clients = 8
	)
	seed := chaosSeed(t)
	t.Logf("seed %d (CHAOS_SEED=%d replays the choices)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	bin, dataDir := helpdeskBinary(t), t.TempDir()

	p := startUp(t, bin, dataDir)
	a := signIn(t, p.url, true)
	adminID := a.must(t, http.StatusOK, "GET", "/api/v1/me", nil).str("id")
	l := &ledger{}
	for k := 1; k <= kills; k++ {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range clients {
			wrng := rand.New(rand.NewPCG(seed, uint64(k*clients+w)))
			wg.Go(func() { l.load(a, adminID, wrng, w, stop) })
		}
		after := 300*time.Millisecond + time.Duration(rng.Int64N(int64(1200*time.Millisecond)))
		time.Sleep(after)
		close(stop)
		p.kill(t)
		wg.Wait()
		sent, acked := l.counts()
		unknown := l.unknown()
		t.Logf("kill %d after %s of load: %d commands sent, %d acknowledged, %d unknown", k, after.Round(time.Millisecond), sent, acked, len(unknown))

		p = startUp(t, bin, dataDir)
		t.Logf("restart %d: of the %d unanswered commands, %d had been stored", k, len(unknown), storedOf(t, p, unknown))
		a = newAPI(p.url, a.token) // tokens outlive restarts: the signing key is in NATS
		if rng.IntN(2) == 0 {
			// Once in a while, a second kill while the projections catch up
			// and the unanswered commands are being sent again.
			left := make(chan []*command, 1)
			go func() { left <- l.sendAll(a, unknown, clients) }()
			after := time.Duration(rng.Int64N(int64(200 * time.Millisecond)))
			time.Sleep(after)
			p.kill(t)
			t.Logf("kill %d again %s after the restart: %d commands still unanswered", k, after.Round(time.Millisecond), len(<-left))
			p = startUp(t, bin, dataDir)
			a = newAPI(p.url, a.token)
		}
		for _, c := range l.sendAll(a, l.unknown(), clients) {
			t.Errorf("%s %s sent again after the restart: no answer", c.kind.name, c.key)
		}
	}

	// Acknowledged commands sent again change nothing and answer the same.
	var again []*command
	for _, i := range rng.Perm(len(l.commands))[:min(40, len(l.commands))] {
		again = append(again, l.commands[i])
	}
	for _, c := range l.sendAll(a, again, clients) {
		t.Errorf("acknowledged %s %s sent again: no answer", c.kind.name, c.key)
	}
	for _, problem := range l.problems {
		t.Errorf("answer that no crash excuses: %s", problem)
	}

	// Every command is in the event log exactly once, on its ticket.
	nc := connectNATS(t, p.natsURL)
	stored := readStream(t, nc, subjects.Stream(subjects.ServiceTicket))
	byKey := map[string][]storedEvent{}
	for _, e := range stored {
		byKey[e.key] = append(byKey[e.key], e)
	}
	opens, resolved := 0, map[string]bool{}
	for _, c := range l.commands {
		switch c.kind {
		case kindOpen:
			opens++
		case kindResolve:
			resolved[c.ticketID] = true
		}
		got := byKey[c.key]
		if len(got) != 1 || got[0].typ != c.kind.event || got[0].aggregateID != c.ticketID {
			t.Errorf("%s %s (ticket %s, sent %d times): want one %s event on its ticket, stored %+v", c.kind.name, c.key, c.ticketID, c.sends, c.kind.event, got)
		}
	}
	if len(stored) != len(l.commands) {
		t.Errorf("%d events stored for %d commands", len(stored), len(l.commands))
	}
	t.Logf("%d commands (%d tickets opened, %d resolved), %d sent more than once, %d events in the stream",
		len(l.commands), opens, len(resolved), countResent(l.commands), len(stored))

	// The read models, caught up and stopped, hold the reactions to every
	// resolution once (a survey, a draft article), and equal a fresh
	// rebuild, which appends nothing.
	ends := waitCaughtUp(t, nc, 60*time.Second)
	nc.Close()
	p.stop(t)
	dbFile := filepath.Join(dataDir, "readmodels.db")
	live := readModelRows(t, dbFile)
	if len(live["ticket_list"]) != opens {
		t.Errorf("ticket_list has %d rows, want %d", len(live["ticket_list"]), opens)
	}
	surveys := countBy(t, dbFile, `SELECT ticket_id, COUNT(*) FROM surveys WHERE ticket_id != '' GROUP BY ticket_id`)
	drafts := countBy(t, dbFile, `SELECT source_id, COUNT(*) FROM kb_articles WHERE source_kind = 'ticket' GROUP BY source_id`)
	for id := range resolved {
		if surveys[id] != 1 || drafts[id] != 1 {
			t.Errorf("resolved ticket %s: %d surveys and %d draft articles, want 1 and 1", id, surveys[id], drafts[id])
		}
	}
	if len(surveys) != len(resolved) || len(drafts) != len(resolved) {
		t.Errorf("surveys for %d tickets and drafts from %d, but %d resolved", len(surveys), len(drafts), len(resolved))
	}
	rebuilt, rebuiltEnds := rebuildCopy(t, bin, dataDir, time.Duration(rng.Int64N(int64(100*time.Millisecond))))
	if !maps.Equal(ends, rebuiltEnds) {
		t.Errorf("the rebuild changed the event streams: their ends were %v, after it %v", ends, rebuiltEnds)
	}
	rows := 0
	for _, table := range slices.Sorted(mapKeys(live, rebuilt)) {
		_, inLive := live[table]
		_, inRebuilt := rebuilt[table]
		if !inLive || !inRebuilt {
			t.Errorf("table %s only in one read-model database (live %v, rebuilt %v)", table, inLive, inRebuilt)
		}
		compareRows(t, table, live[table], rebuilt[table])
		rows += len(live[table])
	}
	t.Logf("read models equal a fresh rebuild: %d tables, %d rows; surveys and drafts for the %d resolved tickets", len(live), rows, len(resolved))
}

// storedOf counts the commands whose event the ticket stream of p holds.
func storedOf(t *testing.T, p *proc, cmds []*command) int {
	t.Helper()
	if len(cmds) == 0 {
		return 0
	}
	nc := connectNATS(t, p.natsURL)
	defer nc.Close()
	keys := map[string]bool{}
	for _, e := range readStream(t, nc, subjects.Stream(subjects.ServiceTicket)) {
		keys[e.key] = true
	}
	n := 0
	for _, c := range cmds {
		if keys[c.key] {
			n++
		}
	}
	return n
}

// countResent counts the commands sent more than once.
func countResent(cmds []*command) int {
	n := 0
	for _, c := range cmds {
		if c.sends > 1 {
			n++
		}
	}
	return n
}

// rebuildCopy copies dataDir without its read models and search indexes,
// runs `helpdesk up` on the copy, kills it killAfter after it is ready,
// runs it again until every projection has caught up, stops it, and
// returns the read-model rows it built and the ends of the event streams.
func rebuildCopy(t *testing.T, bin, dataDir string, killAfter time.Duration) (map[string][]string, map[string]uint64) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(dir, os.DirFS(dataDir)); err != nil {
		t.Fatalf("copy the data dir: %v", err)
	}
	for _, name := range []string{"readmodels.db", "readmodels.db-wal", "readmodels.db-shm", "search"} {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	p := startUp(t, bin, dir)
	time.Sleep(killAfter)
	p.kill(t) // in the middle of the rebuild, or just after it
	p = startUp(t, bin, dir)
	nc := connectNATS(t, p.natsURL)
	ends := waitCaughtUp(t, nc, 60*time.Second)
	nc.Close()
	p.stop(t)
	return readModelRows(t, filepath.Join(dir, "readmodels.db")), ends
}

// mapKeys iterates over the keys of both maps, once each.
func mapKeys(a, b map[string][]string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for k := range a {
			if !yield(k) {
				return
			}
		}
		for k := range b {
			if _, seen := a[k]; !seen && !yield(k) {
				return
			}
		}
	}
}

// compareRows reports the rows only one side has.
func compareRows(t *testing.T, table string, live, rebuilt []string) {
	t.Helper()
	if slices.Equal(live, rebuilt) {
		return
	}
	missing, extra := diff(rebuilt, live), diff(live, rebuilt)
	t.Errorf("table %s: %d rows live, %d rebuilt; %d only rebuilt, e.g. %v; %d only live, e.g. %v",
		table, len(live), len(rebuilt), len(missing), first(missing, 3), len(extra), first(extra, 3))
}

// diff returns the rows of a that b lacks; both are sorted.
func diff(a, b []string) []string {
	var out []string
	for _, r := range a {
		if _, found := slices.BinarySearch(b, r); !found {
			out = append(out, r)
		}
	}
	return out
}

func first(rows []string, n int) []string { return rows[:min(n, len(rows))] }
