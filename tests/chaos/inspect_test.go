package chaos_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/events"
	"helpdesk/contracts/opsapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/launcher"
	"helpdesk/infra/rpc"
	"helpdesk/infra/sqlstore"
	"helpdesk/tests/apiclient"
)

// api calls the gateway as one signed-in user.
type api struct {
	base  string
	token string
	http  *http.Client
}

// answer is a gateway response.
type answer struct {
	status int
	body   map[string]any
	raw    []byte
}

func (a answer) str(key string) string {
	s, _ := a.body[key].(string)
	return s
}

// newAPI returns a client for base that keeps enough idle connections for
// the load the tests generate.
func newAPI(base, token string) *api {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 256, 256
	return &api{base: base, token: token, http: &http.Client{Timeout: 15 * time.Second, Transport: tr}}
}

// send sends one request; err is a transport error (no answer).
func (a *api) send(ctx context.Context, method, path string, body any, headers ...string) (answer, error) {
	req, err := apiclient.NewRequest(method, a.base+path, body, a.token, headers...)
	if err != nil {
		return answer{}, err
	}
	resp, err := a.http.Do(req.WithContext(ctx))
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	out := answer{status: resp.StatusCode, raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		_ = json.Unmarshal(raw, &out.body)
	}
	return out, nil
}

// must sends a request and fails the test unless it answers status.
func (a *api) must(t *testing.T, status int, method, path string, body any, headers ...string) answer {
	t.Helper()
	r, err := a.send(ctxTimeout(t, 20*time.Second), method, path, body, headers...)
	if err != nil {
		t.Fatal(err)
	}
	if r.status != status {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, status, r.raw)
	}
	return r
}

// signIn logs the admin in on base. The first sign-in of a data dir changes
// the first password, as the first login demands.
func signIn(t *testing.T, base string, first bool) *api {
	t.Helper()
	a := newAPI(base, "")
	password := changedPassword
	if first {
		password = adminPassword
	}
	r := a.must(t, http.StatusOK, "POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": password})
	a.token = r.str("access_token")
	if first {
		r = a.must(t, http.StatusOK, "POST", "/api/v1/auth/password", map[string]string{"current_password": adminPassword, "new_password": changedPassword})
		a.token = r.str("access_token")
	}
	if a.token == "" {
		t.Fatalf("no access token: %s", r.raw)
	}
	return a
}

// connectNATS connects to the child's embedded NATS server.
func connectNATS(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.Name("chaos-test"))
	if err != nil {
		t.Fatalf("connect to %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// storedEvent is what the checks need of one stored event.
type storedEvent struct {
	seq         uint64
	typ         string
	aggregateID string
	key         string // the client's Idempotency-Key, without the caller scope
}

// readStream returns every message of stream, in order.
func readStream(t *testing.T, nc *nats.Conn, stream string) []storedEvent {
	t.Helper()
	ctx := ctxTimeout(t, 30*time.Second)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	var out []storedEvent
	for seq := s.CachedInfo().State.FirstSeq; seq <= s.CachedInfo().State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("%s message %d: %v", stream, seq, err)
		}
		key := m.Header.Get(events.HeaderIdempotencyKey)
		if i := strings.LastIndexByte(key, ':'); i >= 0 {
			key = key[i+1:] // the store scopes keys by caller: "<caller>:<key>"
		}
		out = append(out, storedEvent{seq: seq, typ: m.Header.Get(events.HeaderType),
			aggregateID: m.Header.Get(events.HeaderSubject), key: key})
	}
	return out
}

// projectionStatuses asks every service of the child for its projections,
// as `helpdesk projections status` does.
func projectionStatuses(t *testing.T, nc *nats.Conn) []opsapi.ProjectionStatus {
	t.Helper()
	ctx := rpc.WithCaller(ctxTimeout(t, 10*time.Second), rpc.Caller{ID: "system:chaos-test", Role: "system"})
	var out []opsapi.ProjectionStatus
	for _, svc := range launcher.Services {
		st, err := rpc.Call[opsapi.ProjectionStatuses](ctx, nc, subjects.Endpoint(svc, opsapi.EndpointProjectionStatus), opsapi.ProjectionStatusRequest{})
		if problem.CodeOf(err) == problem.CodeUnavailable {
			continue // the service keeps no projections
		}
		if err != nil {
			t.Fatalf("projection status of %s: %v", svc, err)
		}
		out = append(out, st.Projections...)
	}
	if len(out) == 0 {
		t.Fatal("no service reported a projection")
	}
	return out
}

