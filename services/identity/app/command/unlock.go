package command

import (
	"context"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/services/identity/domain/user"
)

// UnlockHandler lifts a lockout.
type UnlockHandler struct{ d Deps }

// NewUnlockHandler returns the handler.
func NewUnlockHandler(d Deps) UnlockHandler { return UnlockHandler{d: d.check("NewUnlockHandler")} }

// Handle (admins only) stores user.unlocked when the account is locked (a
// lock that ran out needs none) or has failures, and answers the account.
func (h UnlockHandler) Handle(ctx context.Context, q identityapi.UserTarget) (identityapi.User, error) {
	if err := requireAdmin(ctx, "unlock accounts"); err != nil {
		return identityapi.User{}, err
	}
	u, err := h.d.Users.Update(ctx, q.UserID, 0, func(u *user.User) ([]events.Payload, error) {
		return u.Unlock(h.d.Now()), nil
	})
	if err != nil {
		return identityapi.User{}, err
	}
	return u.View(), nil
}
