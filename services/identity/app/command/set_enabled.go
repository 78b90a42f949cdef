package command

import (
	"context"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/services/identity/domain/user"
)

// DisableHandler stops an account from signing in.
type DisableHandler struct{ d Deps }

// NewDisableHandler returns the handler.
func NewDisableHandler(d Deps) DisableHandler { return DisableHandler{d: d.check("NewDisableHandler")} }

// Handle (admins only) stores user.disabled, which ends every session. An
// enabled admin first leaves the admin roster, which refuses the last one;
// the account is then disabled only if nothing changed it meanwhile (a
// concurrent enable or promotion would otherwise leave a disabled admin
// counted on the roster).
func (h DisableHandler) Handle(ctx context.Context, q identityapi.UserTarget) (identityapi.User, error) {
	if err := requireAdmin(ctx, "disable accounts"); err != nil {
		return identityapi.User{}, err
	}
	u, _, err := h.d.Users.Load(ctx, q.UserID)
	if err != nil {
		return identityapi.User{}, err
	}
	removed := u.Role() == identityapi.RoleAdmin && !u.Disabled()
	if removed {
		if err := h.d.removeAdmin(ctx, u.ID()); err != nil {
			return identityapi.User{}, err
		}
	}
	now := h.d.Now()
	updated, err := h.d.Users.Update(ctx, q.UserID, u.Version(), func(u *user.User) ([]events.Payload, error) {
		return u.Disable(now), nil
	})
	if err != nil {
		return identityapi.User{}, h.d.restoreAdmin(ctx, removed, u, err)
	}
	return updated.View(), nil
}

// EnableHandler lets a disabled account sign in again.
type EnableHandler struct{ d Deps }

// NewEnableHandler returns the handler.
func NewEnableHandler(d Deps) EnableHandler { return EnableHandler{d: d.check("NewEnableHandler")} }

// Handle (admins only) stores user.enabled; an admin returns to the
// roster. Enabling an enabled account changes nothing, not even the roster:
// a disable in flight may just have taken the account off it.
func (h EnableHandler) Handle(ctx context.Context, q identityapi.UserTarget) (identityapi.User, error) {
	if err := requireAdmin(ctx, "enable accounts"); err != nil {
		return identityapi.User{}, err
	}
	u, _, err := h.d.Users.Load(ctx, q.UserID)
	if err != nil {
		return identityapi.User{}, err
	}
	if !u.Disabled() {
		return u.View(), nil
	}
	updated, err := h.d.Users.Update(ctx, q.UserID, u.Version(), func(u *user.User) ([]events.Payload, error) {
		return u.Enable(), nil
	})
	if err != nil {
		return identityapi.User{}, err
	}
	if err := h.d.syncAdmin(ctx, updated); err != nil {
		return identityapi.User{}, err
	}
	return updated.View(), nil
}
