package command

import (
	"context"
	"crypto/rand"
	"encoding/base64"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/services/identity/domain/user"
)

// ResetPasswordHandler gives an account a generated temporary password.
type ResetPasswordHandler struct{ d Deps }

// NewResetPasswordHandler returns the handler.
func NewResetPasswordHandler(d Deps) ResetPasswordHandler {
	return ResetPasswordHandler{d: d.check("NewResetPasswordHandler")}
}

// Handle (admins only) stores user.password_reset and answers the
// temporary password, which exists nowhere else: the user must change it
// at the next login.
func (h ResetPasswordHandler) Handle(ctx context.Context, q identityapi.UserTarget) (identityapi.TemporaryPassword, error) {
	if err := requireAdmin(ctx, "reset passwords"); err != nil {
		return identityapi.TemporaryPassword{}, err
	}
	pw := GeneratePassword()
	hash, err := h.d.Passwords.Hash(pw)
	if err != nil {
		return identityapi.TemporaryPassword{}, err
	}
	now := h.d.Now()
	if _, err := h.d.Users.Update(ctx, q.UserID, 0, func(u *user.User) ([]events.Payload, error) {
		return u.ResetPassword(now, hash), nil
	}); err != nil {
		return identityapi.TemporaryPassword{}, err
	}
	return identityapi.TemporaryPassword{TemporaryPassword: pw}, nil
}

// GeneratePassword returns a random password that meets the password
// rules: 144 random bits with every character class.
func GeneratePassword() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return "Hd-" + base64.RawURLEncoding.EncodeToString(b) + "9a"
}
