package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/gateway"
	"helpdesk/infra/auditlog"
	"helpdesk/infra/launcher"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/sqlstore/sqlstoretest"
)

const adminPassword = "Gw-Test-R00t!"

var key = []byte("0123456789abcdef0123456789abcdef")

// newGateway starts a gateway on an embedded NATS server, with every
// service unless bare is set.
func newGateway(t *testing.T, bare bool) *httptest.Server {
	t.Helper()
	services := launcher.Services
	if bare {
		services = nil
	}
	return startTestSystem(t, testSystem{services: services}).srv
}

// testSystem says which services startTestSystem runs and how, and holds
// what it started.
type testSystem struct {
	// services to run (the admin "admin" is created with adminPassword
	// when identity is among them); clock, if set, is the services' time;
	// trail, if set, is the gateway's access trail.
	services []string
	clock    func() time.Time
	trail    *auditlog.AccessTrail
	// nc, gw and srv are the NATS connection, the gateway and its HTTP
	// server.
	nc  *nats.Conn
	gw  *gateway.Server
	srv *httptest.Server
}

// startTestSystem runs sys.services (read models in SQLite) and a gateway on
// an embedded NATS server, or on sys.nc when it is set.
func startTestSystem(t *testing.T, sys testSystem) testSystem {
	t.Helper()
	if sys.nc == nil {
		_, sys.nc = natsembed.StartForTest(t)
	}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	if len(sys.services) > 0 {
		parts, err := launcher.StartParts(context.Background(), launcher.PartsConfig{
			Conn: sys.nc, Services: sys.services, DB: sqlstoretest.SQLiteConfig(t), EnsureAdmin: true,
			AdminPassword: adminPassword, Auth: launcher.Auth{AdminPasswordFinal: true}, Logger: logger,
			Registry: prometheus.NewRegistry(), Clock: sys.clock,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = parts.Stop(context.Background()) })
	}
	reg := prometheus.NewRegistry()
	gw, err := gateway.New(gateway.Config{Conn: sys.nc, SigningKey: key, Logger: logger, Registerer: reg, Gatherer: reg, AccessTrail: sys.trail})
	if err != nil {
		t.Fatal(err)
	}
	sys.gw, sys.srv = gw, httptest.NewServer(gw.Handler())
	t.Cleanup(sys.srv.Close)
	return sys
}

type result struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func do(t *testing.T, srv *httptest.Server, method, path, token, body string, headers ...string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, srv.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func login(t *testing.T, srv *httptest.Server, user, password string) string {
	t.Helper()
	r := do(t, srv, "POST", "/api/v1/auth/login", "", fmt.Sprintf(`{"username":%q,"password":%q}`, user, password))
	if r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.raw)
	}
	if r.body["token_type"] != "Bearer" || r.body["expires_in"].(float64) != 900 {
		t.Fatalf("token response %s", r.raw)
	}
	return r.body["access_token"].(string)
}

func token(t *testing.T, sub, role string, exp time.Time, signWith []byte) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": sub, "role": role, "iss": "helpdesk", "exp": exp.Unix(),
	}).SignedString(signWith)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func isProblem(t *testing.T, r result, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("Content-Type %q: %s", ct, r.raw)
	}
	if int(r.body["status"].(float64)) != status || r.body["code"] == "" {
		t.Fatalf("problem body %s", r.raw)
	}
}

func TestAuth(t *testing.T) {
	srv := newGateway(t, false)
	admin := login(t, srv, "admin", adminPassword)
	tests := []struct {
		name   string
		token  string
		status int
	}{
		{"no token", "", 401},
		{"garbage", "not-a-jwt", 401},
		{"expired", token(t, "u1", "admin", time.Now().Add(-time.Minute), key), 401},
		{"signed with another key", token(t, "u1", "admin", time.Now().Add(time.Hour), []byte("another-key-another-key-another!!")), 401},
		{"valid", admin, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, srv, "GET", "/api/v1/me", tt.token, "")
			if tt.status == 200 {
				if r.status != 200 || r.body["username"] != "admin" {
					t.Fatalf("%d %s", r.status, r.raw)
				}
				return
			}
			isProblem(t, r, tt.status)
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatal("no WWW-Authenticate: Bearer")
			}
		})
	}
	t.Run("only admins create accounts", func(t *testing.T) {
		agent := token(t, "u-agent", "agent", time.Now().Add(time.Hour), key)
		isProblem(t, do(t, srv, "POST", "/api/v1/users", agent, `{"username":"x-user","password":"Passw0rd-long!","role":"agent"}`), 403)
	})
	t.Run("wrong password, then too many attempts", func(t *testing.T) {
		for i := 0; i < 10; i++ {
			isProblem(t, do(t, srv, "POST", "/api/v1/auth/login", "", `{"username":"admin","password":"wrong-Passw0rd"}`), 401)
		}
		r := do(t, srv, "POST", "/api/v1/auth/login", "", `{"username":"admin","password":"`+adminPassword+`"}`)
		isProblem(t, r, 429)
		if r.header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
		isProblem(t, do(t, srv, "POST", "/api/v1/auth/login", "", `{"username":"nobody","password":"wrong-Passw0rd"}`), 401)
	})
}

