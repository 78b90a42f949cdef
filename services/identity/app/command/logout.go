package command

import (
	"context"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/infra/rpc"
	"helpdesk/services/identity/domain/user"
)

// LogoutHandler ends the caller's session.
type LogoutHandler struct{ d Deps }

// NewLogoutHandler returns the handler.
func NewLogoutHandler(d Deps) LogoutHandler { return LogoutHandler{d: d.check("NewLogoutHandler")} }

// Handle ends session q.SessionID of the calling user (user.logged_out).
// Ending an ended session is fine.
func (h LogoutHandler) Handle(ctx context.Context, q identityapi.Logout) (identityapi.Done, error) {
	caller := rpc.CallerFrom(ctx)
	if q.SessionID == "" {
		return identityapi.Done{}, problem.New(problem.CodeInvalidArgument, "the access token has no session; sign in again")
	}
	_, err := h.d.Users.Update(ctx, caller.ID, 0, func(u *user.User) ([]events.Payload, error) {
		return u.Logout(q.SessionID), nil
	})
	return identityapi.Done{}, err
}
