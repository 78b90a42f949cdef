// Package cluster_test runs Helpdesk on a three-node NATS cluster with
// replicated (R3) streams and checks that it survives the loss of a node.
package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/subjects"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/auditlog"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/launcher"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/rpc"
	"helpdesk/infra/sqlstore"
	"helpdesk/infra/telemetry/logtest"
	"helpdesk/tests/apiclient"
)

const (
	adminPassword = "Root-Passw0rd!"
	userPassword  = "Str0ng-Passw0rd!"
	// workers send commands concurrently, each its own request at a time.
	workers = 4
	// loadBefore is how long the load runs before the leader stops.
	loadBefore = 1500 * time.Millisecond
	// loadAfter is how long the load goes on once commands succeed again;
	// longer than requestTimeout, so that workers stuck in a request sent
	// before the failover send new ones.
	loadAfter = 3 * time.Second
	// requestTimeout is how long a worker waits for an answer.
	requestTimeout = 2 * time.Second
	// failoverBound is the longest the test accepts between stopping the
	// leader and the next successful command.
	failoverBound = 15 * time.Second
)

// TestFailover_of_the_ticket_stream_leader runs identity, ticket and the
// gateway on a three-node cluster with R3 streams, every part connected to
// the node that leads EVENTS_TICKET, with the three nodes' URLs. Under
// continuous ticket creation over HTTP (each with an Idempotency-Key,
// retried with the same key until it succeeds) that node is shut down.
// Commands must succeed again within failoverBound (the gap is logged);
// afterwards every ticket that got a 2xx is in the event log, no
// Idempotency-Key opened two tickets, and the ticket list read model equals
// its rebuild from the events.
func TestFailover_of_the_ticket_stream_leader(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster and runs a load")
	}
	logs := logtest.ShownOnFailure(t, "logs of the Helpdesk parts")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	c := natsembed.StartClusterForTest(t, 3)
	stream := subjects.Stream(subjects.ServiceTicket)
	probe := connect(t, c.ClientURLs())
	js, err := jetstream.New(probe)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eventstore.NewReplicatedJetStream(ctx, js, 3, subjects.ServiceTicket); err != nil {
		t.Fatalf("ticket stream: %v", err)
	}
	leader, err := c.WaitForStreamLeader(stream, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// Every part first connects to the leader: stopping it takes their
	// connection away too.
	urls := []string{leader.ClientURL()}
	for _, u := range c.ClientURLs() {
		if u != leader.ClientURL() {
			urls = append(urls, u)
		}
	}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var conns []*nats.Conn
	start := func(cfg launcher.PartsConfig) *launcher.Parts {
		t.Helper()
		cfg.Conn, cfg.Logger, cfg.Registry, cfg.StreamReplicas = connect(t, urls), logger, launcher.NewRegistry(), 3
		conns = append(conns, cfg.Conn)
		p, err := launcher.StartParts(ctx, cfg)
		if err != nil {
			t.Fatalf("start parts: %v", err)
		}
		t.Cleanup(func() {
			stopCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_ = p.Stop(stopCtx)
		})
		return p
	}
	services := start(launcher.PartsConfig{
		Services:    []string{subjects.ServiceIdentity, subjects.ServiceTicket, subjects.ServiceCallRecord},
		DB:          sqlstore.Config{Driver: sqlstore.DriverSQLite, DSN: filepath.Join(t.TempDir(), "readmodels.db")},
		EnsureAdmin: true, AdminPassword: adminPassword,
		Auth: launcher.Auth{AdminSetPasswordsFinal: true, AdminPasswordFinal: true},
	})
	gw := start(launcher.PartsConfig{Gateway: true, Listen: "127.0.0.1:0"})
	for _, name := range []string{stream, subjects.Stream(subjects.ServiceIdentity), subjects.Stream(subjects.ServiceCallRecord),
		auditlog.AccessStream, "KV_helpdesk_secrets", "OBJ_" + callapi.RecordingsBucket} {
		st, err := js.Stream(ctx, name)
		if err != nil || st.CachedInfo().Config.Replicas != 3 {
			t.Fatalf("stream %s: %v, want 3 replicas", name, err)
		}
	}

	token := customerToken(t, gw.URL)
	l := &load{url: gw.URL + "/api/v1/tickets", token: token, results: map[string]string{}}
	stopLoad := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { l.run(stopLoad) })
	}
	time.Sleep(loadBefore)
	if l.successes() == 0 {
		close(stopLoad)
		wg.Wait()
		t.Fatalf("no command succeeded before the failover; last error: %v", l.lastError())
	}
	leader = c.StreamLeader(stream) // in case it moved meanwhile
	if leader == nil {
		t.Fatal("the ticket stream lost its leader before the test stopped one")
	}
	killed := time.Now()
	leader.Shutdown()
	t.Logf("stopped %s, the leader of %s, in %s, after %d commands", leader.Name(), stream, time.Since(killed).Round(time.Millisecond), l.successes())

	recovered, ok := l.probe(failoverBound)
	late := func() int { _, n := l.successesAround(recovered.Add(requestTimeout)); return n }
	if ok {
		// At least loadAfter, and until the workers, stuck at most
		// requestTimeout in requests sent before, got through again
		// (bounded: a slow machine must not hang the test).
		time.Sleep(loadAfter)
		for deadline := time.Now().Add(failoverBound); late() < workers && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
		}
	}
	close(stopLoad)
	wg.Wait()
	if !ok {
		t.Fatalf("no command succeeded within %s of stopping the leader; last error: %v", failoverBound, l.lastError())
	}
	newLeader := c.StreamLeader(stream)
	for _, nc := range conns {
		if nc.Stats().Reconnects == 0 || nc.ConnectedServerName() == leader.Name() {
			t.Errorf("connection %s: %d reconnects, now on %s: it was not moved off the stopped node",
				nc.Opts.Name, nc.Stats().Reconnects, nc.ConnectedServerName())
		}
	}
	before, after := l.successesAround(killed)
	t.Logf("commands succeeded again %s after the leader stopped (new leader %v); %d commands before, %d after, %d failed attempts (retried)",
		recovered.Sub(killed).Round(time.Millisecond), serverName(newLeader), before, after, l.failures())
	// Not one lucky command: every worker goes on after the failover.
	if n := late(); n < workers {
		t.Errorf("%d commands sent more than %s after the recovery, want at least one per worker (%d); last error: %v",
			n, requestTimeout, workers, l.lastError())
	}

	logged := readTickets(ctx, t, js, stream)
	for key, id := range l.results {
		if logged.byKey[key] != id {
			t.Errorf("Idempotency-Key %s: answered ticket %s, the event log has %q", key, id, logged.byKey[key])
		}
	}
	for key, n := range logged.opened {
		if n > 1 {
			t.Errorf("Idempotency-Key %s opened %d tickets", key, n)
		}
	}
	if len(logged.byKey) < len(l.results) {
		t.Errorf("the event log has %d tickets, %d were answered 2xx", len(logged.byKey), len(l.results))
	}

	// The projection resumes after the failover and catches up ...
	wait, cancelWait := context.WithTimeout(ctx, 20*time.Second)
	defer cancelWait()
	if err := services.Ticket.Projection.WaitFor(wait, logged.last); err != nil {
		t.Fatalf("ticket projection stuck at position %d of %d after the failover: %v", services.Ticket.Projection.Position(), logged.last, err)
	}
	live := listTickets(ctx, t, services)
	if len(live) != len(logged.byKey) {
		t.Errorf("the list read model has %d tickets, the event log %d", len(live), len(logged.byKey))
	}
	// ... to what a replay of the events gives.
	if _, err := services.Ticket.Projection.Rebuild(wait, nil); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	rebuilt := listTickets(ctx, t, services)
	if !slices.Equal(live, rebuilt) {
		t.Errorf("the list read model differs from its rebuild:\n live    %d rows\n rebuilt %d rows\n first difference: %s", len(live), len(rebuilt), firstDifference(live, rebuilt))
	}
}

