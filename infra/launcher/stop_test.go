package launcher_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/launcher"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/rpc"
)

// TestSystem_Stop_settles_projections: tickets opened just before
// Stop are in the ticket projection when Stop returns, Stop reports no
// error, and it does not take long.
func TestSystem_Stop_settles_projections(t *testing.T) {
	sys, err := launcher.Up(context.Background(), launcher.UpConfig{
		DataDir: t.TempDir(), Listen: "127.0.0.1:0", NATSListen: "127.0.0.1:-1", AdminPassword: "Review-Test-R00t!",
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := rpc.WithCaller(context.Background(), rpc.Caller{ID: "cust-1", Role: "customer"})
	var last uint64
	for range 50 {
		tk, err := sys.Ticket.App.Commands.Open.Handle(ctx, ticketapi.OpenTicket{Title: "settle"})
		if err != nil {
			t.Fatal(err)
		}
		last = tk.Version
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	err = sys.Stop(stopCtx)
	took := time.Since(start)
	t.Logf("Stop took %s", took)
	if err != nil {
		t.Errorf("Stop: %v", err)
	}
	if got := sys.Ticket.Projection.Position(); got < last {
		t.Errorf("after Stop the ticket projection is at %d, the last ticket at %d", got, last)
	}
	if took > 5*time.Second {
		t.Errorf("Stop took %s", took)
	}
}

// TestSystem_Stop_with_an_ended_context: a Stop whose context has
// already ended (a caller out of time) still stops everything and does
// not wait for the projections.
func TestSystem_Stop_with_an_ended_context(t *testing.T) {
	sys, err := launcher.Up(context.Background(), launcher.UpConfig{
		DataDir: t.TempDir(), Listen: "127.0.0.1:0", NATSListen: "127.0.0.1:-1", AdminPassword: "Review-Test-R00t!",
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	err = sys.Stop(ctx)
	t.Logf("Stop(ended ctx) took %s: %v", time.Since(start), err)
	if time.Since(start) > 5*time.Second {
		t.Errorf("Stop with an ended context took %s", time.Since(start))
	}
	if _, err := http.Get(sys.URL + "/healthz"); err == nil {
		t.Errorf("the gateway still answers after Stop")
	}
}

// TestOpsServer_bad_requests_are_problems: the common rule for bad
// input is application/problem+json 4xx; the ops server answers unknown
// paths and methods.
func TestOpsServer_bad_requests_are_problems(t *testing.T) {
	_, nc := natsembed.StartForTest(t)
	ops, err := launcher.StartOps("127.0.0.1:0", nc, launcher.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer ops.Stop(context.Background())
	for _, tt := range []struct{ method, path string }{
		{http.MethodGet, "/nope"},
		{http.MethodPost, "/metrics"},
		{http.MethodDelete, "/readyz"},
	} {
		req, err := http.NewRequest(tt.method, ops.URL+tt.path, strings.NewReader(""))
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if ct := res.Header.Get("Content-Type"); res.StatusCode < 400 || res.StatusCode >= 500 || ct != "application/problem+json" {
			t.Errorf("%s %s = %d %s, want a 4xx application/problem+json", tt.method, tt.path, res.StatusCode, ct)
		}
	}
}

// TestSystem_Stop_with_a_stuck_projection: README (Crash safety)
// says `helpdesk up` lets the projections catch up for at most 10 s, the
// whole stop takes at most 30 s, "and the process exits 0"; `up` exits 1
// when Stop returns an error. A projection that cannot write (its database
// locked, or PostgreSQL down: "the projection waits and retries") must not
// turn a clean stop into an error.
func TestSystem_Stop_with_a_stuck_projection(t *testing.T) {
	dir := t.TempDir()
	sys, err := launcher.Up(context.Background(), launcher.UpConfig{
		DataDir: dir, Listen: "127.0.0.1:0", NATSListen: "127.0.0.1:-1", AdminPassword: "Review-Test-R00t!",
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "readmodels.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	ctx := rpc.WithCaller(context.Background(), rpc.Caller{ID: "cust-1", Role: "customer"})
	tk, err := sys.Ticket.App.Commands.Open.Handle(ctx, ticketapi.OpenTicket{Title: "stuck"})
	if err != nil {
		t.Fatal(err)
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	err = sys.Stop(stopCtx)
	t.Logf("Stop took %s and returned %v; the ticket projection is at %d, the ticket at %d",
		time.Since(start), err, sys.Ticket.Projection.Position(), tk.Version)
	_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
	if err != nil {
		t.Errorf("Stop with a projection that cannot write: %v", err)
	}
}
