// Package command holds the identity service's command handlers, one use
// case per file.
package command

import (
	"context"
	"fmt"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/rpc"
	"helpdesk/services/identity/domain/user"
)

// RegisterUserHandler creates accounts. Only admins and the system (for the
// first admin) may register users.
type RegisterUserHandler struct {
	repo *aggregate.Repository[*user.User]
	hash func(string) (string, error)
}

// NewRegisterUserHandler returns a handler storing accounts in repo and
// hashing passwords with hash.
func NewRegisterUserHandler(repo *aggregate.Repository[*user.User], hash func(string) (string, error)) RegisterUserHandler {
	if repo == nil || hash == nil {
		panic("NewRegisterUserHandler: nil dependency")
	}
	return RegisterUserHandler{repo: repo, hash: hash}
}

// Handle registers the account described by cmd.
func (h RegisterUserHandler) Handle(ctx context.Context, cmd identityapi.RegisterUser) (identityapi.User, error) {
	caller := rpc.CallerFrom(ctx)
	if caller.Role != identityapi.RoleAdmin && caller.Role != "system" {
		return identityapi.User{}, problem.New(problem.CodePermissionDenied, "only admins can create accounts")
	}
	id := user.IDFor(cmd.Username)
	u, err := h.repo.Create(ctx, id, func() ([]events.Payload, error) {
		return user.Register(cmd, h.hash)
	})
	if problem.CodeOf(err) == problem.CodeConflict {
		return identityapi.User{}, problem.New(problem.CodeConflict, "username %q is taken", user.NormalizeUsername(cmd.Username))
	}
	if err != nil {
		return identityapi.User{}, fmt.Errorf("register %s: %w", cmd.Username, err)
	}
	return u.View(), nil
}
