package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/launcher"
	"helpdesk/infra/rpc"
)

// TestProjections_status_and_rebuild runs the CLI against a running system:
// it lists the projection, rebuilds it from the events with progress and a
// summary, and the read model holds the same tickets afterwards.
func TestProjections_status_and_rebuild(t *testing.T) {
	sys, err := launcher.Up(context.Background(), launcher.UpConfig{
		DataDir: t.TempDir(), Listen: "127.0.0.1:0", NATSListen: "127.0.0.1:-1", AdminPassword: "Cli-Test-R00t!",
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sys.Stop(context.Background()) })
	ctx := rpc.WithCaller(context.Background(), rpc.Caller{ID: "cust-1", Role: "customer"})
	var last uint64
	for i := 0; i < 30; i++ {
		tk, err := sys.Ticket.App.Commands.Open.Handle(ctx, ticketapi.OpenTicket{Title: "重建测试"})
		if err != nil {
			t.Fatal(err)
		}
		last = tk.Version
	}
	wait, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sys.Ticket.Projection.WaitFor(wait, last); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	if err := run([]string{"projections", "status", "--nats-url", sys.NATSURL}, &out, io.Discard); err != nil {
		t.Fatalf("status: %v\n%s", err, out.String())
	}
	for _, want := range []string{"ticket_list", "EVENTS_TICKET", "kb_articles_index", "kb_questions_index", "kb_catalog"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("status output lacks %s:\n%s", want, out.String())
		}
	}

	out.Reset()
	if err := run([]string{"projections", "rebuild", "ticket_list", "--nats-url", sys.NATSURL}, &out, io.Discard); err != nil {
		t.Fatalf("rebuild: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "rebuilding ticket_list:") || !strings.Contains(out.String(), "rebuilt ticket_list: 30 events applied") {
		t.Fatalf("rebuild output:\n%s", out.String())
	}
	page, err := sys.Ticket.App.Queries.List.Handle(ctx, ticketapi.ListTickets{Limit: 100})
	if err != nil || len(page.Items) != 30 {
		t.Fatalf("after rebuild the list has %d tickets (%v), want 30", len(page.Items), err)
	}

	// The knowledge service's questions index is a bleve index kept as a
	// projection of the ticket stream: it rebuilds the same way.
	out.Reset()
	if err := run([]string{"projections", "rebuild", "kb_questions_index", "--nats-url", sys.NATSURL}, &out, io.Discard); err != nil {
		t.Fatalf("rebuild: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "rebuilt kb_questions_index: 30 events applied") {
		t.Fatalf("rebuild output:\n%s", out.String())
	}

	if err := run([]string{"projections", "rebuild", "no_such_thing", "--nats-url", sys.NATSURL}, io.Discard, io.Discard); err == nil {
		t.Fatal("rebuilding an unknown projection succeeded")
	}
}

func TestRun_usage(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"version"}, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "helpdesk ") {
		t.Fatalf("version: %v %q", err, out.String())
	}
	if err := run(nil, io.Discard, io.Discard); err == nil {
		t.Fatal("no command accepted")
	}
	if err := run([]string{"fly"}, io.Discard, io.Discard); err == nil {
		t.Fatal("unknown command accepted")
	}
	if err := run([]string{"serve"}, io.Discard, io.Discard); err == nil {
		t.Fatal("serve without a service accepted")
	}
}

// TestRun_refuses_bad_settings_at_start_up: a retention below ten working
// days or a malformed holidays file stops `helpdesk up` before anything
// starts, with a message naming the setting.
func TestRun_refuses_bad_settings_at_start_up(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "holidays.txt")
	if err := os.WriteFile(bad, []byte("2027-01-01 holiday\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"up", "--data-dir", dir, "--recording-retention-days", "7"}, "at least 10 working days"},
		{[]string{"up", "--data-dir", dir, "--listen", "127.0.0.1:0", "--nats-listen", "127.0.0.1:-1"}, "holidays.txt: line 1"},
	} {
		err := run(tt.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run %v = %v, want an error with %q", tt.args, err, tt.want)
		}
	}
}
