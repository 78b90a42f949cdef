package user_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/services/identity/domain/user"
)

// command is one call of a command method of the account, with its
// arguments chosen; method names the method, for the coverage check.
type command struct {
	method string
	name   string
	run    func(u *user.User, now time.Time) []events.Payload
}

// commands call every command method of the account, with the arguments
// the other tests use: right and wrong passwords, a re-hash, good, weak and
// reused new passwords, current, rotated and unknown refresh tokens, ...
var commands = []command{
	{"Login", "right password", func(u *user.User, now time.Time) []events.Payload {
		evs, _ := u.Login(now, true, sess, "", policy)
		return evs
	}},
	{"Login", "right password, re-hashed", func(u *user.User, now time.Time) []events.Payload {
		evs, _ := u.Login(now, true, sess, "$argon2id$new", policy)
		return evs
	}},
	{"Login", "wrong password", func(u *user.User, now time.Time) []events.Payload {
		evs, _ := u.Login(now, false, sess, "", policy)
		return evs
	}},
	{"ChangePassword", "fine", func(u *user.User, now time.Time) []events.Payload {
		evs, _ := u.ChangePassword(now, true, "Fresh-Passw0rd", sess, policy, verify, hash)
		return evs
	}},
	{"ChangePassword", "wrong current password", func(u *user.User, now time.Time) []events.Payload {
		evs, _ := u.ChangePassword(now, false, "Fresh-Passw0rd", sess, policy, verify, hash)
		return evs
	}},
	{"ChangePassword", "the current one", func(u *user.User, now time.Time) []events.Payload {
		evs, _ := u.ChangePassword(now, true, "Agent-Passw0rd", sess, policy, verify, hash)
		return evs
	}},
	{"ChangePassword", "too weak", func(u *user.User, now time.Time) []events.Payload {
		evs, _ := u.ChangePassword(now, true, "abcdefgh1234", sess, policy, verify, hash)
		return evs
	}},
	{"Refresh", "first token", func(u *user.User, now time.Time) []events.Payload {
		evs, _, _ := u.Refresh(now, "s-1", "r-1", "r-new", policy)
		return evs
	}},
	{"Refresh", "second token", func(u *user.User, now time.Time) []events.Payload {
		evs, _, _ := u.Refresh(now, "s-1", "r-2", "r-new", policy)
		return evs
	}},
	{"Refresh", "unknown token", func(u *user.User, now time.Time) []events.Payload {
		evs, _, _ := u.Refresh(now, "s-1", "r-9", "r-new", policy)
		return evs
	}},
	{"Refresh", "unknown session", func(u *user.User, now time.Time) []events.Payload {
		evs, _, _ := u.Refresh(now, "s-9", "r-1", "r-new", policy)
		return evs
	}},
	{"Logout", "session", func(u *user.User, now time.Time) []events.Payload { return u.Logout("s-1") }},
	{"Logout", "unknown session", func(u *user.User, now time.Time) []events.Payload { return u.Logout("s-9") }},
	{"ResetPassword", "", func(u *user.User, now time.Time) []events.Payload {
		return u.ResetPassword(now, "hashed:Temp-Passw0rd")
	}},
	{"Unlock", "", func(u *user.User, now time.Time) []events.Payload { return u.Unlock(now) }},
	{"ChangeRole", "another role", func(u *user.User, now time.Time) []events.Payload {
		evs, _ := u.ChangeRole(now, identityapi.RoleSupervisor)
		return evs
	}},
	{"ChangeRole", "the same role", func(u *user.User, now time.Time) []events.Payload {
		evs, _ := u.ChangeRole(now, identityapi.RoleAgent)
		return evs
	}},
	{"ChangeRole", "unknown role", func(u *user.User, now time.Time) []events.Payload {
		evs, _ := u.ChangeRole(now, "root")
		return evs
	}},
	{"Disable", "", func(u *user.User, now time.Time) []events.Payload { return u.Disable(now) }},
	{"Enable", "", func(u *user.User, now time.Time) []events.Payload { return u.Enable() }},
}

