package identityapi

import "time"

// Event types of the user aggregate beyond user.registered: sign-in,
// lockout, sessions, passwords and administration. No event carries a plain
// password or a plain token; passwords are stored as hashes and refresh
// tokens as their SHA-256.
const (
	EventUserLoggedIn         = "user.logged_in"
	EventUserLoginFailed      = "user.login_failed"
	EventUserLocked           = "user.locked"
	EventUserUnlocked         = "user.unlocked"
	EventUserRoleChanged      = "user.role_changed"
	EventUserPasswordChanged  = "user.password_changed"
	EventUserPasswordRehashed = "user.password_rehashed"
	EventUserPasswordReset    = "user.password_reset"
	EventUserLoggedOut        = "user.logged_out"
	EventUserSessionRefreshed = "user.session_refreshed"
	EventUserSessionRevoked   = "user.session_revoked"
	EventUserDisabled         = "user.disabled"
	EventUserEnabled          = "user.enabled"
)

// Reasons of a failed login (user.login_failed; user.locked has
// wrong_password, the failure that locked the account).
const (
	LoginFailedWrongPassword = "wrong_password"
	LoginFailedLocked        = "locked"
	LoginFailedDisabled      = "disabled"
)

// UserLoggedIn is the payload of user.logged_in: a right password started a
// session. PasswordChangeRequired marks a restricted session, whose tokens
// only allow changing the password. PasswordHash, when set, is the
// password hashed again with the current algorithm and parameters (e.g.
// bcrypt to argon2id) at this login; the password is the same, so it is no
// change for the history or the expiry. It replaces a user.password_rehashed
// before the login, so that a login is one event. (Older streams also
// have a user.logged_in right after each user.password_changed; see
// UserPasswordChanged.)
type UserLoggedIn struct {
	SessionID              string    `json:"session_id"`
	RefreshTokenHash       string    `json:"refresh_token_hash"`
	ExpiresAt              time.Time `json:"expires_at"`
	PasswordChangeRequired bool      `json:"password_change_required,omitempty"`
	PasswordHash           string    `json:"password_hash,omitempty"`
}

// EventType implements events.Payload.
func (UserLoggedIn) EventType() string { return EventUserLoggedIn }

// SchemaVersion implements events.Payload.
func (UserLoggedIn) SchemaVersion() int { return 1 }

// UserLoginFailed is the payload of user.login_failed. Failures counts the
// failures within the lockout window, this one included.
type UserLoginFailed struct {
	Reason   string `json:"reason" jsonschema:"enum=wrong_password,enum=locked,enum=disabled"`
	Failures int    `json:"failures"`
}

// EventType implements events.Payload.
func (UserLoginFailed) EventType() string { return EventUserLoginFailed }

// SchemaVersion implements events.Payload.
func (UserLoginFailed) SchemaVersion() int { return 1 }

// UserLocked is the payload of user.locked: too many failures; no login
// succeeds until Until, and the lock ends then without another event. It
// is also the record of the failure that reached the threshold (Reason
// wrong_password; Failures counts it): that failure has no
// user.login_failed of its own. (Streams written before Reason existed
// have a user.login_failed before each user.locked, and no Reason.) A lock
// forgets the failures that led to it: after it, the count starts at 0.
// EndedSessions lists the sessions it ended.
type UserLocked struct {
	Until         time.Time `json:"until"`
	Failures      int       `json:"failures"`
	Reason        string    `json:"reason,omitempty" jsonschema:"enum=wrong_password"`
	EndedSessions []string  `json:"ended_sessions,omitempty"`
}

// EventType implements events.Payload.
func (UserLocked) EventType() string { return EventUserLocked }

// SchemaVersion implements events.Payload.
func (UserLocked) SchemaVersion() int { return 1 }

// UserUnlocked is the payload of user.unlocked: an admin unlocked the
// account and its failures are forgotten. Automatic marks the events older
// streams have where a lock had run out at the next login attempt; the
// service no longer stores them (a lock ends at its Until), but rebuilding
// still applies them.
type UserUnlocked struct {
	Automatic bool `json:"automatic,omitempty"`
}

// EventType implements events.Payload.
func (UserUnlocked) EventType() string { return EventUserUnlocked }

// SchemaVersion implements events.Payload.
func (UserUnlocked) SchemaVersion() int { return 1 }

// UserRoleChanged is the payload of user.role_changed; it ends the user's
// sessions, whose tokens carry the old role.
type UserRoleChanged struct {
	Role          string   `json:"role" jsonschema:"enum=admin,enum=agent,enum=customer,enum=supervisor,enum=auditor"`
	PreviousRole  string   `json:"previous_role"`
	EndedSessions []string `json:"ended_sessions,omitempty"`
}

// EventType implements events.Payload.
func (UserRoleChanged) EventType() string { return EventUserRoleChanged }

// SchemaVersion implements events.Payload.
func (UserRoleChanged) SchemaVersion() int { return 1 }

// UserPasswordChanged is the payload of user.password_changed: the user
// chose a new password; every session listed in EndedSessions ends, and
// the new, unrestricted session SessionID (refresh token hash
// RefreshTokenHash, absolute end ExpiresAt) starts. Streams written before
// the session was part of this event have no SessionID here and a
// user.logged_in right after it instead.
type UserPasswordChanged struct {
	PasswordHash     string    `json:"password_hash"`
	EndedSessions    []string  `json:"ended_sessions,omitempty"`
	SessionID        string    `json:"session_id,omitempty"`
	RefreshTokenHash string    `json:"refresh_token_hash,omitempty"`
	ExpiresAt        time.Time `json:"expires_at,omitzero"`
}

// EventType implements events.Payload.
func (UserPasswordChanged) EventType() string { return EventUserPasswordChanged }

