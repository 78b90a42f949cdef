package query

import (
	"context"

	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/rpc"
	"helpdesk/services/identity/domain/user"
)

// UserHandler returns one account. Staff and system callers see any
// account; others see only their own.
type UserHandler struct {
	repo *aggregate.Repository[*user.User]
}

// NewUserHandler returns a handler reading accounts from repo.
func NewUserHandler(repo *aggregate.Repository[*user.User]) UserHandler {
	if repo == nil {
		panic("NewUserHandler: nil dependency")
	}
	return UserHandler{repo: repo}
}

// Handle returns the account with q.UserID.
func (h UserHandler) Handle(ctx context.Context, q identityapi.GetUser) (identityapi.User, error) {
	caller := rpc.CallerFrom(ctx)
	if !identityapi.IsStaff(caller.Role) && caller.Role != "system" && caller.ID != q.UserID {
		return identityapi.User{}, problem.NotFound("user", q.UserID)
	}
	u, _, err := h.repo.Load(ctx, q.UserID)
	if err != nil {
		return identityapi.User{}, err
	}
	return u.View(), nil
}
