package user_test

import (
	"strings"
	"testing"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/services/identity/domain/user"
)

var policy = user.DefaultPolicy()

// account replays payloads (each a minute after the one before, from
// fixed) onto a new account "wang.agent" with password "Agent-Passw0rd".
func account(t *testing.T, mustChange bool, payloads ...events.Payload) *user.User {
	t.Helper()
	evs, err := user.Register(identityapi.RegisterUser{Username: "wang.agent", Password: "Agent-Passw0rd", Role: "agent"}, hash, mustChange)
	if err != nil {
		t.Fatal(err)
	}
	var envs []events.Envelope
	for i, p := range append(evs, payloads...) {
		env, err := events.New(identityapi.Source, "user", "u-1", p, fixed.Add(time.Duration(i)*time.Minute), events.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		env.AggregateVersion = uint64(i + 1)
		envs = append(envs, env)
	}
	u, err := user.FromEvents(envs)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func types(evs []events.Payload) string {
	var out []string
	for _, e := range evs {
		out = append(out, e.EventType())
	}
	return strings.Join(out, ",")
}

func failed(n int) []events.Payload {
	var out []events.Payload
	for i := 0; i < n; i++ {
		out = append(out, identityapi.UserLoginFailed{Reason: identityapi.LoginFailedWrongPassword})
	}
	return out
}

var sess = user.NewSession{ID: "s-1", RefreshHash: "r-1"}

func TestUser_Login(t *testing.T) {
	locked := append(failed(4), identityapi.UserLocked{Until: fixed.Add(35 * time.Minute), Failures: 5})
	tests := []struct {
		name       string
		u          *user.User
		at         time.Duration // after fixed
		ok         bool
		want       string
		fails      bool
		restricted bool
	}{
		{"right password", account(t, false), time.Hour, true, "user.logged_in", false, false},
		{"first login of an admin-made account", account(t, true), time.Hour, true, "user.logged_in", false, true},
		{"wrong password", account(t, false), time.Hour, false, "user.login_failed", true, false},
		{"fifth failure in the window locks", account(t, false, failed(4)...), 10 * time.Minute, false, "user.locked", true, false},
		{"failures outside the window do not count", account(t, false, failed(4)...), 17 * time.Minute, false, "user.login_failed", true, false},
		{"locked: even the right password fails", account(t, false, locked...), 20 * time.Minute, true, "user.login_failed", true, false},
		{"lock ran out", account(t, false, locked...), 40 * time.Minute, true, "user.logged_in", false, false},
		{"lock ran out: failures count afresh", account(t, false, locked...), 40 * time.Minute, false, "user.login_failed", true, false},
		{"old stream: lock ran out, unlocked automatically", account(t, false, append(locked, identityapi.UserUnlocked{Automatic: true})...), 40 * time.Minute, true, "user.logged_in", false, false},
		{"disabled", account(t, false, identityapi.UserDisabled{}), time.Hour, true, "user.login_failed", true, false},
		{"password expired", account(t, false), 91 * 24 * time.Hour, true, "user.logged_in", false, true},
		{"changed password is not expired", account(t, true, identityapi.UserPasswordChanged{PasswordHash: "hashed:New-Passw0rd"}), 89 * 24 * time.Hour, true, "user.logged_in", false, false},
		{"after an admin reset", account(t, false, identityapi.UserPasswordReset{PasswordHash: "hashed:x"}), time.Hour, true, "user.logged_in", false, true},
		{"disabled, wrong password", account(t, false, identityapi.UserDisabled{}), time.Hour, false, "user.login_failed", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := fixed.Add(tt.at)
			evs, err := tt.u.Login(now, tt.ok, sess, "", policy)
			if got := types(evs); got != tt.want {
				t.Fatalf("events %s, want %s", got, tt.want)
			}
			if (err != nil) != tt.fails {
				t.Fatalf("err = %v, fails %v", err, tt.fails)
			}
			if err != nil && (problem.CodeOf(err) != problem.CodeUnauthenticated || err.Error() != user.ErrLoginFailed.Error()) {
				t.Fatalf("a failure tells more than the one message: %v", err)
			}
			if err == nil {
				if in := evs[len(evs)-1].(identityapi.UserLoggedIn); in.PasswordChangeRequired != tt.restricted {
					t.Fatalf("restricted = %v, want %v", in.PasswordChangeRequired, tt.restricted)
				}
			}
		})
	}
}

func verify(h, pw string) bool { return h == "hashed:"+pw }

func TestUser_ChangePassword(t *testing.T) {
	changes := func(pws ...string) []events.Payload {
		var out []events.Payload
		for _, pw := range pws {
			out = append(out, identityapi.UserPasswordChanged{PasswordHash: "hashed:" + pw})
		}
		return out
	}
	current := "P5-Passw0rd"
	u := account(t, false, changes("P1-Passw0rd", "P2-Passw0rd", "P3-Passw0rd", "P4-Passw0rd", current)...)
	tests := []struct {
		name      string
		currentOK bool
		pw        string
		field     string
	}{
		{"fine", true, "Fresh-Passw0rd", ""},
		{"wrong current password", false, "Fresh-Passw0rd", "current_password"},
		{"the current one", true, current, "new_password"},
		{"one of the last five", true, "P1-Passw0rd", "new_password"},
		{"older than the last five", true, "Agent-Passw0rd", ""},
		{"seven characters", true, "Ab1-xyz", "new_password"},
		{"eight characters, three classes", true, "Ab1xyzuv", ""},
		{"two classes", true, "abcdefgh1234", "new_password"},
		{"contains the username", true, "xWANG.AGENT1", "new_password"},
		{"129 characters", true, "Aa1" + strings.Repeat("x", 126), "new_password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := u.ChangePassword(fixed.Add(time.Hour), tt.currentOK, tt.pw, sess, policy, verify, hash)
			if tt.field == "" {
				if err != nil || types(evs) != "user.password_changed" {
					t.Fatalf("%s %v", types(evs), err)
				}
				ch := evs[0].(identityapi.UserPasswordChanged)
				if ch.SessionID != sess.ID || ch.RefreshTokenHash != sess.RefreshHash || !ch.ExpiresAt.Equal(fixed.Add(time.Hour+policy.SessionLifetime)) {
					t.Fatalf("the change does not start the session: %+v", ch)
				}
				return
			}
			perr := problem.As(err)
			if perr == nil || perr.Code != problem.CodeValidation || perr.Fields[0].Field != tt.field {
				t.Fatalf("err = %v, want a validation error on %s", err, tt.field)
			}
			if tt.field == "current_password" && types(evs) != "user.login_failed" {
				t.Fatalf("a wrong current password is no failure: %s", types(evs))
			}
		})
	}
}

