package user

import (
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
)

// session is a login's state: the hash of its current refresh token, the
// hashes of the rotated ones, and when it was last used.
type session struct {
	refreshHash string
	rotated     []string
	lastUsed    time.Time
	expires     time.Time
	restricted  bool
	ended       bool
}

// ErrSessionEnded is the answer to a refresh that cannot go on, whatever
// the reason: unknown account or session, ended or run-out session, or a
// token that is not the session's (the answer must not tell which).
var ErrSessionEnded = problem.New(problem.CodeUnauthenticated, "the session has ended; sign in again")

// Refresh rotates the refresh token of session id, presented as the hash
// presented, to next. Like Login it returns events to store and the outcome
// apart: a rotated (already used) token revokes the session, an event to
// store with an error outcome. restricted tells whether the session only
// allows a password change.
func (u *User) Refresh(now time.Time, id, presented, next string, p Policy) (evs []events.Payload, restricted bool, err error) {
	s := u.sessions[id]
	switch {
	case s == nil || s.ended || u.disabled || u.Locked(now):
		return nil, false, ErrSessionEnded
	case presented != s.refreshHash:
		for _, old := range s.rotated {
			if old == presented {
				return []events.Payload{identityapi.UserSessionRevoked{SessionID: id, Reason: identityapi.SessionRevokedTokenReuse}}, false, ErrSessionEnded
			}
		}
		return nil, false, ErrSessionEnded
	case !now.Before(s.expires):
		return nil, false, ErrSessionEnded
	case now.Sub(s.lastUsed) >= p.IdleTimeout:
		return nil, false, problem.New(problem.CodeUnauthenticated, "the session timed out after %s without use; sign in again", p.IdleTimeout)
	}
	return []events.Payload{identityapi.UserSessionRefreshed{SessionID: id, RefreshTokenHash: next}}, s.restricted, nil
}

// Logout ends session id. Ending an ended or unknown session changes
// nothing.
func (u *User) Logout(id string) []events.Payload {
	if s := u.sessions[id]; s == nil || s.ended {
		return nil
	}
	return []events.Payload{identityapi.UserLoggedOut{SessionID: id}}
}

// SessionOpen reports whether session id exists, has not ended and has
// not run out at now.
func (u *User) SessionOpen(id string, now time.Time) bool {
	s := u.sessions[id]
	return s != nil && !s.ended && now.Before(s.expires)
}

// SessionExpires is the absolute end of session id (zero when unknown).
func (u *User) SessionExpires(id string) time.Time {
	if s := u.sessions[id]; s != nil {
		return s.expires
	}
	return time.Time{}
}