// connect opens a connection that fails over between the servers, in the
// given order, and reconnects for ever.
func connect(t *testing.T, urls []string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(strings.Join(urls, ","), nats.DontRandomize(), nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond), nats.Timeout(2*time.Second))
	if err != nil {
		t.Fatalf("connect to %v: %v", urls, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func serverName(s *natsembed.Server) string {
	if s == nil {
		return "none yet"
	}
	return s.Name()
}

// customerToken signs in as the admin, creates a customer and returns the
// customer's access token.
func customerToken(t *testing.T, base string) string {
	t.Helper()
	admin := call(t, base, "", http.MethodPost, "/api/v1/auth/login", map[string]string{"username": "admin", "password": adminPassword})
	name := "cust-" + uuid.NewString()[:8]
	call(t, base, admin["access_token"].(string), http.MethodPost, "/api/v1/users",
		map[string]string{"username": name, "password": userPassword, "role": identityapi.RoleCustomer, "display_name": "集群测试"})
	login := call(t, base, "", http.MethodPost, "/api/v1/auth/login", map[string]string{"username": name, "password": userPassword})
	return login["access_token"].(string)
}

// call sends one request that must succeed and returns its JSON body.
func call(t *testing.T, base, token, method, path string, body any) map[string]any {
	t.Helper()
	req, err := apiclient.NewRequest(method, base+path, body, token)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return out
}

// load creates tickets through the gateway, each with an Idempotency-Key
// that it retries until it gets a 2xx, and records what happened.
type load struct {
	url, token string

	mu sync.Mutex
	// results maps each key answered 2xx to the ticket id of the answer.
	results map[string]string
	// done are the successful requests in the order they were answered.
	done    []request
	failed  int
	lastErr error
}

// request is when a successful request was sent and answered.
type request struct{ sent, answered time.Time }

func (l *load) run(stop <-chan struct{}) {
	client := &http.Client{Timeout: requestTimeout}
	for {
		key := uuid.NewString()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if l.attempt(client, key) == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// attempt sends one request with the key and records its outcome.
func (l *load) attempt(client *http.Client, key string) error {
	sent := time.Now()
	id, err := l.create(client, key)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		if prev, ok := l.results[key]; ok && prev != id {
			err = fmt.Errorf("key %s answered ticket %s, then %s", key, prev, id)
		}
	}
	if err != nil {
		l.failed++
		l.lastErr = err
		return err
	}
	l.results[key] = id
	l.done = append(l.done, request{sent: sent, answered: time.Now()})
	return nil
}

// probe sends one command after another, each given a second, retrying
// its key, until one succeeds, and returns when it was answered; false
// when none succeeded within bound. The load's workers may be stuck in
// requests sent before the failover: the probe measures when a new
// request gets through.
func (l *load) probe(bound time.Duration) (time.Time, bool) {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(bound)
	key := uuid.NewString()
	for time.Now().Before(deadline) {
		if l.attempt(client, key) == nil {
			return time.Now(), true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Time{}, false
}

func (l *load) create(client *http.Client, key string) (string, error) {
	req, err := apiclient.NewRequest(http.MethodPost, l.url, map[string]string{"title": "故障切换 " + key[:8]}, l.token, "Idempotency-Key", key)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, raw)
	}
	var tk struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &tk); err != nil || tk.ID == "" {
		return "", fmt.Errorf("answer without a ticket id: %s", raw)
	}
	return tk.ID, nil
}

func (l *load) successes() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.done)
}

