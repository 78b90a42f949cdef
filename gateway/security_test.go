package gateway_test

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/gateway"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/tlstest"
)

// newEdgeGateway starts a gateway with the edge settings on an embedded
// NATS server without services, and returns it served over HTTP and the
// NATS connection (for tests that answer as a service).
func newEdgeGateway(t *testing.T, edge gateway.Edge, bodyLimit int64) (*httptest.Server, *nats.Conn) {
	t.Helper()
	_, nc := natsembed.StartForTest(t)
	reg := prometheus.NewRegistry()
	gw, err := gateway.New(gateway.Config{Conn: nc, SigningKey: key, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Registerer: reg, Gatherer: reg, Edge: edge, BodyLimit: bodyLimit, RequestTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw.Handler())
	t.Cleanup(srv.Close)
	return srv, nc
}

func TestGateway_TLS(t *testing.T) {
	t.Parallel()
	ca := tlstest.NewCA(t)
	cert, certKey := ca.Server(t, "gateway")
	_, nc := natsembed.StartForTest(t)
	reg := prometheus.NewRegistry()
	gw, err := gateway.New(gateway.Config{Conn: nc, SigningKey: key, Registerer: reg, Gatherer: reg,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Edge: gateway.Edge{TLSCertFile: cert, TLSKeyFile: certKey}})
	if err != nil {
		t.Fatal(err)
	}
	if !gw.TLS() {
		t.Fatal("TLS() is false with a certificate")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gw.Serve(ln) }()
	t.Cleanup(func() { _ = gw.Shutdown(context.Background()) })
	url := "https://" + ln.Addr().String() + "/healthz"

	tests := []struct {
		name    string
		version uint16
		ok      bool
	}{
		{"TLS 1.1 refused", tls.VersionTLS11, false},
		{"TLS 1.2 accepted", tls.VersionTLS12, true},
		{"TLS 1.3 accepted", tls.VersionTLS13, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
				RootCAs: ca.Pool, MinVersion: tt.version, MaxVersion: tt.version}}}
			resp, err := client.Get(url)
			if !tt.ok {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("TLS %x accepted", tt.version)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 || resp.TLS.Version != tt.version {
				t.Fatalf("status %d over TLS %x", resp.StatusCode, resp.TLS.Version)
			}
			if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
				t.Fatalf("HSTS over TLS = %q", got)
			}
		})
	}

	t.Run("plain HTTP gateway sends no HSTS", func(t *testing.T) {
		srv, _ := newEdgeGateway(t, gateway.Edge{}, 0)
		r := do(t, srv, "GET", "/healthz", "", "")
		if r.status != 200 || r.header.Get("Strict-Transport-Security") != "" {
			t.Fatalf("status %d, HSTS %q", r.status, r.header.Get("Strict-Transport-Security"))
		}
	})
}

func TestNew_refuses_bad_TLS_settings(t *testing.T) {
	t.Parallel()
	ca := tlstest.NewCA(t)
	cert, certKey := ca.Server(t, "gateway")
	tests := []struct {
		name string
		edge gateway.Edge
		want string
	}{
		{"certificate without key", gateway.Edge{TLSCertFile: cert}, "both a TLS certificate file and its key file, or neither"},
		{"key without certificate", gateway.Edge{TLSKeyFile: certKey}, "both a TLS certificate file and its key file, or neither"},
		{"missing files", gateway.Edge{TLSCertFile: cert + ".missing", TLSKeyFile: certKey}, "no such file"},
		{"key of another certificate", gateway.Edge{TLSCertFile: ca.File, TLSKeyFile: certKey}, "TLS certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gateway.New(gateway.Config{Conn: &nats.Conn{}, SigningKey: key, Edge: tt.edge, Registerer: prometheus.NewRegistry()})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestGateway_security_headers(t *testing.T) {
	t.Parallel()
	srv, _ := newEdgeGateway(t, gateway.Edge{}, 0)
	tests := []struct {
		name, path string
		status     int
		noStore    bool
	}{
		{"health", "/healthz", 200, false},
		{"OpenAPI document", "/openapi.yaml", 200, false},
		{"API error", "/api/v1/tickets", 401, true},
		{"unknown path", "/nowhere", 404, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, srv, "GET", tt.path, "", "")
			if r.status != tt.status {
				t.Fatalf("status %d, want %d", r.status, tt.status)
			}
			hasSecurityHeaders(t, r)
			if got := r.header.Get("Cache-Control") == "no-store"; got != tt.noStore {
				t.Errorf("Cache-Control %q, want no-store: %v", r.header.Get("Cache-Control"), tt.noStore)
			}
		})
	}
}

