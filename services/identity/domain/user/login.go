package user

import (
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
)

// NewSession is a session the caller offers to start: a fresh random id and
// the SHA-256 of a fresh refresh token.
type NewSession struct {
	ID          string
	RefreshHash string
}

// ErrLoginFailed is the one error of every failed login.
var ErrLoginFailed = problem.New(problem.CodeUnauthenticated, identityapi.LoginFailedMessage)

// Login records a login attempt at now, whose password check gave
// passwordOK. It returns the events to store and, separately, the outcome:
// nil when the session started, ErrLoginFailed otherwise. The events are
// to be stored either way (failures count toward the lockout). rehash, when
// not empty, is a new hash of the (right) password to store; it goes in
// the user.logged_in.
//
// Login returns at most one event (so that it appends on NATS servers
// without atomic batches): user.logged_in, user.login_failed, or
// user.locked for the failure that reaches the threshold. A lock that ran
// out needs no event: Locked compares its end with now.
func (u *User) Login(now time.Time, passwordOK bool, s NewSession, rehash string, p Policy) ([]events.Payload, error) {
	switch {
	case u.disabled:
		return []events.Payload{identityapi.UserLoginFailed{Reason: identityapi.LoginFailedDisabled, Failures: len(u.recentFailures(now, p))}}, ErrLoginFailed
	case u.Locked(now):
		return []events.Payload{identityapi.UserLoginFailed{Reason: identityapi.LoginFailedLocked, Failures: len(u.recentFailures(now, p))}}, ErrLoginFailed
	case !passwordOK:
		return []events.Payload{u.fail(now, p)}, ErrLoginFailed
	}
	return []events.Payload{identityapi.UserLoggedIn{
		SessionID: s.ID, RefreshTokenHash: s.RefreshHash, ExpiresAt: now.Add(p.SessionLifetime),
		PasswordChangeRequired: u.PasswordChangeRequired(now, p), PasswordHash: rehash,
	}}, nil
}

// Locked reports whether the account is locked at now.
func (u *User) Locked(now time.Time) bool { return now.Before(u.lockedUntil) }

// PasswordChangeRequired reports whether the next session must change the
// password: an admin or the system chose it, or it expired.
func (u *User) PasswordChangeRequired(now time.Time, p Policy) bool {
	return u.mustChange || (p.PasswordMaxAge > 0 && !now.Before(u.passwordChangedAt.Add(p.PasswordMaxAge)))
}

// fail records a wrong password: user.login_failed, or, for the failure
// that reaches the threshold, user.locked alone (which stands for that
// failure too).
func (u *User) fail(now time.Time, p Policy) events.Payload {
	n := len(u.recentFailures(now, p)) + 1
	if n >= p.LockoutThreshold {
		return identityapi.UserLocked{Until: now.Add(p.LockoutDuration), Failures: n,
			Reason: identityapi.LoginFailedWrongPassword, EndedSessions: u.openSessions(now)}
	}
	return identityapi.UserLoginFailed{Reason: identityapi.LoginFailedWrongPassword, Failures: n}
}

// recentFailures are the wrong passwords within the lockout window (a
// lock, or an unlock, forgot the ones before it).
func (u *User) recentFailures(now time.Time, p Policy) []time.Time {
	i := 0
	for i < len(u.failures) && now.Sub(u.failures[i]) >= p.LockoutWindow {
		i++
	}
	return u.failures[i:]
}
