// Package query holds the identity service's query handlers.
package query

import (
	"context"

	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/infra/aggregate"
	"helpdesk/services/identity/domain/user"
)

// AuthenticateHandler checks a username and password.
type AuthenticateHandler struct {
	repo    *aggregate.Repository[*user.User]
	compare func(hash, password string) bool
	dummy   string
}

// NewAuthenticateHandler returns a handler reading accounts from repo;
// compare checks a password against a stored hash, and dummyHash is compared
// for unknown users so that their response takes as long as a wrong password.
func NewAuthenticateHandler(repo *aggregate.Repository[*user.User], compare func(hash, password string) bool, dummyHash string) AuthenticateHandler {
	if repo == nil || compare == nil {
		panic("NewAuthenticateHandler: nil dependency")
	}
	return AuthenticateHandler{repo: repo, compare: compare, dummy: dummyHash}
}

// Handle returns the account when the password matches; any failure is the
// same unauthenticated error, so callers cannot probe for usernames.
func (h AuthenticateHandler) Handle(ctx context.Context, q identityapi.Authenticate) (identityapi.User, error) {
	bad := problem.New(problem.CodeUnauthenticated, "wrong username or password")
	u, _, err := h.repo.Load(ctx, user.IDFor(q.Username))
	if problem.CodeOf(err) == problem.CodeNotFound {
		h.compare(h.dummy, q.Password)
		return identityapi.User{}, bad
	}
	if err != nil {
		return identityapi.User{}, err
	}
	if !h.compare(u.PasswordHash(), q.Password) {
		return identityapi.User{}, bad
	}
	return u.View(), nil
}