// successesAround counts the successful commands sent before and after t.
func (l *load) successesAround(t time.Time) (before, after int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.done {
		if r.sent.Before(t) {
			before++
		} else {
			after++
		}
	}
	return before, after
}

func (l *load) failures() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed
}

func (l *load) lastError() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastErr
}

// logTickets is what the event log holds about the opened tickets.
type logTickets struct {
	// byKey maps an Idempotency-Key to the ticket it opened.
	byKey map[string]string
	// opened counts the tickets each key opened.
	opened map[string]int
	// last is the stream's last sequence.
	last uint64
}

// readTickets reads the whole ticket stream.
func readTickets(ctx context.Context, t *testing.T, js jetstream.JetStream, stream string) logTickets {
	t.Helper()
	out := logTickets{byKey: map[string]string{}, opened: map[string]int{}}
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	out.last = st.CachedInfo().State.LastSeq
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatalf("read %s: %v", stream, err)
	}
	for seq := uint64(0); seq < out.last; {
		batch, err := cons.Fetch(500, jetstream.FetchMaxWait(2*time.Second))
		if errors.Is(err, nats.ErrNoResponders) && ctx.Err() == nil {
			// On a cluster the ordered consumer, recreated, may not serve yet.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatalf("read %s at %d: %v", stream, seq, err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			meta, err := m.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			seq = meta.Sequence.Stream
			env, err := eventstore.DecodeMsg(m.Subject(), m.Headers(), m.Data(), seq)
			if err != nil {
				t.Fatal(err)
			}
			if env.Type == ticketapi.EventOpened && env.IdempotencyKey != "" {
				key := env.IdempotencyKey[strings.LastIndex(env.IdempotencyKey, ":")+1:]
				out.byKey[key] = env.AggregateID
				out.opened[key]++
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, nats.ErrNoResponders) {
			t.Fatalf("read %s at %d: %v", stream, seq, err)
		}
		if got == 0 && ctx.Err() != nil {
			t.Fatalf("read %s: stuck at %d of %d", stream, seq, out.last)
		}
	}
	return out
}

// listTickets returns every row of the ticket list read model, as JSON.
func listTickets(ctx context.Context, t *testing.T, p *launcher.Parts) []string {
	t.Helper()
	ctx = rpc.WithCaller(ctx, rpc.Caller{ID: "system:cluster-test", Role: identityapi.RoleSystem})
	var rows []string
	f := ticketapi.ListTickets{Limit: 200}
	for {
		page, err := p.Ticket.App.Queries.List.Handle(ctx, f)
		if err != nil {
			t.Fatalf("list tickets: %v", err)
		}
		for _, s := range page.Items {
			b, _ := json.Marshal(s)
			rows = append(rows, string(b))
		}
		if page.NextCursor == "" {
			return rows
		}
		f.Cursor = page.NextCursor
	}
}

func firstDifference(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("row %d:\n  %s\n  %s", i, a[i], b[i])
		}
	}
	return "one list is longer"
}
