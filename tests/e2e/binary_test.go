package e2e_test

import (
	"bufio"
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
)

// TestBinary_up_prints_urls_and_stops_on_interrupt builds the helpdesk
// binary, runs `helpdesk up` twice on one data dir and checks what a new
// user sees: the URLs, the admin password on the first start only, a working
// gateway, and a clean stop on Ctrl-C (SIGINT).
func TestBinary_up_prints_urls_and_stops_on_interrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "helpdesk")
	build := exec.Command("go", "build", "-o", bin, "helpdesk/infra/cmd/helpdesk")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dataDir := t.TempDir()

	run := func() (firstStart bool) {
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
		defer cmd.Process.Kill()
		lines := make(chan string, 100)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		var url, natsURL string
		var out []string
		deadline := time.After(60 * time.Second)
		for url == "" || natsURL == "" || !strings.Contains(strings.Join(out, "\n"), "Ctrl-C") {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("helpdesk up exited early:\n%s", strings.Join(out, "\n"))
				}
				out = append(out, l)
				if m := regexp.MustCompile(`REST gateway:\s+(http://\S+)`).FindStringSubmatch(l); m != nil {
					url = m[1]
				}
				if m := regexp.MustCompile(`NATS:\s+(nats://\S+)`).FindStringSubmatch(l); m != nil {
					natsURL = m[1]
				}
			case <-deadline:
				t.Fatalf("helpdesk up printed no URLs in time:\n%s", strings.Join(out, "\n"))
			}
		}
		firstStart = strings.Contains(strings.Join(out, "\n"), "password: "+adminPassword)
		newClient(t, url).login("admin", adminPassword).must(http.StatusOK, "GET", "/api/v1/tickets", nil)

		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		for l := range lines {
			out = append(out, l)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helpdesk up did not exit cleanly: %v\n%s", err, strings.Join(out, "\n"))
		}
		if !strings.Contains(strings.Join(out, "\n"), "Stopped.") {
			t.Errorf("no 'Stopped.' after Ctrl-C:\n%s", strings.Join(out, "\n"))
		}
		return firstStart
	}
	if !run() {
		t.Error("first start did not print the admin password")
	}
	if run() {
		t.Error("second start printed the admin password again")
	}
}