// TestUser_commands_return_at_most_one_event runs every command of the
// account in every state the other tests build (and older streams'
// states), at times before, during and after locks, idle timeouts, session
// lifetimes and password expiry. Each must return at most one event: the
// event store appends several events of one command only as a JetStream
// atomic batch (NATS server 2.12+), and the service must work on older
// servers.
func TestUser_commands_return_at_most_one_event(t *testing.T) {
	login := identityapi.UserLoggedIn{SessionID: "s-1", RefreshTokenHash: "r-1", ExpiresAt: fixed.Add(12 * time.Hour)}
	login2 := identityapi.UserLoggedIn{SessionID: "s-2", RefreshTokenHash: "r-3", ExpiresAt: fixed.Add(12 * time.Hour)}
	rotated := identityapi.UserSessionRefreshed{SessionID: "s-1", RefreshTokenHash: "r-2"}
	oldLock := identityapi.UserLocked{Until: fixed.Add(35 * time.Minute), Failures: 5}
	newLock := identityapi.UserLocked{Until: fixed.Add(35 * time.Minute), Failures: 5, Reason: identityapi.LoginFailedWrongPassword, EndedSessions: []string{"s-1"}}
	changed := func(pws ...string) []events.Payload {
		var out []events.Payload
		for _, pw := range pws {
			out = append(out, identityapi.UserPasswordChanged{PasswordHash: "hashed:" + pw})
		}
		return out
	}
	states := []struct {
		name       string
		mustChange bool
		payloads   []events.Payload
	}{
		{"new", false, nil},
		{"admin-made, must change", true, nil},
		{"one failure", false, failed(1)},
		{"four failures", false, failed(4)},
		{"old stream: locked after login_failed", false, slices.Concat(failed(4), []events.Payload{oldLock})},
		{"old stream: lock ran out, unlocked automatically", false, slices.Concat(failed(4), []events.Payload{oldLock, identityapi.UserUnlocked{Automatic: true}})},
		{"locked while signed in", false, slices.Concat([]events.Payload{login}, failed(3), []events.Payload{newLock})},
		{"unlocked by an admin", false, slices.Concat(failed(4), []events.Payload{newLock, identityapi.UserUnlocked{}})},
		{"disabled", false, []events.Payload{identityapi.UserDisabled{}}},
		{"disabled while signed in", false, []events.Payload{login, identityapi.UserDisabled{EndedSessions: []string{"s-1"}}}},
		{"enabled again", false, []events.Payload{identityapi.UserDisabled{}, identityapi.UserEnabled{}}},
		{"signed in", false, []events.Payload{login}},
		{"signed in, restricted", true, []events.Payload{identityapi.UserLoggedIn{SessionID: "s-1", RefreshTokenHash: "r-1", ExpiresAt: fixed.Add(12 * time.Hour), PasswordChangeRequired: true}}},
		{"signed in, token rotated", false, []events.Payload{login, rotated}},
		{"two sessions, one logged out", false, []events.Payload{login, login2, identityapi.UserLoggedOut{SessionID: "s-1"}}},
		{"session revoked", false, []events.Payload{login, rotated, identityapi.UserSessionRevoked{SessionID: "s-1", Reason: identityapi.SessionRevokedTokenReuse}}},
		{"signed in with a re-hash", false, []events.Payload{identityapi.UserLoggedIn{SessionID: "s-1", RefreshTokenHash: "r-1", ExpiresAt: fixed.Add(12 * time.Hour), PasswordHash: "hashed:Agent-Passw0rd"}}},
		{"old stream: rehashed, then signed in", false, []events.Payload{identityapi.UserPasswordRehashed{PasswordHash: "hashed:Agent-Passw0rd"}, login}},
		{"password changed with its session", true, []events.Payload{identityapi.UserPasswordChanged{PasswordHash: "hashed:New-Passw0rd", SessionID: "s-1", RefreshTokenHash: "r-1", ExpiresAt: fixed.Add(12 * time.Hour)}}},
		{"old stream: password changed, then signed in", true, slices.Concat(changed("New-Passw0rd"), []events.Payload{login})},
		{"five password changes", false, changed("P1-Passw0rd", "P2-Passw0rd", "P3-Passw0rd", "P4-Passw0rd", "P5-Passw0rd")},
		{"after an admin reset", false, []events.Payload{login, identityapi.UserPasswordReset{PasswordHash: "hashed:x", EndedSessions: []string{"s-1"}}}},
		{"role changed", false, []events.Payload{login, identityapi.UserRoleChanged{Role: identityapi.RoleSupervisor, PreviousRole: identityapi.RoleAgent, EndedSessions: []string{"s-1"}}}},
	}
	// After fixed: during a lock, after it, after the idle timeout, past the
	// session lifetime, after the password expired.
	times := []time.Duration{10 * time.Minute, 20 * time.Minute, 40 * time.Minute, time.Hour, 13 * time.Hour, 91 * 24 * time.Hour}
	for _, st := range states {
		t.Run(st.name, func(t *testing.T) {
			for _, at := range times {
				for _, c := range commands {
					// A fresh account each time: a command may change the
					// one it runs on.
					u := account(t, st.mustChange, st.payloads...)
					if evs := c.run(u, fixed.Add(at)); len(evs) > 1 {
						t.Errorf("%s (%s) at +%s returns %d events: %s", c.method, c.name, at, len(evs), types(evs))
					}
				}
			}
		})
	}
	t.Run("Register", func(t *testing.T) {
		for _, cmd := range []identityapi.RegisterUser{
			{Username: "wang.agent", Password: "Agent-Passw0rd", Role: "agent"},
			{Username: "x", Password: "weak", Role: "root"},
		} {
			for _, mustChange := range []bool{false, true} {
				if evs, _ := user.Register(cmd, hash, mustChange); len(evs) > 1 {
					t.Errorf("Register returns %d events: %s", len(evs), types(evs))
				}
			}
		}
	})
}

