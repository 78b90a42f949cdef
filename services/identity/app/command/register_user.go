// Package command holds the identity service's command handlers, one use
// case per file.
package command

import (
	"context"
	"fmt"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/infra/rpc"
	"helpdesk/services/identity/domain/user"
)

// RegisterUserHandler creates accounts. Only admins and the system (for the
// first admin) may register users.
type RegisterUserHandler struct {
	d Deps
	// chosenByAdminIsFinal: see NewRegisterUserHandler.
	chosenByAdminIsFinal bool
}

// NewRegisterUserHandler returns the handler. Accounts an admin creates
// must change their password at first login, unless chosenByAdminIsFinal
// (for tests and load generation only: never in production).
func NewRegisterUserHandler(d Deps, chosenByAdminIsFinal bool) RegisterUserHandler {
	return RegisterUserHandler{d: d.check("NewRegisterUserHandler"), chosenByAdminIsFinal: chosenByAdminIsFinal}
}

// Handle registers the account described by cmd; a new admin joins the
// admin roster.
func (h RegisterUserHandler) Handle(ctx context.Context, cmd identityapi.RegisterUser) (identityapi.User, error) {
	caller := rpc.CallerFrom(ctx)
	if caller.Role != identityapi.RoleAdmin && caller.Role != identityapi.RoleSystem {
		return identityapi.User{}, problem.New(problem.CodePermissionDenied, "only admins can create accounts")
	}
	return h.register(ctx, cmd, caller.Role == identityapi.RoleAdmin && !h.chosenByAdminIsFinal)
}

// RegisterBootstrap registers an account for the system (the first admin);
// mustChange says whether its password must be changed at first login.
func (h RegisterUserHandler) RegisterBootstrap(ctx context.Context, cmd identityapi.RegisterUser, mustChange bool) (identityapi.User, error) {
	return h.register(rpc.WithCaller(ctx, rpc.Caller{ID: "system:bootstrap", Role: identityapi.RoleSystem}), cmd, mustChange)
}

func (h RegisterUserHandler) register(ctx context.Context, cmd identityapi.RegisterUser, mustChange bool) (identityapi.User, error) {
	id := user.IDFor(cmd.Username)
	u, err := h.d.Users.Create(ctx, id, func() ([]events.Payload, error) {
		return user.Register(cmd, h.d.Passwords.Hash, mustChange)
	})
	if problem.CodeOf(err) == problem.CodeConflict {
		return identityapi.User{}, problem.New(problem.CodeConflict, "username %q is taken", user.NormalizeUsername(cmd.Username))
	}
	if err != nil {
		return identityapi.User{}, fmt.Errorf("register %s: %w", cmd.Username, err)
	}
	if err := h.d.syncAdmin(ctx, u); err != nil {
		return identityapi.User{}, err
	}
	return u.View(), nil
}

// EnsureOnRoster puts an existing enabled admin on the roster: accounts of
// data made before the roster existed.
func (h RegisterUserHandler) EnsureOnRoster(ctx context.Context, userID string) error {
	u, _, err := h.d.Users.Load(ctx, userID)
	if err != nil {
		return err
	}
	return h.d.syncAdmin(ctx, u)
}
