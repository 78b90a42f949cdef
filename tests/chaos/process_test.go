// Package chaos_test runs `helpdesk up` as a child process and treats it
// roughly: it kills it with SIGKILL under load and stops it with SIGTERM in
// the middle of requests, then checks the event log and the read models.
package chaos_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"helpdesk/infra/telemetry/logtest"
)

// adminPassword is the admin's first password; the first login changes it
// to changedPassword.
const (
	adminPassword   = "Root-Passw0rd!"
	changedPassword = "Root-Passw0rd-2!"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// TestMain runs the tests and removes the binary they built.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// helpdeskBinary builds the helpdesk binary once for the whole package.
func helpdeskBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the helpdesk binary")
	}
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "helpdesk-chaos-"); buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(buildDir, "helpdesk"), "helpdesk/infra/cmd/helpdesk").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "helpdesk")
}

// proc is one run of `helpdesk up`.
type proc struct {
	cmd     *exec.Cmd
	url     string // the REST gateway, http://127.0.0.1:<port>
	natsURL string // the embedded NATS server's client URL
	out     *logtest.Buffer
	exited  chan struct{} // closed when the process has exited
	waitErr error         // the exit status, once exited is closed
}

var (
	gatewayLine = regexp.MustCompile(`REST gateway:\s+(http://\S+)`)
	natsLine    = regexp.MustCompile(`NATS:\s+(nats://\S+)`)
)

// startUp runs `helpdesk up` on dataDir with loopback ports chosen by the
// OS and returns once its banner is out and /readyz answers 200.
func startUp(t *testing.T, bin, dataDir string) *proc {
	t.Helper()
	cmd := exec.Command(bin, "up", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--nats-listen", "127.0.0.1:-1",
		"--log-level", "error", "--rate-limit-account", "off")
	cmd.Env = append(os.Environ(), "HELPDESK_ADMIN_PASSWORD="+adminPassword)
	p := &proc{cmd: cmd, out: &logtest.Buffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start helpdesk up: %v", err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		text := p.out.String()
		g, n := gatewayLine.FindStringSubmatch(text), natsLine.FindStringSubmatch(text)
		if g != nil && n != nil && bytes.Contains([]byte(text), []byte("Ctrl-C")) {
			p.url, p.natsURL = g[1], n[1]
			break
		}
		select {
		case <-p.exited:
			t.Fatalf("helpdesk up exited early (%v):\n%s", p.waitErr, text)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("helpdesk up printed no banner within 60s:\n%s", text)
		}
	}
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := client.Get(p.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/readyz not 200 within 60s (last: %v):\n%s", p.url, err, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits until the process is gone.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	p.signal(t, syscall.SIGKILL)
	<-p.exited
}

// signal sends sig to the process.
func (p *proc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("send %v: %v", sig, err)
	}
}

// waitExit waits up to limit for the process to exit and returns its exit
// status.
func (p *proc) waitExit(t *testing.T, limit time.Duration) error {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(limit):
		t.Fatalf("helpdesk up still running after %s:\n%s", limit, p.out.String())
	}
	return p.waitErr
}

// stop sends SIGTERM and fails the test unless the process exits cleanly.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.signal(t, syscall.SIGTERM)
	if err := p.waitExit(t, 40*time.Second); err != nil {
		t.Fatalf("helpdesk up did not exit cleanly after SIGTERM: %v\n%s", err, p.out.String())
	}
}

// ctxTimeout is a context that ends after d or with the test.
func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
