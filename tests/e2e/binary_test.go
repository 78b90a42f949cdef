package e2e_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"helpdesk/infra/sqlstore/sqlstoretest"
)

// changedAdminPassword is the admin's password after the change the first
// login asks for.
const changedAdminPassword = "Root-Passw0rd-2!"

// upProcess is `helpdesk up` running as a child process.
type upProcess struct {
	cmd   *exec.Cmd
	url   string
	lines chan string
	out   []string
}

// startUp runs the binary on dataDir and waits for its start-up banner.
func startUp(t *testing.T, bin, dataDir string) *upProcess {
	t.Helper()
	cmd := exec.Command(bin, "up", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--nats-listen", "127.0.0.1:-1", "--log-level", "error")
	cmd.Env = append(os.Environ(), "HELPDESK_ADMIN_PASSWORD="+adminPassword)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	p := &upProcess{cmd: cmd, lines: make(chan string, 100)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	var natsURL string
	deadline := time.After(60 * time.Second)
	for p.url == "" || natsURL == "" || !strings.Contains(p.output(), "Ctrl-C") {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("helpdesk up exited early:\n%s", p.output())
			}
			p.out = append(p.out, l)
			if m := regexp.MustCompile(`REST gateway:\s+(http://\S+)`).FindStringSubmatch(l); m != nil {
				p.url = m[1]
			}
			if m := regexp.MustCompile(`NATS:\s+(nats://\S+)`).FindStringSubmatch(l); m != nil {
				natsURL = m[1]
			}
		case <-deadline:
			t.Fatalf("helpdesk up printed no URLs in time:\n%s", p.output())
		}
	}
	return p
}

func (p *upProcess) output() string { return strings.Join(p.out, "\n") }

// interrupt sends Ctrl-C and waits for a clean exit.
func (p *upProcess) interrupt(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for l := range p.lines {
		p.out = append(p.out, l)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("helpdesk up did not exit cleanly: %v\n%s", err, p.output())
	}
	if !strings.Contains(p.output(), "Stopped.") {
		t.Errorf("no 'Stopped.' after Ctrl-C:\n%s", p.output())
	}
}

func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "helpdesk")
	if out, err := exec.Command("go", "build", "-o", bin, "helpdesk/infra/cmd/helpdesk").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBinary_up_prints_urls_and_stops_on_interrupt runs `helpdesk up` twice
// on one data dir and checks what a new user sees: the URLs, that the
// admin account was created with the given password (never the password
// itself) on the first start only, a working gateway, and a clean stop on
// Ctrl-C (SIGINT).
func TestBinary_up_prints_urls_and_stops_on_interrupt(t *testing.T) {
	bin, dataDir := buildBinary(t), t.TempDir()
	first := startUp(t, bin, dataDir)
	if out := first.output(); !strings.Contains(out, "created with the password of HELPDESK_ADMIN_PASSWORD") || strings.Contains(out, adminPassword) {
		t.Errorf("first start: want the admin account's creation told, without the given password:\n%s", out)
	}
	// The password given in HELPDESK_ADMIN_PASSWORD must be changed too.
	newClient(t, first.url).firstLogin("admin", adminPassword, changedAdminPassword).must(http.StatusOK, "GET", "/api/v1/tickets", nil)
	first.interrupt(t)

	second := startUp(t, bin, dataDir)
	if strings.Contains(second.output(), "created") {
		t.Errorf("second start printed the admin password again:\n%s", second.output())
	}
	newClient(t, second.url).login("admin", changedAdminPassword).must(http.StatusOK, "GET", "/api/v1/tickets", nil)
	second.interrupt(t)
}

