package chaos_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"helpdesk/contracts/subjects"
)

// drainLimit bounds how long `helpdesk up` may take to stop after SIGTERM
// in the shutdown test (its own drain timeout is 30 s).
const drainLimit = 20 * time.Second

// slowOpen is a ticket creation whose body the client sends in two halves:
// the headers and the first half before SIGTERM, the rest after it.
type slowOpen struct {
	key    string
	status int
	id     string
	err    error
}

// TestShutdown_SIGTERM_drains_requests_and_projections sends SIGTERM to
// `helpdesk up` while requests are in flight and checks that
//   - requests whose headers and half of whose body were sent before SIGTERM
//     complete with 201 even though the rest of the body comes later;
//   - once the shutdown has begun, new connections are refused;
//   - a burst of creations sent as SIGTERM arrives answers 201 or fails
//     without an answer, never with an error status, and every one of them
//     sent again after the restart with its Idempotency-Key is stored once;
//   - the process exits 0 well within its drain timeout;
//   - the projections applied and stored every event before the exit: the
//     positions in the read-model database equal the streams' last
//     sequences, and every acknowledged ticket is in the ticket list. (The
//     search indexes keep their positions in the index and may store them
//     late on purpose, see knowledge's SearchIndex: they are not checked.)
//   - tickets resolved just before SIGTERM have one satisfaction survey and
//     one draft article each, made before the exit (the reactions' positions
//     are at the end of the ticket stream) or after the restart.
func TestShutdown_SIGTERM_drains_requests_and_projections(t *testing.T) {
	const (
		slowCount    = 12
		openCount    = 48
		resolveCount = 16
	)
	bin, dataDir := helpdeskBinary(t), t.TempDir()
	p := startUp(t, bin, dataDir)
	a := signIn(t, p.url, true)
	adminID := a.must(t, http.StatusOK, "GET", "/api/v1/me", nil).str("id")
	var started []string // tickets in progress, to resolve just before SIGTERM
	for i := range resolveCount {
		id := a.must(t, http.StatusCreated, "POST", "/api/v1/tickets", map[string]any{"title": fmt.Sprintf("关机之前 %d", i)}).str("id")
		a.must(t, http.StatusOK, "POST", "/api/v1/tickets/"+id+"/assign", map[string]any{"assignee": adminID})
		a.must(t, http.StatusOK, "POST", "/api/v1/tickets/"+id+"/start", map[string]any{})
		started = append(started, id)
	}

	// Slow requests: headers and half the body out, then wait for release.
	release := make(chan struct{})
	slow := make([]slowOpen, slowCount)
	var slowDone, firstHalves sync.WaitGroup
	firstHalves.Add(slowCount)
	for i := range slow {
		slow[i].key = fmt.Sprintf("slow-%d", i)
		slowDone.Go(func() {
			slow[i].status, slow[i].id, slow[i].err = sendInHalves(p.url, a.token, slow[i].key, &firstHalves, release)
		})
	}
	waitGroupTimeout(t, &firstHalves, 10*time.Second, "first halves of the slow requests sent")
	// The gateway accepts connections in the order they came: once one
	// made after them is answered, it has accepted the slow ones too.
	newAPI(p.url, "").must(t, http.StatusOK, "GET", "/healthz", nil)
	time.Sleep(100 * time.Millisecond) // and read their headers

	// Resolutions answered just before SIGTERM: each starts reactions in
	// two other services, which the shutdown lets finish.
	l := &ledger{}
	var resolutions []*command
	for _, id := range started {
		resolutions = append(resolutions, l.add(kindResolve, id, map[string]any{"resolution": "关机前解决"}))
	}
	if left := l.sendAll(a, resolutions, len(resolutions)); len(left) > 0 {
		t.Fatalf("%d resolutions without an answer before SIGTERM", len(left))
	}

	// A burst of creations as SIGTERM arrives.
	var burst []*command
	for i := range openCount {
		burst = append(burst, l.add(kindOpen, "", map[string]any{"title": fmt.Sprintf("关机时的工单 %d", i)}))
	}
	var burstDone sync.WaitGroup
	for _, c := range burst {
		burstDone.Go(func() { l.send(a, c) })
	}
	time.Sleep(5 * time.Millisecond)
	began := time.Now()
	p.signal(t, syscall.SIGTERM)

	// The shutdown has begun: the gateway takes no new connections, while
	// the slow requests are still waiting for the rest of their bodies.
	waitOutput(t, p, "Stopping:", 10*time.Second)
	addr := hostPort(t, p.url)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Since(began) > 5*time.Second {
			t.Fatalf("the gateway still accepted connections %s after SIGTERM", time.Since(began))
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case <-p.exited:
		t.Fatalf("helpdesk up exited after %s with requests in flight:\n%s", time.Since(began), p.out.String())
	default:
	}
	refusedAfter := time.Since(began)
	close(release)
	slowDone.Wait()
	burstDone.Wait()
	if err := p.waitExit(t, drainLimit); err != nil {
		t.Errorf("exit status after SIGTERM: %v", err)
	}
	took := time.Since(began)
	if !strings.Contains(p.out.String(), "Stopped.") {
		t.Errorf("no 'Stopped.' after SIGTERM:\n%s", p.out.String())
	}

	var acked []string // ids answered 201
	for _, s := range slow {
		if s.err != nil || s.status != http.StatusCreated {
			t.Errorf("in-flight request %s: status %d, error %v; want 201", s.key, s.status, s.err)
			continue
		}
		acked = append(acked, s.id)
	}
	for _, problem := range l.problems {
		t.Errorf("answer during shutdown: %s", problem)
	}
	unknown := l.unknown()
	for _, c := range burst {
		if c.acked {
			acked = append(acked, c.ticketID)
		}
	}
	t.Logf("SIGTERM: new connections refused after %s, exit after %s; burst: %d of %d answered 2xx, %d without an answer",
		refusedAfter.Round(time.Millisecond), took.Round(time.Millisecond), len(burst)-len(unknown), len(burst), len(unknown))

	// What the projections stored before the exit.
	dbFile := filepath.Join(dataDir, "readmodels.db")
	positions := projectionPositions(t, dbFile)
	listed := ticketIDs(t, dbFile)
	for _, id := range acked {
		if !listed[id] {
			t.Errorf("ticket %s answered 201 before the exit is not in ticket_list", id)
		}
	}

	// Restarted, before any new event: the stored positions were the ends
	// of the streams.
	p = startUp(t, bin, dataDir)
	nc := connectNATS(t, p.natsURL)
	if _, ok := positions["ticket_list"]; !ok {
		t.Errorf("no stored position of ticket_list in %v", positions)
	}
	var elsewhere []string
	for _, st := range projectionStatuses(t, nc) {
		got, ok := positions[st.Name]
		switch {
		case !ok: // a search index: it stores its position with its documents
			elsewhere = append(elsewhere, st.Name)
		case got != st.StreamLast:
			t.Errorf("projection %s stored position %d, but %s ends at %d: it stopped before applying every event", st.Name, got, st.Stream, st.StreamLast)
		}
	}
	t.Logf("stored positions: %v; kept outside the database: %v", positions, elsewhere)

	// Sent again with their keys, the unanswered ones are stored once, and
	// the answered ones are not stored twice.
	a = newAPI(p.url, a.token)
	for _, c := range l.sendAll(a, unknown, 8) {
		t.Errorf("burst request %s sent again after the restart: no answer", c.key)
	}
	stored := readStream(t, nc, subjects.Stream(subjects.ServiceTicket))
	count := map[string]int{}
	for _, e := range stored {
		count[e.key]++
	}
	for _, s := range slow {
		if count[s.key] != 1 {
			t.Errorf("in-flight request %s stored %d times", s.key, count[s.key])
		}
	}
	for _, c := range l.commands {
		if count[c.key] != 1 {
			t.Errorf("%s %s stored %d times", c.kind.name, c.key, count[c.key])
		}
	}

	// Each resolution got its reactions once, whether they ran before the
	// exit or after the restart.
	waitCaughtUp(t, nc, 30*time.Second)
	p.stop(t)
	surveys := countBy(t, dbFile, `SELECT ticket_id, COUNT(*) FROM surveys WHERE ticket_id != '' GROUP BY ticket_id`)
	drafts := countBy(t, dbFile, `SELECT source_id, COUNT(*) FROM kb_articles WHERE source_kind = 'ticket' GROUP BY source_id`)
	for _, id := range started {
		if surveys[id] != 1 || drafts[id] != 1 {
			t.Errorf("ticket %s resolved before SIGTERM: %d surveys and %d draft articles, want 1 and 1", id, surveys[id], drafts[id])
		}
	}
}

