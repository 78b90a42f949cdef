package identityapi

import "time"

// ScopePasswordChange is the token scope of a restricted session: its user
// must change the password before doing anything else.
const ScopePasswordChange = "password_change"

// LoginFailedMessage is the one answer to every failed login (unknown user,
// wrong password, locked or disabled account), so that it reveals nothing.
const LoginFailedMessage = "wrong username or password, or the account is locked"

// Session is the answer of a login, a refresh and a password change: the
// account (its fields inline, so it decodes as a User too) and a session
// with a new refresh token. The refresh token is shown only here; the
// service keeps its hash.
type Session struct {
	User
	SessionID    string `json:"session_id"`
	RefreshToken string `json:"refresh_token"`
	// SessionExpiresAt is the absolute end of the session; idle sessions
	// end earlier.
	SessionExpiresAt time.Time `json:"session_expires_at"`
	// PasswordChangeRequired marks a restricted session: its tokens only
	// allow changing the password, signing out and reading the account.
	PasswordChangeRequired bool `json:"password_change_required"`
}

// Refresh rotates a session's refresh token (answer: Session).
type Refresh struct {
	RefreshToken string `json:"refresh_token"`
}

// Logout ends the caller's session (answer: Done).
type Logout struct {
	SessionID string `json:"session_id"`
}

// ChangePassword sets the caller's password; every session ends and a new
// one starts (answer: Session).
type ChangePassword struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// UserTarget names the account an admin operation acts on.
type UserTarget struct {
	UserID string `json:"user_id"`
}

// ChangeRole gives an account another role (admin only).
type ChangeRole struct {
	UserID string `json:"user_id"`
	Role   string `json:"role"`
}

// TemporaryPassword is the answer of an admin's password reset: a generated
// password, shown once, that must be changed at the next login.
type TemporaryPassword struct {
	TemporaryPassword string `json:"temporary_password"`
}

// Done is the empty answer of a command that returns nothing.
type Done struct{}