// SchemaVersion implements events.Payload.
func (UserPasswordChanged) SchemaVersion() int { return 1 }

// UserPasswordRehashed is the payload of user.password_rehashed: at a
// successful login the password was hashed again with the current
// algorithm and parameters (e.g. bcrypt to argon2id). The password is the
// same, so it is not a change for the history or the expiry. Only older
// streams have it: a login now carries the new hash in
// UserLoggedIn.PasswordHash. Rebuilding still applies it.
type UserPasswordRehashed struct {
	PasswordHash string `json:"password_hash"`
}

// EventType implements events.Payload.
func (UserPasswordRehashed) EventType() string { return EventUserPasswordRehashed }

// SchemaVersion implements events.Payload.
func (UserPasswordRehashed) SchemaVersion() int { return 1 }

// UserPasswordReset is the payload of user.password_reset: an admin set a
// generated temporary password, which must be changed at the next login;
// every session ends.
type UserPasswordReset struct {
	PasswordHash  string   `json:"password_hash"`
	EndedSessions []string `json:"ended_sessions,omitempty"`
}

// EventType implements events.Payload.
func (UserPasswordReset) EventType() string { return EventUserPasswordReset }

// SchemaVersion implements events.Payload.
func (UserPasswordReset) SchemaVersion() int { return 1 }

// UserLoggedOut is the payload of user.logged_out: the session ended.
type UserLoggedOut struct {
	SessionID string `json:"session_id"`
}

// EventType implements events.Payload.
func (UserLoggedOut) EventType() string { return EventUserLoggedOut }

// SchemaVersion implements events.Payload.
func (UserLoggedOut) SchemaVersion() int { return 1 }

// UserSessionRefreshed is the payload of user.session_refreshed: the
// session's refresh token was rotated; the earlier one stops working.
type UserSessionRefreshed struct {
	SessionID        string `json:"session_id"`
	RefreshTokenHash string `json:"refresh_token_hash"`
}

// EventType implements events.Payload.
func (UserSessionRefreshed) EventType() string { return EventUserSessionRefreshed }

// SchemaVersion implements events.Payload.
func (UserSessionRefreshed) SchemaVersion() int { return 1 }

// Reasons a session is revoked (user.session_revoked).
const (
	// SessionRevokedTokenReuse: a rotated refresh token was presented again,
	// so it may have been stolen.
	SessionRevokedTokenReuse = "refresh_token_reuse"
)

// UserSessionRevoked is the payload of user.session_revoked: the system
// ended a session.
type UserSessionRevoked struct {
	SessionID string `json:"session_id"`
	Reason    string `json:"reason" jsonschema:"enum=refresh_token_reuse"`
}

// EventType implements events.Payload.
func (UserSessionRevoked) EventType() string { return EventUserSessionRevoked }

// SchemaVersion implements events.Payload.
func (UserSessionRevoked) SchemaVersion() int { return 1 }

// UserDisabled is the payload of user.disabled: no login succeeds until
// user.enabled; every session ends.
type UserDisabled struct {
	EndedSessions []string `json:"ended_sessions,omitempty"`
}

// EventType implements events.Payload.
func (UserDisabled) EventType() string { return EventUserDisabled }

// SchemaVersion implements events.Payload.
func (UserDisabled) SchemaVersion() int { return 1 }

// UserEnabled is the payload of user.enabled.
type UserEnabled struct{}

// EventType implements events.Payload.
func (UserEnabled) EventType() string { return EventUserEnabled }

// SchemaVersion implements events.Payload.
func (UserEnabled) SchemaVersion() int { return 1 }

// Event types of the admin roster, the one aggregate that counts the
// enabled admins so that the last one cannot be demoted or disabled.
const (
	EventAdminAdded   = "admin_roster.admin_added"
	EventAdminRemoved = "admin_roster.admin_removed"
)

// AdminAdded is the payload of admin_roster.admin_added.
type AdminAdded struct {
	UserID string `json:"user_id"`
}

// EventType implements events.Payload.
func (AdminAdded) EventType() string { return EventAdminAdded }

// SchemaVersion implements events.Payload.
func (AdminAdded) SchemaVersion() int { return 1 }

// AdminRemoved is the payload of admin_roster.admin_removed.
type AdminRemoved struct {
	UserID string `json:"user_id"`
}

// EventType implements events.Payload.
func (AdminRemoved) EventType() string { return EventAdminRemoved }

// SchemaVersion implements events.Payload.
func (AdminRemoved) SchemaVersion() int { return 1 }

// SessionEnding lists the sessions an identity event ends, for consumers
// that revoke access tokens (the gateway): logout and revocation end one,
// lock, password change and reset, role change and disabling end those
// listed. ok is false for events that end no session.
func SessionEnding(eventType string, decode func(any) error) (sessions []string, ok bool, err error) {
	switch eventType {
	case EventUserLoggedOut:
		var p UserLoggedOut
		err = decode(&p)
		return []string{p.SessionID}, true, err
	case EventUserSessionRevoked:
		var p UserSessionRevoked
		err = decode(&p)
		return []string{p.SessionID}, true, err
	case EventUserLocked:
		var p UserLocked
		err = decode(&p)
		return p.EndedSessions, true, err
	case EventUserPasswordChanged:
		var p UserPasswordChanged
		err = decode(&p)
		return p.EndedSessions, true, err
	case EventUserPasswordReset:
		var p UserPasswordReset
		err = decode(&p)
		return p.EndedSessions, true, err
	case EventUserRoleChanged:
		var p UserRoleChanged
		err = decode(&p)
		return p.EndedSessions, true, err
	case EventUserDisabled:
		var p UserDisabled
		err = decode(&p)
		return p.EndedSessions, true, err
	}
	return nil, false, nil
}