// hasSecurityHeaders checks the headers every response carries, errors
// included.
func hasSecurityHeaders(t *testing.T, r result) {
	t.Helper()
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
	}
	for h, v := range want {
		if got := r.header.Get(h); got != v {
			t.Errorf("%d answer: %s = %q, want %q", r.status, h, got, v)
		}
	}
}

// TestGateway_security_headers_on_server_errors: a service that does not
// answer is a 5xx problem, with the security headers all the same.
func TestGateway_security_headers_on_server_errors(t *testing.T) {
	t.Parallel()
	srv, _ := newEdgeGateway(t, gateway.Edge{}, 0)
	r := do(t, srv, "GET", "/api/v1/me", token(t, "u1", "customer", time.Now().Add(time.Hour), key), "") // no identity service
	if r.status < 500 {
		t.Fatalf("status %d without services, want 5xx: %s", r.status, r.raw)
	}
	hasSecurityHeaders(t, r)
}

func TestGateway_CORS(t *testing.T) {
	t.Parallel()
	allowed := "https://desk.example.com"
	srv, _ := newEdgeGateway(t, gateway.Edge{CORSOrigins: []string{allowed, "https://b.example"}}, 0)
	closed, _ := newEdgeGateway(t, gateway.Edge{}, 0)
	preflight := []string{"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type,if-match"}
	tests := []struct {
		name                 string
		srv                  *httptest.Server
		method, path, origin string
		headers              []string
		status               int
		allowOrigin          string
		preflightAnswer      bool
	}{
		{"preflight from an allowed origin", srv, "OPTIONS", "/api/v1/tickets", allowed, preflight, 204, allowed, true},
		{"request from an allowed origin", srv, "GET", "/api/v1/tickets", allowed, nil, 401, allowed, false},
		{"preflight from another origin", srv, "OPTIONS", "/api/v1/tickets", "https://evil.example", preflight, 0, "", false},
		{"request from another origin", srv, "GET", "/api/v1/tickets", "https://evil.example", nil, 401, "", false},
		{"request without origin", srv, "GET", "/healthz", "", nil, 200, "", false},
		{"no allow-list: no CORS", closed, "OPTIONS", "/api/v1/tickets", allowed, preflight, 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			headers := append([]string{"Origin", tt.origin}, tt.headers...)
			r := do(t, tt.srv, tt.method, tt.path, "", "", headers...)
			if tt.status != 0 && r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.raw)
			}
			if got := r.header.Get("Access-Control-Allow-Origin"); got != tt.allowOrigin {
				t.Fatalf("Access-Control-Allow-Origin %q, want %q", got, tt.allowOrigin)
			}
			methods, allowHeaders := r.header.Get("Access-Control-Allow-Methods"), r.header.Get("Access-Control-Allow-Headers")
			if tt.preflightAnswer != (methods != "") {
				t.Fatalf("Access-Control-Allow-Methods %q", methods)
			}
			if tt.preflightAnswer {
				for _, h := range []string{"Authorization", "Content-Type", "If-Match", "Idempotency-Key", "X-Request-Id"} {
					if !strings.Contains(allowHeaders, h) {
						t.Errorf("Access-Control-Allow-Headers %q lacks %s", allowHeaders, h)
					}
				}
				if !strings.Contains(methods, "POST") || !strings.Contains(methods, "DELETE") {
					t.Errorf("Access-Control-Allow-Methods %q", methods)
				}
			}
			if tt.allowOrigin != "" && !tt.preflightAnswer {
				if got := r.header.Get("Access-Control-Expose-Headers"); got != "ETag, Location, Retry-After, X-Request-Id" {
					t.Errorf("Access-Control-Expose-Headers %q", got)
				}
			}
			if tt.allowOrigin == "" && r.header.Get("Access-Control-Allow-Methods")+r.header.Get("Access-Control-Expose-Headers") != "" {
				t.Errorf("CORS headers for a refused origin: %v", r.header)
			}
		})
	}
}