// TestUser_commands_table_covers_every_command fails when the account gets
// a command method (one that returns events) that the table of
// TestUser_commands_return_at_most_one_event does not run.
func TestUser_commands_table_covers_every_command(t *testing.T) {
	payloads := reflect.TypeFor[[]events.Payload]()
	covered := map[string]bool{}
	for _, c := range commands {
		covered[c.method] = true
	}
	typ := reflect.TypeFor[*user.User]()
	for i := range typ.NumMethod() {
		m := typ.Method(i)
		if m.Type.NumOut() > 0 && m.Type.Out(0) == payloads && !covered[m.Name] {
			t.Errorf("command %s is not in the table of TestUser_commands_return_at_most_one_event", m.Name)
		}
	}
}

// stream is an account's events as they are stored, for tests that drive
// it command by command.
type stream struct {
	t   *testing.T
	evs []events.Envelope
}

func newStream(t *testing.T) *stream {
	t.Helper()
	evs, err := user.Register(identityapi.RegisterUser{Username: "wang.agent", Password: "Agent-Passw0rd", Role: "agent"}, hash, false)
	if err != nil {
		t.Fatal(err)
	}
	s := &stream{t: t}
	s.store(fixed, evs)
	return s
}

// store appends the events of one command at now; it refuses more than
// one, as the event store does on servers before NATS 2.12.
func (s *stream) store(now time.Time, payloads []events.Payload) {
	s.t.Helper()
	if len(payloads) > 1 {
		s.t.Fatalf("a command returned %d events: %s", len(payloads), types(payloads))
	}
	for _, p := range payloads {
		env, err := events.New(identityapi.Source, "user", "u-1", p, now, events.Metadata{})
		if err != nil {
			s.t.Fatal(err)
		}
		env.AggregateVersion = uint64(len(s.evs) + 1)
		s.evs = append(s.evs, env)
	}
}

// user rebuilds the account from the stream.
func (s *stream) user() *user.User {
	s.t.Helper()
	u, err := user.FromEvents(s.evs)
	if err != nil {
		s.t.Fatal(err)
	}
	return u
}

