package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"helpdesk/infra/launcher"
	"helpdesk/tests/apiclient"
)

// adminPassword is the admin password every test system starts with.
const adminPassword = "Root-Passw0rd!"

// userPassword is the password of every other test account.
const userPassword = "Str0ng-Passw0rd!"

// startSystem runs the all-in-one system on loopback ports in dir.
func startSystem(t *testing.T, dir string) *launcher.System {
	t.Helper()
	return startSystemLogging(t, dir, io.Discard)
}

// startSystemLogging is startSystem with the system's debug logs in logs.
func startSystemLogging(t *testing.T, dir string, logs io.Writer) *launcher.System {
	t.Helper()
	sys, err := launcher.Up(context.Background(), launcher.UpConfig{
		DataDir: dir, Listen: "127.0.0.1:0", NATSListen: "127.0.0.1:-1",
		AdminPassword: adminPassword, DeadlineInterval: 50 * time.Millisecond,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		// The tests sign in as the accounts they create, with the password
		// they chose: no forced change at first login (tests only).
		Auth: launcher.Auth{AdminSetPasswordsFinal: true, AdminPasswordFinal: true},
	})
	if err != nil {
		t.Fatalf("start system: %v", err)
	}
	t.Cleanup(func() { _ = sys.Stop(context.Background()) })
	return sys
}

// client calls the gateway as one user.
type client struct {
	t        *testing.T
	username string
	base     string
	token    string
	http     *http.Client
}

func newClient(t *testing.T, base string) *client {
	return &client{t: t, base: base, http: &http.Client{Timeout: 20 * time.Second}}
}

// response is a decoded HTTP response.
type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

func (r response) str(key string) string {
	s, _ := r.Body[key].(string)
	return s
}

// do sends a request; body may be nil, a string (sent raw) or a value sent as JSON.
func (c *client) do(method, path string, body any, headers ...string) response {
	c.t.Helper()
	req, err := apiclient.NewRequest(method, c.base+path, body, c.token, headers...)
	if err != nil {
		c.t.Fatal(err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		_ = json.Unmarshal(raw, &out.Body)
	}
	return out
}

// must fails the test unless the response has the status.
func (c *client) must(status int, method, path string, body any, headers ...string) response {
	c.t.Helper()
	r := c.do(method, path, body, headers...)
	if r.Status != status {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, status, r.Raw)
	}
	return r
}

func (c *client) login(username, password string) *client {
	c.t.Helper()
	r := c.must(http.StatusOK, "POST", "/api/v1/auth/login", map[string]string{"username": username, "password": password})
	c.token, c.username = r.str("access_token"), username
	if c.token == "" {
		c.t.Fatalf("login %s: no access_token in %s", username, r.Raw)
	}
	return c
}

// firstLogin signs in with a password that must be changed at the first
// login (the login answer says so, and the token allows nothing else),
// changes it to newPassword and keeps the full token the change answers.
func (c *client) firstLogin(username, password, newPassword string) *client {
	c.t.Helper()
	r := c.must(http.StatusOK, "POST", "/api/v1/auth/login", map[string]string{"username": username, "password": password})
	if r.Body["password_change_required"] != true {
		c.t.Fatalf("first login of %s: no password_change_required in %s", username, r.Raw)
	}
	c.token = r.str("access_token")
	c.must(http.StatusForbidden, "GET", "/api/v1/tickets", nil)
	r = c.must(http.StatusOK, "POST", "/api/v1/auth/password", map[string]string{"current_password": password, "new_password": newPassword})
	c.token, c.username = r.str("access_token"), username
	return c
}

// tokenOwner is the username the client logged in as.
func (c *client) tokenOwner() string { return c.username }

// actors are the users of a typical test.
type actors struct {
	admin, agent, customer, other *client
	agentID, customerID, otherID  string
}

var userSeq int

// newActors creates an agent and two customers and logs everyone in.
func newActors(t *testing.T, sys *launcher.System) actors {
	t.Helper()
	admin := newClient(t, sys.URL).login("admin", adminPassword)
	create := func(role string) (*client, string) {
		userSeq++
		name := fmt.Sprintf("%s%d-%d", role, userSeq, time.Now().UnixNano()%100000)
		r := admin.must(http.StatusCreated, "POST", "/api/v1/users", map[string]string{
			"username": name, "password": userPassword, "role": role, "display_name": "测试用户 " + name,
		})
		return newClient(t, sys.URL).login(name, userPassword), r.str("id")
	}
	a := actors{admin: admin}
	a.agent, a.agentID = create("agent")
	a.customer, a.customerID = create("customer")
	a.other, a.otherID = create("customer")
	return a
}

// eventually retries check until it succeeds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
