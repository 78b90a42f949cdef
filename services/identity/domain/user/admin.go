package user

import (
	"fmt"
	"strings"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
)

// ChangePassword sets a new password chosen by the user, who proved the
// current one (currentOK). The new password must follow the rules and
// differ from the last HistorySize; verify compares a password with a
// stored hash, hash makes the new one. Every session ends and s starts.
// Like Login it returns events to store and the outcome apart: a wrong
// current password is a failure toward the lockout. It returns at most one
// event: user.password_changed carries the new session, and a wrong
// current password is one user.login_failed or user.locked.
func (u *User) ChangePassword(now time.Time, currentOK bool, newPassword string, s NewSession, p Policy,
	verify func(hash, pw string) bool, hash func(string) (string, error)) ([]events.Payload, error) {
	if u.disabled || u.Locked(now) {
		return nil, ErrSessionEnded
	}
	if !currentOK {
		return []events.Payload{u.fail(now, p)}, problem.Validation(problem.FieldError{Field: "current_password", Message: "is not the current password"})
	}
	if err := CheckPassword("new_password", newPassword, u.username); err != nil {
		return nil, err
	}
	for _, old := range u.history {
		if verify(old, newPassword) {
			return nil, problem.Validation(problem.FieldError{Field: "new_password",
				Message: fmt.Sprintf("must differ from the last %d passwords", HistorySize)})
		}
	}
	h, err := hash(newPassword)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	return []events.Payload{identityapi.UserPasswordChanged{
		PasswordHash: h, EndedSessions: u.openSessions(now),
		SessionID: s.ID, RefreshTokenHash: s.RefreshHash, ExpiresAt: now.Add(p.SessionLifetime),
	}}, nil
}

// ResetPassword sets a temporary password (its hash) chosen by an admin or
// generated; the user must change it at the next login. Every session
// ends.
func (u *User) ResetPassword(now time.Time, hash string) []events.Payload {
	return []events.Payload{identityapi.UserPasswordReset{PasswordHash: hash, EndedSessions: u.openSessions(now)}}
}

// Unlock lifts a lock and forgets the failures; an account that is not
// locked at now (a lock that ran out needs no unlock) and has no failures
// stays as it is.
func (u *User) Unlock(now time.Time) []events.Payload {
	if !u.Locked(now) && len(u.failures) == 0 {
		return nil
	}
	return []events.Payload{identityapi.UserUnlocked{}}
}

// ChangeRole gives the account another role; its sessions end, as their
// tokens carry the old role. The same role changes nothing.
func (u *User) ChangeRole(now time.Time, role string) ([]events.Payload, error) {
	if !validRole(role) {
		return nil, problem.Validation(problem.FieldError{Field: "role", Message: "must be one of " + strings.Join(identityapi.Roles, ", ")})
	}
	if role == u.role {
		return nil, nil
	}
	return []events.Payload{identityapi.UserRoleChanged{Role: role, PreviousRole: u.role, EndedSessions: u.openSessions(now)}}, nil
}

// Disable stops every login and ends every session.
func (u *User) Disable(now time.Time) []events.Payload {
	if u.disabled {
		return nil
	}
	return []events.Payload{identityapi.UserDisabled{EndedSessions: u.openSessions(now)}}
}

// Enable lets the account sign in again.
func (u *User) Enable() []events.Payload {
	if !u.disabled {
		return nil
	}
	return []events.Payload{identityapi.UserEnabled{}}
}