// sendInHalves opens a ticket with key, sending the headers and the first
// half of the body (chunked, so each half leaves at once), marking sent,
// and the second half once release is closed. It returns the status and
// the ticket id answered.
func sendInHalves(base, token, key string, sent *sync.WaitGroup, release <-chan struct{}) (int, string, error) {
	body, err := json.Marshal(map[string]any{"title": "关机时正在发送的工单 " + key, "description": strings.Repeat("慢", 200)})
	if err != nil {
		sent.Done()
		return 0, "", err
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := pw.Write(body[:len(body)/2])
		sent.Done()
		if err != nil {
			return
		}
		<-release
		_, _ = pw.Write(body[len(body)/2:])
		_ = pw.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/tickets", pr)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("POST /api/v1/tickets: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		ID string `json:"id"`
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, "", fmt.Errorf("read the answer: %w", err)
	}
	if resp.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(raw, &out); err != nil {
			return resp.StatusCode, "", fmt.Errorf("decode %s: %w", raw, err)
		}
	} else {
		err = fmt.Errorf("answer %s", raw)
	}
	return resp.StatusCode, out.ID, err
}

// waitGroupTimeout waits for wg, failing the test after timeout.
func waitGroupTimeout(t *testing.T, wg *sync.WaitGroup, timeout time.Duration, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(timeout):
		t.Fatalf("%s: not within %s", what, timeout)
	}
}

// waitOutput waits until the process has printed text.
func waitOutput(t *testing.T, p *proc, text string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.out.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q within %s:\n%s", text, timeout, p.out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// hostPort is the host:port of an http:// URL.
func hostPort(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}