// login runs Login at fixed+at and stores its event.
func (s *stream) login(at time.Duration, ok bool, p user.Policy) (events.Payload, error) {
	s.t.Helper()
	now := fixed.Add(at)
	evs, err := s.user().Login(now, ok, user.NewSession{ID: "s-" + at.String(), RefreshHash: "r-" + at.String()}, "", p)
	s.store(now, evs)
	return evs[0], err
}

// TestUser_lockout_lifecycle: five wrong passwords in the window lock the
// account with one user.locked; while locked even the right password
// fails; when the lock runs out (no event) the right password signs in and
// the failures count afresh, even with a window longer than the lock.
func TestUser_lockout_lifecycle(t *testing.T) {
	for _, p := range []user.Policy{policy, func() user.Policy {
		long := policy
		long.LockoutWindow = 2 * time.Hour
		return long
	}()} {
		t.Run("window "+p.LockoutWindow.String()+", lock "+p.LockoutDuration.String(), func(t *testing.T) {
			s := newStream(t)
			for i := 1; i <= 4; i++ {
				ev, err := s.login(time.Duration(i)*time.Minute, false, p)
				if f, ok := ev.(identityapi.UserLoginFailed); !ok || err == nil || f.Failures != i || f.Reason != identityapi.LoginFailedWrongPassword {
					t.Fatalf("failure %d: %#v %v", i, ev, err)
				}
			}
			ev, err := s.login(5*time.Minute, false, p)
			lock, ok := ev.(identityapi.UserLocked)
			if !ok || err == nil || lock.Failures != 5 || lock.Reason != identityapi.LoginFailedWrongPassword || !lock.Until.Equal(fixed.Add(35*time.Minute)) {
				t.Fatalf("fifth failure: %#v %v, want user.locked until +35m", ev, err)
			}
			ev, err = s.login(34*time.Minute, true, p)
			if f, ok := ev.(identityapi.UserLoginFailed); !ok || err == nil || f.Reason != identityapi.LoginFailedLocked {
				t.Fatalf("right password while locked: %#v %v", ev, err)
			}
			ev, err = s.login(36*time.Minute, false, p)
			if f, ok := ev.(identityapi.UserLoginFailed); !ok || err == nil || f.Failures != 1 {
				t.Fatalf("first failure after the lock: %#v %v, want user.login_failed with failures 1", ev, err)
			}
			if _, err := s.login(37*time.Minute, true, p); err != nil {
				t.Fatalf("right password after the lock: %v", err)
			}
			if got := s.user().PasswordHash(); got != "hashed:Agent-Passw0rd" {
				t.Fatalf("password hash %q", got)
			}
		})
	}
}

// TestUser_Unlock: an admin unlock is one event while the account is
// locked or has failures; a lock that ran out needs none.
func TestUser_Unlock(t *testing.T) {
	lock := identityapi.UserLocked{Until: fixed.Add(35 * time.Minute), Failures: 5, Reason: identityapi.LoginFailedWrongPassword}
	tests := []struct {
		name string
		u    *user.User
		at   time.Duration
		want string
	}{
		{"locked", account(t, false, lock), 20 * time.Minute, "user.unlocked"},
		{"lock ran out", account(t, false, lock), 40 * time.Minute, ""},
		{"failures", account(t, false, failed(2)...), 20 * time.Minute, "user.unlocked"},
		{"nothing to unlock", account(t, false), 20 * time.Minute, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := types(tt.u.Unlock(fixed.Add(tt.at))); got != tt.want {
				t.Fatalf("events %q, want %q", got, tt.want)
			}
		})
	}
	u := account(t, false, lock, identityapi.UserUnlocked{})
	if _, err := u.Login(fixed.Add(20*time.Minute), true, sess, "", policy); err != nil {
		t.Fatalf("login after an admin unlock: %v", err)
	}
}

