package command

import (
	"context"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/infra/rpc"
	"helpdesk/services/identity/domain/user"
)

// ChangePasswordHandler lets the signed-in user choose a new password.
type ChangePasswordHandler struct{ d Deps }

// NewChangePasswordHandler returns the handler.
func NewChangePasswordHandler(d Deps) ChangePasswordHandler {
	return ChangePasswordHandler{d: d.check("NewChangePasswordHandler")}
}

// Handle checks the current password and the rules for the new one, stores
// user.password_changed (every session ends) and starts an unrestricted
// session, which that one event carries. A wrong current password is a validation error on
// current_password (422) that counts toward the lockout.
func (h ChangePasswordHandler) Handle(ctx context.Context, cmd identityapi.ChangePassword) (identityapi.Session, error) {
	caller := rpc.CallerFrom(ctx)
	u, _, err := h.d.Users.Load(ctx, caller.ID)
	if err != nil {
		return identityapi.Session{}, err
	}
	checked := u.PasswordHash()
	ok := h.d.Passwords.Verify(checked, cmd.CurrentPassword)
	s, token, err := newSession(u.ID())
	if err != nil {
		return identityapi.Session{}, err
	}
	now := h.d.Now()
	updated, err := h.d.updateWithOutcome(ctx, u.ID(), func(u *user.User) ([]events.Payload, error) {
		if u.PasswordHash() != checked {
			// The password changed since the check: check again.
			checked = u.PasswordHash()
			ok = h.d.Passwords.Verify(checked, cmd.CurrentPassword)
		}
		return u.ChangePassword(now, ok, cmd.NewPassword, s, h.d.Policy, h.d.Passwords.Verify, h.d.Passwords.Hash)
	})
	if err != nil {
		return identityapi.Session{}, err
	}
	return sessionOf(updated, s, token, updated.SessionExpires(s.ID), false), nil
}
