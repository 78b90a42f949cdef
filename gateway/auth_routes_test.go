package gateway_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/contracts/subjects"
	"helpdesk/gateway"
	"helpdesk/infra/launcher"
	"helpdesk/infra/natsembed"
	"helpdesk/services/identity/adapters/password"
	"helpdesk/services/identity/domain/user"
)

// twoGateways starts the identity service (lockout after 3 failures) and
// two gateway replicas on one embedded NATS server.
func twoGateways(t *testing.T) (*httptest.Server, *httptest.Server) {
	t.Helper()
	_, start := authSystem(t, nil)
	return start(), start()
}

// authSystem starts the identity service (lockout after 3 failures, then
// whatever change makes to the policy) on an embedded NATS server, and
// returns the connection and a function that starts a gateway replica.
func authSystem(t *testing.T, change func(*user.Policy)) (*nats.Conn, func() *httptest.Server) {
	t.Helper()
	_, nc := natsembed.StartForTest(t)
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	policy := user.DefaultPolicy()
	policy.LockoutThreshold = 3
	if change != nil {
		change(&policy)
	}
	parts, err := launcher.StartParts(context.Background(), launcher.PartsConfig{
		Conn: nc, Services: []string{"identity"}, EnsureAdmin: true, AdminPassword: adminPassword,
		Logger: logger, Registry: prometheus.NewRegistry(),
		Auth: launcher.Auth{Policy: policy, Argon2: password.Params{MemoryKiB: 1024, Time: 1}, AdminPasswordFinal: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = parts.Stop(context.Background()) })
	return nc, func() *httptest.Server {
		reg := prometheus.NewRegistry()
		gw, err := gateway.New(gateway.Config{Conn: nc, SigningKey: key, Logger: logger, Registerer: reg, Gatherer: reg})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(gw.Handler())
		t.Cleanup(func() { srv.Close(); _ = gw.Shutdown(context.Background()) })
		return srv
	}
}

func loginPair(t *testing.T, srv *httptest.Server, name, pw string) result {
	t.Helper()
	r := do(t, srv, "POST", "/api/v1/auth/login", "", fmt.Sprintf(`{"username":%q,"password":%q}`, name, pw))
	if r.status != 200 || r.body["refresh_token"] == "" {
		t.Fatalf("login %s: %d %s", name, r.status, r.raw)
	}
	return r
}

func str(r result, key string) string { s, _ := r.body[key].(string); return s }

func TestAuth_forced_password_change(t *testing.T) {
	gw, _ := twoGateways(t)
	admin := str(loginPair(t, gw, "admin", adminPassword), "access_token")
	isStatus(t, do(t, gw, "POST", "/api/v1/users", admin, `{"username":"li.agent","password":"Li-Temp-Passw0rd","role":"agent"}`), 201)

	first := loginPair(t, gw, "li.agent", "Li-Temp-Passw0rd")
	if first.body["password_change_required"] != true {
		t.Fatalf("first login of an admin-made account: %s", first.raw)
	}
	tok := str(first, "access_token")
	isProblem(t, do(t, gw, "GET", "/api/v1/users/"+str(do(t, gw, "GET", "/api/v1/me", tok, ""), "id"), tok, ""), 403)
	isStatus(t, do(t, gw, "GET", "/api/v1/me", tok, ""), 200)
	isProblem(t, do(t, gw, "POST", "/api/v1/auth/password", tok, `{"current_password":"wrong-Passw0rd","new_password":"Li-New-Passw0rd"}`), 422)
	isProblem(t, do(t, gw, "POST", "/api/v1/auth/password", tok, `{"current_password":"Li-Temp-Passw0rd","new_password":"Li-Temp-Passw0rd"}`), 422)
	isProblem(t, do(t, gw, "POST", "/api/v1/auth/password", tok, `{"current_password":"Li-Temp-Passw0rd","new_password":"short1A"}`), 422)
	changed := do(t, gw, "POST", "/api/v1/auth/password", tok, `{"current_password":"Li-Temp-Passw0rd","new_password":"Li-New-Passw0rd"}`)
	if changed.status != 200 || changed.body["password_change_required"] != false {
		t.Fatalf("change: %d %s", changed.status, changed.raw)
	}
	isProblem(t, do(t, gw, "GET", "/api/v1/me", tok, ""), 401) // the restricted session ended
	isStatus(t, do(t, gw, "GET", "/api/v1/me", str(changed, "access_token"), ""), 200)
	if r := loginPair(t, gw, "li.agent", "Li-New-Passw0rd"); r.body["password_change_required"] != false {
		t.Fatalf("second login still restricted: %s", r.raw)
	}

	// An admin reset forces the change again; the temporary password works once shown.
	id := str(changed, "access_token")
	me := do(t, gw, "GET", "/api/v1/me", id, "")
	reset := do(t, gw, "POST", "/api/v1/users/"+str(me, "id")+"/password-reset", admin, "")
	if reset.status != 200 || str(reset, "temporary_password") == "" {
		t.Fatalf("reset: %d %s", reset.status, reset.raw)
	}
	// The reset's event reaches the gateway's revocation feed shortly after.
	eventually(t, func() bool { return do(t, gw, "GET", "/api/v1/me", id, "").status == 401 })
	if r := loginPair(t, gw, "li.agent", str(reset, "temporary_password")); r.body["password_change_required"] != true {
		t.Fatalf("login after reset: %s", r.raw)
	}
}

func TestAuth_lockout(t *testing.T) {
	gw, _ := twoGateways(t)
	admin := str(loginPair(t, gw, "admin", adminPassword), "access_token")
	created := do(t, gw, "POST", "/api/v1/users", admin, `{"username":"zhao.customer","password":"Zhao-Passw0rd","role":"customer"}`)
	isStatus(t, created, 201)
	unknown := do(t, gw, "POST", "/api/v1/auth/login", "", `{"username":"nobody","password":"Zhao-Passw0rd"}`)
	isProblem(t, unknown, 401)
	for i := 0; i < 3; i++ {
		r := do(t, gw, "POST", "/api/v1/auth/login", "", `{"username":"zhao.customer","password":"wrong-Passw0rd"}`)
		isProblem(t, r, 401)
		if r.body["detail"] != unknown.body["detail"] {
			t.Fatalf("a wrong password answers differently from an unknown user: %s vs %s", r.raw, unknown.raw)
		}
	}
	locked := do(t, gw, "POST", "/api/v1/auth/login", "", `{"username":"zhao.customer","password":"Zhao-Passw0rd"}`)
	isProblem(t, locked, 401)
	if locked.body["detail"] != unknown.body["detail"] {
		t.Fatalf("locked answers differently: %s", locked.raw)
	}
	isStatus(t, do(t, gw, "POST", "/api/v1/users/"+str(created, "id")+"/unlock", admin, ""), 200)
	tok := str(loginPair(t, gw, "zhao.customer", "Zhao-Passw0rd"), "access_token")

	// Disabling ends the sessions and refuses logins with the same answer.
	disabled := do(t, gw, "POST", "/api/v1/users/"+str(created, "id")+"/disable", admin, "")
	if disabled.status != 200 || disabled.body["disabled"] != true {
		t.Fatalf("disable: %d %s", disabled.status, disabled.raw)
	}
	eventually(t, func() bool { return do(t, gw, "GET", "/api/v1/me", tok, "").status == 401 })
	if r := do(t, gw, "POST", "/api/v1/auth/login", "", `{"username":"zhao.customer","password":"Zhao-Passw0rd"}`); r.status != 401 || r.body["detail"] != unknown.body["detail"] {
		t.Fatalf("login while disabled: %d %s", r.status, r.raw)
	}
	isStatus(t, do(t, gw, "POST", "/api/v1/users/"+str(created, "id")+"/enable", admin, ""), 200)
	loginPair(t, gw, "zhao.customer", "Zhao-Passw0rd")
	isProblem(t, do(t, gw, "POST", "/api/v1/users/"+str(created, "id")+"/unlock", tok, ""), 401)
}

func TestAuth_refresh_rotation_and_logout_on_two_gateways(t *testing.T) {
	gw1, gw2 := twoGateways(t)
	first := loginPair(t, gw1, "admin", adminPassword)
	r1 := str(first, "refresh_token")
	second := do(t, gw2, "POST", "/api/v1/auth/refresh", "", fmt.Sprintf(`{"refresh_token":%q}`, r1))
	if second.status != 200 || str(second, "refresh_token") == r1 {
		t.Fatalf("refresh: %d %s", second.status, second.raw)
	}
	// Reuse of the rotated token ends the session: the new token dies too.
	isProblem(t, do(t, gw1, "POST", "/api/v1/auth/refresh", "", fmt.Sprintf(`{"refresh_token":%q}`, r1)), 401)
	isProblem(t, do(t, gw1, "POST", "/api/v1/auth/refresh", "", fmt.Sprintf(`{"refresh_token":%q}`, str(second, "refresh_token"))), 401)
	eventually(t, func() bool { return do(t, gw2, "GET", "/api/v1/me", str(second, "access_token"), "").status == 401 })

	tok := str(loginPair(t, gw1, "admin", adminPassword), "access_token")
	isStatus(t, do(t, gw2, "GET", "/api/v1/me", tok, ""), 200)
	isStatus(t, do(t, gw1, "POST", "/api/v1/auth/logout", tok, ""), 204)
	isProblem(t, do(t, gw1, "GET", "/api/v1/me", tok, ""), 401)
	eventually(t, func() bool { return do(t, gw2, "GET", "/api/v1/me", tok, "").status == 401 })
}

// TestAuth_gateway_started_after_logout refuses the token of a session
// that ended before the gateway started (within the token's lifetime), from
// its first request on: the gateway must not accept session tokens before
// its revocation feed has read the identity events of the last TTL. A
// backlog of other identity events makes that reading take a while.
func TestAuth_gateway_started_after_logout(t *testing.T) {
	nc, start := authSystem(t, nil)
	gw := start()
	tok := str(loginPair(t, gw, "admin", adminPassword), "access_token")
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	backlog := subjects.User(uuid.NewString()).Subject()
	for range 10 {
		for range 500 {
			if _, err := js.PublishAsync(backlog, []byte(`{}`)); err != nil {
				t.Fatal(err)
			}
		}
		<-js.PublishAsyncComplete()
	}
	isStatus(t, do(t, gw, "POST", "/api/v1/auth/logout", tok, ""), 204)

	late := start()
	isProblem(t, do(t, late, "GET", "/api/v1/me", tok, ""), 401)
}

// TestAuth_access_token_ends_with_the_session: an access token never
// outlives its session's absolute lifetime.
func TestAuth_access_token_ends_with_the_session(t *testing.T) {
	_, start := authSystem(t, func(p *user.Policy) { p.SessionLifetime = 2 * time.Minute })
	gw := start()
	first := loginPair(t, gw, "admin", adminPassword)
	refreshed := do(t, gw, "POST", "/api/v1/auth/refresh", "", fmt.Sprintf(`{"refresh_token":%q}`, str(first, "refresh_token")))
	isStatus(t, refreshed, 200)
	for _, r := range []result{first, refreshed} {
		if in, _ := r.body["expires_in"].(float64); in <= 0 || in > 120 {
			t.Fatalf("expires_in %v, want at most the session's 120 s", r.body["expires_in"])
		}
		var cl jwt.RegisteredClaims
		if _, _, err := jwt.NewParser().ParseUnverified(str(r, "access_token"), &cl); err != nil {
			t.Fatal(err)
		}
		if end := time.Now().Add(2 * time.Minute); cl.ExpiresAt.After(end) {
			t.Fatalf("access token expires %v, after the session's end %v", cl.ExpiresAt, end)
		}
	}
}

func TestAuth_last_admin(t *testing.T) {
	gw, _ := twoGateways(t)
	admin := str(loginPair(t, gw, "admin", adminPassword), "access_token")
	me := do(t, gw, "GET", "/api/v1/me", admin, "")
	isProblem(t, do(t, gw, "PUT", "/api/v1/users/"+str(me, "id")+"/role", admin, `{"role":"agent"}`), 409)
	isProblem(t, do(t, gw, "POST", "/api/v1/users/"+str(me, "id")+"/disable", admin, ""), 409)
	second := do(t, gw, "POST", "/api/v1/users", admin, `{"username":"admin2","password":"Second-Adm1n","role":"admin"}`)
	isStatus(t, second, 201)

	// Two concurrent demotions of the last two admins: exactly one wins.
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i, id := range []string{str(me, "id"), str(second, "id")} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = do(t, gw, "PUT", "/api/v1/users/"+id+"/role", admin, `{"role":"supervisor"}`).status
		}()
	}
	wg.Wait()
	// The loser is refused by the roster (409), or its caller's own session
	// already ended by the winner's demotion (401); never both 200.
	if !(statuses[0] == 200) == !(statuses[1] == 200) {
		t.Fatalf("concurrent demotions answered %v, want exactly one 200", statuses)
	}
	admins := 0
	for _, name := range []string{"admin", "admin2"} {
		pw := map[string]string{"admin": adminPassword, "admin2": "Second-Adm1n"}[name]
		tok := str(loginPair(t, gw, name, pw), "access_token")
		if r := do(t, gw, "GET", "/api/v1/me", tok, ""); r.body["role"] == "admin" {
			admins++
		}
	}
	if admins != 1 {
		t.Fatalf("%d admins remain, want 1", admins)
	}
}

func isStatus(t *testing.T, r result, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
}

func eventually(t *testing.T, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatal("not within 3s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