func TestUser_Refresh(t *testing.T) {
	login := identityapi.UserLoggedIn{SessionID: "s-1", RefreshTokenHash: "r-1", ExpiresAt: fixed.Add(12 * time.Hour)}
	rotated := identityapi.UserSessionRefreshed{SessionID: "s-1", RefreshTokenHash: "r-2"}
	tests := []struct {
		name      string
		u         *user.User
		at        time.Duration
		presented string
		want      string
		ok        bool
	}{
		{"current token", account(t, false, login), 10 * time.Minute, "r-1", "user.session_refreshed", true},
		{"rotated token is reuse: the session ends", account(t, false, login, rotated), 10 * time.Minute, "r-1", "user.session_revoked", false},
		{"rotated session, new token", account(t, false, login, rotated), 10 * time.Minute, "r-2", "user.session_refreshed", true},
		{"idle too long", account(t, false, login), 40 * time.Minute, "r-1", "", false},
		{"past the lifetime", account(t, false, login, rotated), 12*time.Hour + time.Minute, "r-2", "", false},
		{"logged out", account(t, false, login, identityapi.UserLoggedOut{SessionID: "s-1"}), 5 * time.Minute, "r-1", "", false},
		{"ended by a password change", account(t, false, login, identityapi.UserPasswordChanged{PasswordHash: "h", EndedSessions: []string{"s-1"}}), 5 * time.Minute, "r-1", "", false},
		{"unknown token", account(t, false, login), 5 * time.Minute, "r-9", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, _, err := tt.u.Refresh(fixed.Add(tt.at), "s-1", tt.presented, "r-new", policy)
			if types(evs) != tt.want || (err == nil) != tt.ok {
				t.Fatalf("events %s err %v; want %s ok %v", types(evs), err, tt.want, tt.ok)
			}
		})
	}
}

func TestUser_session_ending_events_list_open_sessions(t *testing.T) {
	u := account(t, false,
		identityapi.UserLoggedIn{SessionID: "s-1", RefreshTokenHash: "r-1", ExpiresAt: fixed.Add(12 * time.Hour)},
		identityapi.UserLoggedIn{SessionID: "s-2", RefreshTokenHash: "r-2", ExpiresAt: fixed.Add(12 * time.Hour)},
		identityapi.UserLoggedOut{SessionID: "s-1"})
	now := fixed.Add(time.Hour)
	evs, err := u.ChangeRole(now, identityapi.RoleSupervisor)
	if err != nil {
		t.Fatal(err)
	}
	if got := evs[0].(identityapi.UserRoleChanged).EndedSessions; strings.Join(got, ",") != "s-2" {
		t.Fatalf("ended %v, want [s-2]", got)
	}
	if got := u.Disable(now)[0].(identityapi.UserDisabled).EndedSessions; strings.Join(got, ",") != "s-2" {
		t.Fatalf("disable ended %v", got)
	}
	if _, err := u.ChangeRole(now, "root"); problem.CodeOf(err) != problem.CodeValidation {
		t.Fatalf("unknown role: %v", err)
	}
}