// waitCaughtUp waits until every projection has applied its stream's last
// event, twice in a row with the same stream ends (so that what reactions
// appended meanwhile is applied too), and returns the ends by stream.
func waitCaughtUp(t *testing.T, nc *nats.Conn, timeout time.Duration) map[string]uint64 {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var prev map[string]uint64
	for {
		ends, behind := map[string]uint64{}, ""
		for _, p := range projectionStatuses(t, nc) {
			ends[p.Stream] = p.StreamLast
			if p.Position != p.StreamLast {
				behind += fmt.Sprintf(" %s at %d of %d;", p.Name, p.Position, p.StreamLast)
			}
		}
		switch {
		case behind == "" && maps.Equal(prev, ends):
			return ends
		case behind == "":
			prev = ends
		default:
			prev = nil
		}
		if time.Now().After(deadline) {
			t.Fatalf("projections not caught up within %s:%s", timeout, behind)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// readModelRows returns, table by table, every row of the read-model
// database at path as text, sorted. Bookkeeping is left out: the migration
// table, and the times (columns *_at) in the projections' own tables
// (projection_*), such as when a position was stored.
func readModelRows(t *testing.T, path string) map[string][]string {
	t.Helper()
	ctx := ctxTimeout(t, 30*time.Second)
	db := openReadModel(ctx, t, path)
	defer db.Close()
	tables, err := db.Read.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'`)
	if err != nil {
		t.Fatalf("tables of %s: %v", path, err)
	}
	var names []string
	for tables.Next() {
		var n string
		if err := tables.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := tables.Close(); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, table := range names {
		out[table] = []string{}
		rows, err := db.Read.QueryContext(ctx, `SELECT * FROM "`+table+`"`)
		if err != nil {
			t.Fatalf("read %s of %s: %v", table, path, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("scan %s: %v", table, err)
			}
			var b strings.Builder
			for i, c := range cols {
				if strings.HasPrefix(table, "projection_") && strings.HasSuffix(c, "_at") {
					continue
				}
				if v, ok := vals[i].([]byte); ok {
					vals[i] = string(v)
				}
				fmt.Fprintf(&b, "%s=%v ", c, vals[i])
			}
			out[table] = append(out[table], b.String())
		}
		if err := rows.Close(); err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		slices.Sort(out[table])
	}
	return out
}

// queryStrings runs query on the read-model database at path and returns
// the first two columns of every row as text.
func queryStrings(t *testing.T, path, query string) [][2]string {
	t.Helper()
	ctx := ctxTimeout(t, 30*time.Second)
	db := openReadModel(ctx, t, path)
	defer db.Close()
	rows, err := db.Read.QueryContext(ctx, query)
	if err != nil {
		t.Fatalf("%s on %s: %v", query, path, err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var r [2]string
		if err := rows.Scan(&r[0], &r[1]); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

// projectionPositions returns the position each projection stored in the
// read-model database at path.
func projectionPositions(t *testing.T, path string) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	for _, r := range queryStrings(t, path, `SELECT name, position FROM projection_positions`) {
		pos, err := strconv.ParseUint(r[1], 10, 64)
		if err != nil {
			t.Fatalf("position of %s: %v", r[0], err)
		}
		out[r[0]] = pos
	}
	return out
}

// ticketIDs returns the ids in the ticket list read model at path.
func ticketIDs(t *testing.T, path string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, r := range queryStrings(t, path, `SELECT id, status FROM ticket_list`) {
		out[r[0]] = true
	}
	return out
}

// countBy runs query, which selects a key and a count, on the read-model
// database at path.
func countBy(t *testing.T, path, query string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, r := range queryStrings(t, path, query) {
		n, err := strconv.Atoi(r[1])
		if err != nil {
			t.Fatalf("%s: count %q: %v", query, r[1], err)
		}
		out[r[0]] = n
	}
	return out
}

// openReadModel opens the read-model database at path.
func openReadModel(ctx context.Context, t *testing.T, path string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(ctx, sqlstore.Config{DSN: path})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return db
}