// TestUser_one_event_logins_rebuild: the events that now carry what two
// events carried before rebuild to the same account: a login's re-hash,
// a password change's session; older streams' two events still rebuild.
func TestUser_one_event_logins_rebuild(t *testing.T) {
	now := fixed.Add(time.Hour)
	t.Run("login with a re-hash", func(t *testing.T) {
		s := newStream(t)
		evs, err := s.user().Login(now, true, sess, "hashed:Agent-Passw0rd:argon2id", policy)
		if err != nil || types(evs) != "user.logged_in" || evs[0].(identityapi.UserLoggedIn).PasswordHash != "hashed:Agent-Passw0rd:argon2id" {
			t.Fatalf("%s %+v %v", types(evs), evs, err)
		}
		s.store(now, evs)
		u := s.user()
		if u.PasswordHash() != "hashed:Agent-Passw0rd:argon2id" || !u.SessionOpen(sess.ID, now) {
			t.Fatalf("hash %q, session open %v", u.PasswordHash(), u.SessionOpen(sess.ID, now))
		}
		// A re-hash is the same password: no change for the expiry.
		if !u.PasswordChangeRequired(fixed.Add(91*24*time.Hour), policy) {
			t.Fatal("the re-hash renewed the password's age")
		}
	})
	t.Run("old stream: password_rehashed", func(t *testing.T) {
		u := account(t, false, identityapi.UserPasswordRehashed{PasswordHash: "hashed:v2"}, identityapi.UserLoggedIn{SessionID: "s-1", RefreshTokenHash: "r-1", ExpiresAt: fixed.Add(12 * time.Hour)})
		if u.PasswordHash() != "hashed:v2" || !u.SessionOpen("s-1", now) {
			t.Fatalf("hash %q", u.PasswordHash())
		}
	})
	t.Run("password change starts its session", func(t *testing.T) {
		s := newStream(t)
		s.store(fixed.Add(time.Minute), []events.Payload{identityapi.UserLoggedIn{SessionID: "s-0", RefreshTokenHash: "r-0", ExpiresAt: fixed.Add(12 * time.Hour), PasswordChangeRequired: true}})
		s.store(now.Add(-time.Minute), failed(1))
		evs, err := s.user().ChangePassword(now, true, "Fresh-Passw0rd", sess, policy, verify, hash)
		if err != nil || types(evs) != "user.password_changed" {
			t.Fatalf("%s %v", types(evs), err)
		}
		s.store(now, evs)
		u := s.user()
		if u.SessionOpen("s-0", now) || !u.SessionOpen(sess.ID, now) || !u.SessionExpires(sess.ID).Equal(now.Add(policy.SessionLifetime)) {
			t.Fatalf("old session open %v, new open %v until %v", u.SessionOpen("s-0", now), u.SessionOpen(sess.ID, now), u.SessionExpires(sess.ID))
		}
		if u.PasswordChangeRequired(now, policy) {
			t.Fatal("the password must still be changed")
		}
		if _, restricted, err := u.Refresh(now.Add(time.Minute), sess.ID, sess.RefreshHash, "r-next", policy); err != nil || restricted {
			t.Fatalf("refresh of the new session: restricted %v, %v", restricted, err)
		}
		// The change proved the current password: the failure before it
		// is forgotten.
		for i := range 3 {
			s.store(now.Add(time.Duration(i+1)*time.Minute), failed(1))
		}
		if evs, _ := s.user().Login(now.Add(5*time.Minute), false, sess, "", policy); types(evs) != "user.login_failed" {
			t.Fatalf("fourth failure after the change: %s", types(evs))
		}
	})
	t.Run("old stream: password_changed then logged_in", func(t *testing.T) {
		u := account(t, true, identityapi.UserPasswordChanged{PasswordHash: "hashed:New-Passw0rd"}, identityapi.UserLoggedIn{SessionID: "s-1", RefreshTokenHash: "r-1", ExpiresAt: fixed.Add(12 * time.Hour)})
		if !u.SessionOpen("s-1", now) || u.PasswordChangeRequired(now, policy) || u.PasswordHash() != "hashed:New-Passw0rd" {
			t.Fatal("old password change did not rebuild")
		}
	})
}