func TestGateway_rate_limit_per_address(t *testing.T) {
	t.Parallel()
	limit := gateway.RateLimit{PerSecond: 0.5, Burst: 2}
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	tests := []struct {
		name string
		edge gateway.Edge
		// clients send one request each, in order, from the address in
		// X-Forwarded-For; want is the status each gets.
		clients []string
		want    []int
	}{
		{"burst then 429", gateway.Edge{RateLimitIP: limit, RateLimitLoopback: true},
			[]string{"", "", ""}, []int{200, 200, 429}},
		{"loopback exempt by default", gateway.Edge{RateLimitIP: limit},
			[]string{"", "", "", "", ""}, []int{200, 200, 200, 200, 200}},
		{"forwarded addresses ignored from an untrusted proxy", gateway.Edge{RateLimitIP: limit, RateLimitLoopback: true},
			[]string{"203.0.113.1", "203.0.113.2", "203.0.113.3"}, []int{200, 200, 429}},
		{"forwarded addresses from a trusted proxy", gateway.Edge{RateLimitIP: limit, TrustedProxies: trusted},
			[]string{"203.0.113.1", "203.0.113.1", "203.0.113.1", "203.0.113.2", "198.51.100.7, 203.0.113.2"}, []int{200, 200, 429, 200, 200}},
		{"an IPv6 client is its /64", gateway.Edge{RateLimitIP: limit, TrustedProxies: trusted},
			[]string{"2001:db8:0:1::1", "2001:db8:0:1::2", "2001:db8:0:1:ffff::3", "2001:db8:0:2::1"}, []int{200, 200, 429, 200}},
		{"off", gateway.Edge{RateLimitIP: gateway.RateLimit{Off: true}, RateLimitLoopback: true},
			[]string{"", "", "", ""}, []int{200, 200, 200, 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := newEdgeGateway(t, tt.edge, 0)
			for i, xff := range tt.clients {
				var headers []string
				if xff != "" {
					headers = []string{"X-Forwarded-For", xff}
				}
				r := do(t, srv, "GET", "/healthz", "", "", headers...)
				if r.status != tt.want[i] {
					t.Fatalf("request %d from %q: status %d, want %d: %s", i, xff, r.status, tt.want[i], r.raw)
				}
				if r.status == 429 {
					isProblem(t, r, 429)
					if r.body["code"] != "too_many_requests" {
						t.Fatalf("429 with code %v", r.body["code"])
					}
					retryAfter(t, r, 2) // a token every 2s
					hasSecurityHeaders(t, r)
				}
			}
		})
	}
}

