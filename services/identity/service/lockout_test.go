package service_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"helpdesk/contracts/events"

	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/rpc"
	"helpdesk/services/identity/domain/roster"
	"helpdesk/services/identity/domain/user"
)

// TestLogin_parallel_wrong_passwords_lock_once sends many wrong passwords
// for one account at once. Each must get the same 401 as an unknown user (a
// lost race must not show that the account exists), the failures stored
// must not pass the threshold, and the account must end up locked by one
// user.locked (which records the failure that reached the threshold). An
// attempt that loses every race stores nothing, so the test goes on one
// attempt at a time until the threshold must have been reached.
func TestLogin_parallel_wrong_passwords_lock_once(t *testing.T) {
	svc, nc, store := startIdentity(t)
	if _, err := svc.EnsureAdmin(context.Background(), "Root-Passw0rd"); err != nil {
		t.Fatal(err)
	}
	admin := rpc.Caller{ID: user.IDFor("admin"), Role: identityapi.RoleAdmin}
	if _, err := callAs[identityapi.User](t, nc, admin, identityapi.EndpointRegister,
		identityapi.RegisterUser{Username: "wang.wu", Password: "Wang-Passw0rd", Role: identityapi.RoleAgent}); err != nil {
		t.Fatal(err)
	}
	const attempts = 16
	errs := make([]error, attempts)
	var wg sync.WaitGroup
	for i := range attempts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = callAs[identityapi.Session](t, nc, gatewayCaller, identityapi.EndpointAuthenticate,
				identityapi.Authenticate{Username: "wang.wu", Password: "Wrong-Passw0rd"})
		}()
	}
	wg.Wait()
	// Attempts that lost every race stored nothing; as many more, one
	// after the other, make sure the threshold is reached.
	for range attempts {
		_, err := callAs[identityapi.Session](t, nc, gatewayCaller, identityapi.EndpointAuthenticate,
			identityapi.Authenticate{Username: "wang.wu", Password: "Wrong-Passw0rd"})
		errs = append(errs, err)
	}
	for i, err := range errs {
		if problem.CodeOf(err) != problem.CodeUnauthenticated || problem.As(err).Message != identityapi.LoginFailedMessage {
			t.Errorf("attempt %d answered %v, want the one login failure", i, err)
		}
	}
	evs, err := store.Load(context.Background(), subjects.User(user.IDFor("wang.wu")))
	if err != nil {
		t.Fatal(err)
	}
	wrong, locks := 0, 0
	for _, e := range evs {
		switch e.Type {
		case identityapi.EventUserLoginFailed:
			var p identityapi.UserLoginFailed
			if err := e.Decode(&p); err != nil {
				t.Fatal(err)
			}
			if p.Reason == identityapi.LoginFailedWrongPassword {
				wrong++
			}
		case identityapi.EventUserLocked:
			var p identityapi.UserLocked
			if err := e.Decode(&p); err != nil {
				t.Fatal(err)
			}
			if p.Reason == identityapi.LoginFailedWrongPassword {
				wrong++
			}
			locks++
		}
	}
	if wrong != user.DefaultPolicy().LockoutThreshold || locks != 1 {
		t.Fatalf("%d wrong-password failures (the lock's included) and %d locks stored, want %d and 1", wrong, locks, user.DefaultPolicy().LockoutThreshold)
	}
	if _, err := callAs[identityapi.Session](t, nc, gatewayCaller, identityapi.EndpointAuthenticate,
		identityapi.Authenticate{Username: "wang.wu", Password: "Wang-Passw0rd"}); problem.CodeOf(err) != problem.CodeUnauthenticated {
		t.Fatalf("the right password while locked: %v", err)
	}
}

// TestRefresh_forged_token_does_not_show_accounts presents made-up refresh
// tokens. Account ids derive from usernames in a known way, so a token
// naming an existing account must get the same answer as one naming no
// account, or /auth/refresh would tell which usernames exist.
func TestRefresh_forged_token_does_not_show_accounts(t *testing.T) {
	svc, nc, _ := startIdentity(t)
	if _, err := svc.EnsureAdmin(context.Background(), "Root-Passw0rd"); err != nil {
		t.Fatal(err)
	}
	const sid, secret = "0b4c2f3e-5d6a-4b7c-8d9e-0f1a2b3c4d5e", "c2VjcmV0"
	answers := map[string]string{}
	for _, name := range []string{"admin", "nobody"} {
		_, err := callAs[identityapi.Session](t, nc, gatewayCaller, identityapi.EndpointRefresh,
			identityapi.Refresh{RefreshToken: user.IDFor(name) + "." + sid + "." + secret})
		if problem.CodeOf(err) != problem.CodeUnauthenticated {
			t.Fatalf("forged token of %s: %v, want unauthenticated", name, err)
		}
		answers[name] = problem.As(err).Message
	}
	if answers["admin"] != answers["nobody"] {
		t.Fatalf("an existing account answers %q, an unknown one %q", answers["admin"], answers["nobody"])
	}
}

// TestRoster_untouched_by_changes_that_change_nothing: a disable in flight
// has taken admin A off the admin roster (the first of its two steps) when
// an enable of A, still enabled, or a promotion of A to admin, arrives.
// They change nothing, and must not put A back on the roster: with the
// disable then stored, the roster would count a disabled admin, and the
// last enabled admin could be demoted.
func TestRoster_untouched_by_changes_that_change_nothing(t *testing.T) {
	svc, nc, store := startIdentity(t)
	if _, err := svc.EnsureAdmin(context.Background(), "Root-Passw0rd"); err != nil {
		t.Fatal(err)
	}
	admin := rpc.Caller{ID: user.IDFor("admin"), Role: identityapi.RoleAdmin}
	if _, err := callAs[identityapi.User](t, nc, admin, identityapi.EndpointRegister,
		identityapi.RegisterUser{Username: "zhao.admin", Password: "Zhao-Passw0rd", Role: identityapi.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	ref := subjects.AdminRoster(roster.ID)
	evs, err := store.Load(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	removal, err := events.New(identityapi.Source, ref.Type, ref.ID, identityapi.AdminRemoved{UserID: admin.ID}, time.Now(), events.Metadata{Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(context.Background(), ref, []events.Envelope{removal},
		eventstore.AppendOptions{ExpectedVersion: evs[len(evs)-1].AggregateVersion}); err != nil {
		t.Fatal(err)
	}
	if _, err := callAs[identityapi.User](t, nc, admin, identityapi.EndpointEnable, identityapi.UserTarget{UserID: admin.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := callAs[identityapi.User](t, nc, admin, identityapi.EndpointChangeRole,
		identityapi.ChangeRole{UserID: admin.ID, Role: identityapi.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	after, err := store.Load(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if added := len(after) - len(evs) - 1; added != 0 {
		t.Fatalf("%d roster events stored by changes that change nothing; last: %s", added, after[len(after)-1].Type)
	}
}