// TestBinary_acknowledged_writes_survive_a_crash kills `helpdesk up` with
// SIGKILL right after a burst of acknowledged creations and checks, after a
// restart, that every ticket answered with 201 is there, in the ticket and
// in the list read model.
func TestBinary_acknowledged_writes_survive_a_crash(t *testing.T) {
	bin, dataDir := buildBinary(t), t.TempDir()
	p := startUp(t, bin, dataDir)
	admin := newClient(t, p.url).firstLogin("admin", adminPassword, changedAdminPassword)
	var ids []string
	for i := 0; i < 50; i++ {
		r := admin.must(http.StatusCreated, "POST", "/api/v1/tickets", map[string]any{"title": fmt.Sprintf("崩溃前的工单 %d", i)})
		ids = append(ids, r.str("id"))
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()

	again := startUp(t, bin, dataDir)
	admin = newClient(t, again.url).login("admin", changedAdminPassword)
	for _, id := range ids {
		admin.must(http.StatusOK, "GET", "/api/v1/tickets/"+id, nil)
	}
	eventually(t, 5*time.Second, "every ticket in the list", func() bool {
		l := admin.must(http.StatusOK, "GET", "/api/v1/tickets?limit=200", nil)
		return len(l.Body["items"].([]any)) == len(ids)
	})
	again.interrupt(t)
}

// TestBinary_serve_and_gateway_on_external_NATS runs `helpdesk serve
// identity`, `helpdesk serve ticket` (read model in PostgreSQL) and
// `helpdesk gateway` as three processes against the machine's NATS server,
// and drives a ticket through them.
func TestBinary_serve_and_gateway_on_external_NATS(t *testing.T) {
	reserveExternalNATS(t)
	bin := buildBinary(t)
	start := func(wantLine string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "HELPDESK_ADMIN_PASSWORD="+adminPassword, "HELPDESK_DATA_DIR="+t.TempDir())
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGINT); _ = cmd.Wait() })
		found := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if strings.Contains(sc.Text(), wantLine) {
					found <- sc.Text()
				}
			}
			close(found)
		}()
		select {
		case l, ok := <-found:
			if !ok {
				t.Fatalf("%v exited early", args)
			}
			return l
		case <-time.After(60 * time.Second):
			t.Fatalf("%v did not start", args)
		}
		return ""
	}
	start("is running", "serve", "identity", "--nats-url", externalNATS, "--ensure-admin", "--log-level", "error")
	ticketLine := start("is running", "serve", "ticket", "--nats-url", externalNATS, "--read-store", sqlstoretest.PostgresDSN(t),
		"--metrics-listen", "127.0.0.1:0", "--log-level", "error")
	metricsURL := regexp.MustCompile(`metrics at (http://[^;\s,]+)`).FindStringSubmatch(ticketLine)[1]
	start("is running", "serve", "knowledge", "--nats-url", externalNATS, "--log-level", "error")
	start("is running", "serve", "callrecord", "--nats-url", externalNATS, "--db-driver", "postgres", "--db-dsn", sqlstoretest.PostgresDSN(t), "--log-level", "error")
	start("is running", "serve", "satisfaction", "--nats-url", externalNATS, "--db-driver", "postgres", "--db-dsn", sqlstoretest.PostgresDSN(t), "--log-level", "error")
	start("is running", "serve", "customization", "--nats-url", externalNATS, "--log-level", "error")
	line := start("REST gateway at", "gateway", "--nats-url", externalNATS, "--listen", "127.0.0.1:0", "--log-level", "error")
	url := regexp.MustCompile(`REST gateway at (http://[^;\s,]+)`).FindStringSubmatch(line)[1]

	admin := newClient(t, url).firstLogin("admin", adminPassword, changedAdminPassword)
	admin.must(http.StatusOK, "GET", "/readyz", nil)
	created := admin.must(http.StatusCreated, "POST", "/api/v1/tickets", map[string]any{"title": "三个进程"})
	admin.must(http.StatusOK, "POST", "/api/v1/tickets/"+created.str("id")+"/resolve", map[string]any{"resolution": "完成"},
		"If-Match", created.Header.Get("ETag"))
	eventually(t, 2*time.Second, "resolved ticket in the list", func() bool {
		l := admin.must(http.StatusOK, "GET", "/api/v1/tickets?status=resolved", nil)
		return len(l.Body["items"].([]any)) == 1
	})
	// The ticket service's own metrics show its projection.
	res, err := http.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `helpdesk_projection_position{projection="ticket_list"}`) {
		t.Errorf("GET %s = %d without the ticket_list projection's position", metricsURL, res.StatusCode)
	}
	// The knowledge service, a process of its own, drafts an article from it.
	eventually(t, 10*time.Second, "a draft from the resolved ticket", func() bool {
		l := admin.must(http.StatusOK, "GET", "/api/v1/kb/articles?source_ticket="+created.str("id"), nil)
		return len(items(l)) == 1
	})
}