func TestMalformedRequests(t *testing.T) {
	srv := newGateway(t, false)
	admin := login(t, srv, "admin", adminPassword)
	tests := []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		field                    string
	}{
		{"unknown route", "GET", "/api/v1/nothing", "", nil, 404, ""},
		{"unknown top-level route", "GET", "/nothing", "", nil, 404, ""},
		{"unknown field", "POST", "/api/v1/tickets", `{"title":"t","colour":"red"}`, nil, 400, "colour"},
		{"wrong type", "POST", "/api/v1/tickets", `{"title":["t"]}`, nil, 400, "title"},
		{"trailing garbage", "POST", "/api/v1/tickets", `{"title":"t"} {"title":"u"}`, nil, 400, ""},
		{"not JSON", "POST", "/api/v1/tickets", `title=t`, nil, 400, ""},
		{"invalid UTF-8", "POST", "/api/v1/tickets", "{\"title\":\"\xc3\x28\"}", nil, 400, ""},
		{"oversized", "POST", "/api/v1/tickets", `{"title":"` + strings.Repeat("x", 1<<20) + `"}`, nil, 413, ""},
		{"empty body", "POST", "/api/v1/tickets", "", nil, 422, "title"},
		{"201 Chinese characters", "POST", "/api/v1/tickets", `{"title":"` + strings.Repeat("长", 201) + `"}`, nil, 422, "title"},
		{"bad enum", "POST", "/api/v1/tickets", `{"title":"t","channel":"fax"}`, nil, 422, "channel"},
		{"limit out of range", "GET", "/api/v1/tickets?limit=500", "", nil, 422, "limit"},
		{"limit not a number", "GET", "/api/v1/tickets?limit=ten", "", nil, 400, "limit"},
		{"bad If-Match", "POST", "/api/v1/tickets/0190c0de-0000-7000-8000-000000000000/start", `{}`, []string{"If-Match", "v1"}, 400, "If-Match"},
		{"long Idempotency-Key", "POST", "/api/v1/tickets", `{"title":"t"}`, []string{"Idempotency-Key", strings.Repeat("k", 201)}, 400, ""},
		{"invalid UTF-8 in a query", "GET", "/api/v1/tickets?category=%FF%FE", "", nil, 400, "category"},
		{"invalid UTF-8 in the path", "GET", "/api/v1/tickets/%FF", "", nil, 400, ""},
		{"unknown ticket", "GET", "/api/v1/tickets/0190c0de-0000-7000-8000-000000000000", "", nil, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, srv, tt.method, tt.path, admin, tt.body, tt.headers...)
			isProblem(t, r, tt.status)
			if tt.field != "" && !strings.Contains(r.raw, `"field":"`+tt.field+`"`) {
				t.Fatalf("no error for field %q: %s", tt.field, r.raw)
			}
		})
	}
}

func TestOperationalEndpoints(t *testing.T) {
	srv := newGateway(t, false)
	if r := do(t, srv, "GET", "/healthz", "", ""); r.status != 200 {
		t.Fatalf("healthz %d", r.status)
	}
	if r := do(t, srv, "GET", "/readyz", "", ""); r.status != 200 {
		t.Fatalf("readyz with services: %d %s", r.status, r.raw)
	}
	spec := do(t, srv, "GET", "/openapi.yaml", "", "")
	if spec.status != 200 || !strings.Contains(spec.raw, "openapi: 3.0.3") || spec.header.Get("Content-Type") != "application/yaml" {
		t.Fatalf("openapi.yaml: %d %s", spec.status, spec.header)
	}
	do(t, srv, "GET", "/api/v1/tickets", "", "")
	m := do(t, srv, "GET", "/metrics", "", "")
	if !strings.Contains(m.raw, `helpdesk_http_requests_total{code="401",method="GET",route="/api/v1/tickets"} 1`) {
		t.Fatalf("metrics lack the request counter:\n%s", m.raw)
	}
	if !strings.Contains(m.raw, "helpdesk_http_request_duration_seconds_bucket") {
		t.Fatal("metrics lack the latency histogram")
	}
	if id := do(t, srv, "GET", "/healthz", "", "", "X-Request-Id", "abc-123").header.Get("X-Request-Id"); id != "abc-123" {
		t.Fatalf("X-Request-Id not echoed: %q", id)
	}
}

func TestReadyz_without_services(t *testing.T) {
	srv := newGateway(t, true)
	isProblem(t, do(t, srv, "GET", "/readyz", "", ""), 503)
	// Requests that need a service answer 503, not 500.
	isProblem(t, do(t, srv, "GET", "/api/v1/tickets", token(t, "u1", "agent", time.Now().Add(time.Hour), key), ""), 503)
}

func TestSigningKey_is_shared(t *testing.T) {
	_, nc := natsembed.StartForTest(t)
	js, _ := jetstream.New(nc)
	a, err := gateway.SigningKey(context.Background(), js, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := gateway.SigningKey(context.Background(), js, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 32 || string(a) != string(b) {
		t.Fatal("two gateways got different signing keys")
	}
}
