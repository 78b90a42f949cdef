package command

import (
	"context"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/services/identity/domain/user"
)

// RefreshHandler rotates a session's refresh token.
type RefreshHandler struct{ d Deps }

// NewRefreshHandler returns the handler.
func NewRefreshHandler(d Deps) RefreshHandler { return RefreshHandler{d: d.check("NewRefreshHandler")} }

// Handle answers the session with a new refresh token; the presented one
// stops working, and presenting it again ends the session.
func (h RefreshHandler) Handle(ctx context.Context, q identityapi.Refresh) (identityapi.Session, error) {
	// One answer for a malformed token, an unknown account and an ended
	// session: account ids derive from usernames, so a forged token must
	// not tell whether its account exists.
	bad := user.ErrSessionEnded
	userID, sid, ok := parseToken(q.RefreshToken)
	if !ok {
		return identityapi.Session{}, bad
	}
	u, _, err := h.d.Users.Load(ctx, userID)
	if problem.CodeOf(err) == problem.CodeNotFound {
		return identityapi.Session{}, bad
	}
	if err != nil {
		return identityapi.Session{}, err
	}
	token, err := refreshToken(userID, sid)
	if err != nil {
		return identityapi.Session{}, err
	}
	next := user.NewSession{ID: sid, RefreshHash: tokenHash(token)}
	now := h.d.Now()
	var restricted bool
	updated, err := h.d.updateWithOutcome(asUser(ctx, u), userID, func(u *user.User) ([]events.Payload, error) {
		evs, r, err := u.Refresh(now, sid, tokenHash(q.RefreshToken), next.RefreshHash, h.d.Policy)
		restricted = r
		return evs, err
	})
	if err != nil {
		return identityapi.Session{}, err
	}
	return sessionOf(updated, next, token, updated.SessionExpires(sid), restricted), nil
}