func TestGateway_rate_limit_per_account(t *testing.T) {
	t.Parallel()
	limit := gateway.RateLimit{PerSecond: 0.2, Burst: 2}
	alice := token(t, "alice", "agent", time.Now().Add(time.Hour), key)
	bob := token(t, "bob", "agent", time.Now().Add(time.Hour), key)
	tests := []struct {
		name    string
		edge    gateway.Edge
		tokens  []string
		limited []bool
	}{
		{"per account", gateway.Edge{RateLimitIP: gateway.RateLimit{Off: true}, RateLimitAccount: limit, RateLimitLoopback: true},
			[]string{alice, alice, alice, bob, bob, bob, alice}, []bool{false, false, true, false, false, true, true}},
		{"loopback exempt by default", gateway.Edge{RateLimitAccount: limit},
			[]string{alice, alice, alice, alice}, []bool{false, false, false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := newEdgeGateway(t, tt.edge, 0)
			for i, tok := range tt.tokens {
				r := do(t, srv, "GET", "/api/v1/me", tok, "")
				if (r.status == 429) != tt.limited[i] {
					t.Fatalf("request %d: status %d, want limited %v: %s", i, r.status, tt.limited[i], r.raw)
				}
				if tt.limited[i] {
					retryAfter(t, r, 5) // a token every 5s
				}
			}
		})
	}
}

func TestGateway_client_address_from_X_Real_IP(t *testing.T) {
	t.Parallel()
	limit := gateway.RateLimit{PerSecond: 0.5, Burst: 1}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		realIPs []string
		want    []int
	}{
		{"from a trusted proxy", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
			[]string{"203.0.113.9", "203.0.113.9", "203.0.113.10"}, []int{200, 429, 200}},
		{"from an untrusted proxy", nil, []string{"203.0.113.9", "203.0.113.10"}, []int{200, 429}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := newEdgeGateway(t, gateway.Edge{RateLimitIP: limit, RateLimitLoopback: true, TrustedProxies: tt.trusted}, 0)
			for i, ip := range tt.realIPs {
				if r := do(t, srv, "GET", "/healthz", "", "", "X-Real-IP", ip); r.status != tt.want[i] {
					t.Fatalf("request %d as %s: status %d, want %d", i, ip, r.status, tt.want[i])
				}
			}
		})
	}
}

// retryAfter checks that Retry-After is whole seconds, at least 1 and at
// most max (the time a bucket takes to earn a token).
func retryAfter(t *testing.T, r result, max int) {
	t.Helper()
	n, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || n < 1 || n > max {
		t.Fatalf("Retry-After %q, want 1 to %d seconds", r.header.Get("Retry-After"), max)
	}
}

func TestGateway_body_over_the_limit_is_413(t *testing.T) {
	t.Parallel()
	srv, _ := newEdgeGateway(t, gateway.Edge{}, 1024)
	r := do(t, srv, "POST", "/api/v1/auth/login", "", `{"username":"admin","password":"`+strings.Repeat("x", 2048)+`"}`)
	isProblem(t, r, 413)
	if r.body["code"] != "too_large" {
		t.Fatalf("code %v: %s", r.body["code"], r.raw)
	}
	hasSecurityHeaders(t, r)
}

func TestParseRateLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want gateway.RateLimit
		bad  bool
	}{
		{"50", gateway.RateLimit{PerSecond: 50, Burst: 100}, false},
		{"0.5", gateway.RateLimit{PerSecond: 0.5, Burst: 1}, false},
		{"20:5", gateway.RateLimit{PerSecond: 20, Burst: 5}, false},
		{"off", gateway.RateLimit{Off: true}, false},
		{"0", gateway.RateLimit{}, true},
		{"-3", gateway.RateLimit{}, true},
		{"ten", gateway.RateLimit{}, true},
		{"10:0", gateway.RateLimit{}, true},
		{"10:x", gateway.RateLimit{}, true},
		{"NaN", gateway.RateLimit{}, true},
	}
	for _, tt := range tests {
		got, err := gateway.ParseRateLimit(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("ParseRateLimit(%q) = %+v, %v", tt.in, got, err)
		}
		if err == nil {
			if again, _ := gateway.ParseRateLimit(got.String()); again != got {
				t.Errorf("String %q does not parse back: %+v", got.String(), again)
			}
		}
	}
}
