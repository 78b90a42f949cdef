package command

import (
	"context"
	"errors"
	"fmt"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/services/identity/domain/roster"
	"helpdesk/services/identity/domain/user"
)

// ChangeRoleHandler gives an account another role.
type ChangeRoleHandler struct{ d Deps }

// NewChangeRoleHandler returns the handler.
func NewChangeRoleHandler(d Deps) ChangeRoleHandler {
	return ChangeRoleHandler{d: d.check("NewChangeRoleHandler")}
}

// Handle (admins only) stores user.role_changed. Demoting an enabled admin
// first takes them off the admin roster, which refuses the last one
// (conflict); promoting adds them after.
func (h ChangeRoleHandler) Handle(ctx context.Context, cmd identityapi.ChangeRole) (identityapi.User, error) {
	if err := requireAdmin(ctx, "change roles"); err != nil {
		return identityapi.User{}, err
	}
	u, _, err := h.d.Users.Load(ctx, cmd.UserID)
	if err != nil {
		return identityapi.User{}, err
	}
	now := h.d.Now()
	if evs, err := u.ChangeRole(now, cmd.Role); err != nil || len(evs) == 0 {
		// No change, not even to the roster: a disable or demotion in
		// flight may just have taken the account off it.
		return u.View(), err
	}
	removed := u.Role() == identityapi.RoleAdmin && cmd.Role != identityapi.RoleAdmin && !u.Disabled()
	if removed {
		if err := h.d.removeAdmin(ctx, u.ID()); err != nil {
			return identityapi.User{}, err
		}
	}
	// Only if nothing changed the account meanwhile (see DisableHandler).
	updated, err := h.d.Users.Update(ctx, cmd.UserID, u.Version(), func(u *user.User) ([]events.Payload, error) {
		return u.ChangeRole(now, cmd.Role)
	})
	if err != nil {
		return identityapi.User{}, h.d.restoreAdmin(ctx, removed, u, err)
	}
	if err := h.d.syncAdmin(ctx, updated); err != nil {
		return identityapi.User{}, err
	}
	return updated.View(), nil
}

// removeAdmin takes an admin off the roster before they stop being an
// enabled admin; the roster refuses the last one.
func (d Deps) removeAdmin(ctx context.Context, userID string) error {
	_, err := d.Roster.Update(ctx, roster.ID, 0, func(r *roster.Roster) ([]events.Payload, error) {
		return r.Remove(userID)
	})
	if err != nil {
		return fmt.Errorf("admin roster: %w", err)
	}
	return nil
}

// restoreAdmin puts u back on the roster when removed says it was taken off
// for a change that then failed with err (the account changed meanwhile: a
// login, a refresh), so that the roster does not count one admin too few;
// it returns err.
func (d Deps) restoreAdmin(ctx context.Context, removed bool, u *user.User, err error) error {
	if removed {
		if addErr := d.syncAdmin(ctx, u); addErr != nil {
			return errors.Join(err, addErr)
		}
	}
	return err
}

// syncAdmin puts an enabled admin on the roster (after the account became
// one).
func (d Deps) syncAdmin(ctx context.Context, u *user.User) error {
	if u.Role() != identityapi.RoleAdmin || u.Disabled() {
		return nil
	}
	_, err := d.Roster.Update(ctx, roster.ID, 0, func(r *roster.Roster) ([]events.Payload, error) {
		return r.Add(u.ID()), nil
	})
	if err != nil {
		return fmt.Errorf("admin roster: %w", err)
	}
	return nil
}
