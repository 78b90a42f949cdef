package user

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
)

// FromEvents rebuilds an account from its events.
func FromEvents(evs []events.Envelope) (*User, error) {
	u := &User{sessions: map[string]*session{}}
	for _, e := range evs {
		if err := u.apply(e); err != nil {
			return nil, fmt.Errorf("user %s: %s: %w", e.AggregateID, e.Type, err)
		}
		u.version = e.AggregateVersion
	}
	return u, nil
}

// apply folds one event into the account, whose first event must be
// user.registered.
func (u *User) apply(e events.Envelope) error {
	at := e.OccurredAt
	if u.id == "" && e.Type != identityapi.EventUserRegistered {
		return errors.New("the account's first event is not user.registered")
	}
	switch e.Type {
	case identityapi.EventUserRegistered:
		var p identityapi.UserRegistered
		if err := e.Decode(&p); err != nil {
			return err
		}
		u.id, u.username, u.displayName, u.role = e.AggregateID, p.Username, p.DisplayName, p.Role
		u.workNumber, u.createdAt = p.WorkNumber, at
		u.setPassword(p.PasswordHash, at, p.PasswordChangeRequired)
	case identityapi.EventUserLoginFailed:
		var p identityapi.UserLoginFailed
		if err := e.Decode(&p); err != nil {
			return err
		}
		if p.Reason == identityapi.LoginFailedWrongPassword {
			u.failures = append(u.failures, at)
		}
	case identityapi.EventUserLocked:
		var p identityapi.UserLocked
		if err := e.Decode(&p); err != nil {
			return err
		}
		// The lock forgets the failures that led to it (this one
		// included, when Reason says it stands for a failure): when it
		// ends at Until, with no event, the count starts afresh even if
		// the window is longer than the lock.
		u.lockedUntil, u.failures = p.Until, nil
		u.endSessions(p.EndedSessions)
	case identityapi.EventUserUnlocked:
		// By an admin; or, in older streams, automatic, at the first
		// attempt after the lock ran out.
		u.lockedUntil, u.failures = time.Time{}, nil
	case identityapi.EventUserLoggedIn:
		var p identityapi.UserLoggedIn
		if err := e.Decode(&p); err != nil {
			return err
		}
		if p.PasswordHash != "" {
			u.rehash(p.PasswordHash)
		}
		u.failures = nil
		u.openSession(p.SessionID, p.RefreshTokenHash, at, p.ExpiresAt, p.PasswordChangeRequired)
	case identityapi.EventUserSessionRefreshed:
		var p identityapi.UserSessionRefreshed
		if err := e.Decode(&p); err != nil {
			return err
		}
		if s := u.sessions[p.SessionID]; s != nil {
			s.rotated = append(s.rotated, s.refreshHash)
			s.refreshHash, s.lastUsed = p.RefreshTokenHash, at
		}
	case identityapi.EventUserLoggedOut:
		var p identityapi.UserLoggedOut
		if err := e.Decode(&p); err != nil {
			return err
		}
		u.endSessions([]string{p.SessionID})
	case identityapi.EventUserSessionRevoked:
		var p identityapi.UserSessionRevoked
		if err := e.Decode(&p); err != nil {
			return err
		}
		u.endSessions([]string{p.SessionID})
	case identityapi.EventUserPasswordChanged:
		var p identityapi.UserPasswordChanged
		if err := e.Decode(&p); err != nil {
			return err
		}
		u.endSessions(p.EndedSessions)
		u.setPassword(p.PasswordHash, at, false)
		// The user proved the current password. Older streams have no
		// session here but a user.logged_in next.
		u.failures = nil
		if p.SessionID != "" {
			u.openSession(p.SessionID, p.RefreshTokenHash, at, p.ExpiresAt, false)
		}
	case identityapi.EventUserPasswordRehashed:
		// Older streams only; a login now carries the hash.
		var p identityapi.UserPasswordRehashed
		if err := e.Decode(&p); err != nil {
			return err
		}
		u.rehash(p.PasswordHash)
	case identityapi.EventUserPasswordReset:
		var p identityapi.UserPasswordReset
		if err := e.Decode(&p); err != nil {
			return err
		}
		u.endSessions(p.EndedSessions)
		u.setPassword(p.PasswordHash, at, true)
	case identityapi.EventUserRoleChanged:
		var p identityapi.UserRoleChanged
		if err := e.Decode(&p); err != nil {
			return err
		}
		u.role = p.Role
		u.endSessions(p.EndedSessions)
	case identityapi.EventUserDisabled:
		var p identityapi.UserDisabled
		if err := e.Decode(&p); err != nil {
			return err
		}
		u.disabled = true
		u.endSessions(p.EndedSessions)
	case identityapi.EventUserEnabled:
		u.disabled = false
	default:
		return fmt.Errorf("unknown event type %q", e.Type)
	}
	return nil
}

// setPassword makes hash the current password, keeping the last
// HistorySize hashes.
func (u *User) setPassword(hash string, at time.Time, mustChange bool) {
	u.passwordHash, u.passwordChangedAt, u.mustChange = hash, at, mustChange
	u.history = append(u.history, hash)
	if len(u.history) > HistorySize {
		u.history = u.history[len(u.history)-HistorySize:]
	}
}

// rehash replaces the current password's hash with a new hash of the same
// password: not a change for the history or the expiry.
func (u *User) rehash(hash string) {
	u.passwordHash = hash
	u.history[len(u.history)-1] = hash
}

// openSession starts session id at at.
func (u *User) openSession(id, refreshHash string, at, expires time.Time, restricted bool) {
	u.sessions[id] = &session{refreshHash: refreshHash, lastUsed: at, expires: expires, restricted: restricted}
}

func (u *User) endSessions(ids []string) {
	for _, id := range ids {
		if s := u.sessions[id]; s != nil {
			s.ended = true
		}
	}
}

// openSessions returns the ids of the sessions that have not ended and not
// run out at now, sorted.
func (u *User) openSessions(now time.Time) []string {
	var ids []string
	for id, s := range u.sessions {
		if !s.ended && now.Before(s.expires) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// Version is the stream sequence of the account's last event.
func (u *User) Version() uint64 { return u.version }

// ID is the account id.
func (u *User) ID() string { return u.id }

// Role is the account's role.
func (u *User) Role() string { return u.role }

// Disabled reports whether an admin disabled the account.
func (u *User) Disabled() bool { return u.disabled }

// PasswordHash is the stored hash of the account's password.
func (u *User) PasswordHash() string { return u.passwordHash }

// View is the public view of the account.
func (u *User) View() identityapi.User {
	return identityapi.User{
		ID: u.id, Username: u.username, Role: u.role, DisplayName: u.displayName,
		WorkNumber: u.workNumber, Version: u.version, CreatedAt: u.createdAt, Disabled: u.disabled,
	}
}
