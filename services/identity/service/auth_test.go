package service_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/rpc"
	"helpdesk/services/identity/adapters/password"
	"helpdesk/services/identity/domain/user"
	"helpdesk/services/identity/service"
)

// startIdentity runs the service on an embedded NATS server. Its store
// refuses appends of several events, as the event store does on NATS
// servers before 2.12 (no atomic batch publish): every identity command
// must store at most one event.
func startIdentity(t *testing.T) (*service.Service, *nats.Conn, eventstore.Store) {
	t.Helper()
	_, nc := natsembed.StartForTest(t)
	js, _ := jetstream.New(nc)
	jsStore, err := eventstore.NewJetStream(context.Background(), js, subjects.ServiceIdentity)
	if err != nil {
		t.Fatal(err)
	}
	store := oneEventStore{jsStore}
	svc, err := service.Start(service.Config{Conn: nc, Store: store, Argon2: password.Params{MemoryKiB: 1024, Time: 1},
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	return svc, nc, store
}

// oneEventStore is a store on a NATS server without atomic batch publish.
type oneEventStore struct{ eventstore.Store }

func (s oneEventStore) Append(ctx context.Context, agg subjects.Aggregate, evs []events.Envelope, opts eventstore.AppendOptions) (eventstore.AppendResult, error) {
	if len(evs) > 1 {
		var types []string
		for _, e := range evs {
			types = append(types, e.Type)
		}
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", strings.Join(types, ","), eventstore.ErrBatchUnsupported)
	}
	return s.Store.Append(ctx, agg, evs, opts)
}

func callAs[R any](t *testing.T, nc *nats.Conn, caller rpc.Caller, endpoint string, req any) (R, error) {
	t.Helper()
	ctx := rpc.WithCaller(context.Background(), caller)
	return rpc.Call[R](ctx, nc, subjects.Endpoint(subjects.ServiceIdentity, endpoint), req)
}

var gatewayCaller = rpc.Caller{ID: "system:gateway", Role: identityapi.RoleSystem}

func TestEnsureAdmin_generated_password_must_be_changed(t *testing.T) {
	svc, nc, _ := startIdentity(t)
	pw, err := svc.EnsureAdmin(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := callAs[identityapi.Session](t, nc, gatewayCaller, identityapi.EndpointAuthenticate, identityapi.Authenticate{Username: "admin", Password: pw})
	if err != nil || !s.PasswordChangeRequired || s.RefreshToken == "" || s.SessionID == "" {
		t.Fatalf("login with the generated password: %+v %v", s, err)
	}
	// The first-login change is one event on servers without atomic
	// batches, and starts an unrestricted session.
	admin := rpc.Caller{ID: s.User.ID, Role: identityapi.RoleAdmin}
	changed, err := callAs[identityapi.Session](t, nc, admin, identityapi.EndpointChangePassword,
		identityapi.ChangePassword{CurrentPassword: pw, NewPassword: "Changed-Passw0rd"})
	if err != nil || changed.PasswordChangeRequired || changed.SessionID == s.SessionID || changed.SessionExpiresAt.IsZero() {
		t.Fatalf("first-login password change: %+v %v", changed, err)
	}
	refreshed, err := callAs[identityapi.Session](t, nc, gatewayCaller, identityapi.EndpointRefresh, identityapi.Refresh{RefreshToken: changed.RefreshToken})
	if err != nil || refreshed.PasswordChangeRequired || refreshed.SessionID != changed.SessionID {
		t.Fatalf("refresh of the session the change started: %+v %v", refreshed, err)
	}
	if _, err := callAs[identityapi.Session](t, nc, gatewayCaller, identityapi.EndpointRefresh, identityapi.Refresh{RefreshToken: s.RefreshToken}); problem.CodeOf(err) != problem.CodeUnauthenticated {
		t.Fatalf("the restricted session outlived the change: %v", err)
	}
}

func TestLogin_rehashes_bcrypt(t *testing.T) {
	_, nc, store := startIdentity(t)
	old, _ := bcrypt.GenerateFromPassword([]byte("Old-Passw0rd"), bcrypt.MinCost)
	id := user.IDFor("old.user")
	env, err := events.New(identityapi.Source, subjects.AggregateUser, id,
		identityapi.UserRegistered{Username: "old.user", DisplayName: "old", Role: "agent", PasswordHash: string(old)}, time.Now(), events.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(context.Background(), subjects.User(id), []events.Envelope{env}, eventstore.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := callAs[identityapi.Session](t, nc, gatewayCaller, identityapi.EndpointAuthenticate, identityapi.Authenticate{Username: "old.user", Password: "Old-Passw0rd"}); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := store.Load(context.Background(), subjects.User(id))
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
		if e.Type == identityapi.EventUserLoggedIn {
			var p identityapi.UserLoggedIn
			_ = e.Decode(&p)
			if rehashed := p.PasswordHash != ""; rehashed != (len(types) == 2) || rehashed && !strings.HasPrefix(p.PasswordHash, "$argon2id$") {
				t.Fatalf("login %d re-hashed to %q; want the first login only, to argon2id", len(types)-1, p.PasswordHash)
			}
		}
		if e.Type != identityapi.EventUserRegistered && e.Actor != id {
			t.Fatalf("%s has actor %q, want the user", e.Type, e.Actor)
		}
	}
	if got := strings.Join(types, ","); got != "user.registered,user.logged_in,user.logged_in" {
		t.Fatalf("events %s", got)
	}
}

func TestChangeRole_never_demotes_the_last_admin(t *testing.T) {
	svc, nc, _ := startIdentity(t)
	if _, err := svc.EnsureAdmin(context.Background(), "Root-Passw0rd"); err != nil {
		t.Fatal(err)
	}
	admin := rpc.Caller{ID: user.IDFor("admin"), Role: identityapi.RoleAdmin}
	for round := range 5 {
		// Make a second admin, then demote both at once: one must stay.
		name := "second" + string(rune('a'+round))
		second, err := callAs[identityapi.User](t, nc, admin, identityapi.EndpointRegister, identityapi.RegisterUser{Username: name, Password: "Second-Passw0rd", Role: "admin"})
		if err != nil {
			t.Fatal(err)
		}
		remaining := []string{admin.ID, second.ID}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, id := range remaining {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = callAs[identityapi.User](t, nc, admin, identityapi.EndpointChangeRole, identityapi.ChangeRole{UserID: id, Role: identityapi.RoleAgent})
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: both or neither demotion succeeded: %v", round, errs)
		}
		for i, err := range errs {
			if err != nil && problem.CodeOf(err) != problem.CodeConflict {
				t.Fatalf("refusal is %v, want conflict", err)
			}
			if err == nil && remaining[i] == admin.ID {
				// The caller lost the role: the one left acts from now on.
				admin = rpc.Caller{ID: second.ID, Role: identityapi.RoleAdmin}
			}
		}
		if _, err := callAs[identityapi.User](t, nc, admin, identityapi.EndpointDisable, identityapi.UserTarget{UserID: admin.ID}); problem.CodeOf(err) != problem.CodeConflict {
			t.Fatalf("round %d: disabling the last admin: %v", round, err)
		}
	}
}
