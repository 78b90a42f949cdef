package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"helpdesk/infra/natsembed"
	"helpdesk/infra/sqlstore"
)

// TestReadStore_never_echoes_a_keyword_DSN: a PostgreSQL DSN in the
// keyword/value form (libpq's other syntax, accepted by pgx) is refused,
// and the refusal must not repeat the password it starts with.
func TestReadStore_never_echoes_a_keyword_DSN(t *testing.T) {
	for _, value := range []string{
		"password=hunter2 host=db user=helpdesk dbname=helpdesk",
		"hunter2hunter2",
	} {
		c := common{}
		_, err := c.readStore(value, "/data/readmodels.db")
		if err == nil {
			t.Fatalf("readStore(%q) accepted", value)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("readStore(%q) error repeats the secret: %v", value, err)
		}
	}
}

// TestReadStore_unix_socket_URL: pgx accepts a URL without a host
// that names the socket directory in its query; --db-dsn took it, and
// --read-store replaces --db-dsn.
func TestReadStore_unix_socket_URL(t *testing.T) {
	const v = "postgres:///helpdesk?host=/var/run/postgresql"
	c := common{}
	got, err := c.readStore(v, "/data/readmodels.db")
	if err != nil || got != (sqlstore.Config{Driver: sqlstore.DriverPostgres, DSN: v}) {
		t.Errorf("readStore(%q) = %+v, %v; want the postgres driver with that URL", v, got, err)
	}
	old := common{dbDriver: "postgres", dbDSN: v}
	if got, err := old.readStore("", "/data/readmodels.db"); err != nil || got.DSN != v {
		t.Errorf("older flags: %+v, %v", got, err)
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServe_identity_keeps_a_given_admin_password_out_of_stdout:
// deploy/systemd/helpdesk.env says setting HELPDESK_ADMIN_PASSWORD "keeps
// the password out of the journal" (stdout of the unit); `serve identity
// --ensure-admin` must then print no password.
func TestServe_identity_keeps_a_given_admin_password_out_of_stdout(t *testing.T) {
	srv, _ := natsembed.StartForTest(t)
	const given = "Given-Secret-Pw-4711-xyz"
	t.Setenv("HELPDESK_ADMIN_PASSWORD", given)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, []string{"identity", "--ensure-admin", "--nats-url", srv.ClientURL(), "--data-dir", t.TempDir()}, &out, io.Discard)
	}()
	for !strings.Contains(out.String(), "Ctrl-C") {
		select {
		case err := <-done:
			t.Fatalf("serve ended early: %v; stdout %q", err, out.String())
		case <-ctx.Done():
			t.Fatalf("serve did not start in time; stdout %q", out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Logf("serve: %v", err)
	}
	if strings.Contains(out.String(), given) {
		t.Errorf("stdout (the journal under systemd) shows the given admin password:\n%s", out.String())
	}
}

// TestServe_identity_never_loses_a_generated_admin_password: when
// --metrics-listen cannot listen, `serve identity --ensure-admin` fails
// after the parts started; the account "admin" it created with a generated
// password must not be left with a password nobody was shown.
func TestServe_identity_never_loses_a_generated_admin_password(t *testing.T) {
	srv, _ := natsembed.StartForTest(t)
	t.Setenv("HELPDESK_ADMIN_PASSWORD", "")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dataDir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var first bytes.Buffer
	err = serve(ctx, []string{"identity", "--ensure-admin", "--nats-url", srv.ClientURL(), "--data-dir", dataDir,
		"--metrics-listen", busy.Addr().String()}, &first, io.Discard)
	t.Logf("first start (metrics port busy): %v; stdout %q", err, first.String())
	if err == nil {
		t.Fatal("serve started on a busy metrics port")
	}
	// Second start, port free: the admin exists by now or is created now.
	busy.Close()
	var second syncBuffer
	done := make(chan error, 1)
	sctx, scancel := context.WithCancel(ctx)
	go func() {
		done <- serve(sctx, []string{"identity", "--ensure-admin", "--nats-url", srv.ClientURL(), "--data-dir", dataDir}, &second, io.Discard)
	}()
	for !strings.Contains(second.String(), "Ctrl-C") {
		select {
		case err := <-done:
			t.Fatalf("second start ended early: %v", err)
		case <-ctx.Done():
			t.Fatal("second start did not start in time")
		case <-time.After(20 * time.Millisecond):
		}
	}
	scancel()
	<-done
	if !strings.Contains(first.String()+second.String(), "password:") {
		t.Errorf("admin was created with a generated password that no start printed:\nfirst: %q\nsecond: %q", first.String(), second.String())
	}
}
