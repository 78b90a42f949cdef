package command

import (
	"context"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/services/identity/domain/user"
)

// LoginHandler checks a username and password and starts a session. Every
// failure — unknown user, wrong password, locked or disabled account — is
// the same error, and unknown users cost the same password check.
type LoginHandler struct{ d Deps }

// NewLoginHandler returns the handler.
func NewLoginHandler(d Deps) LoginHandler { return LoginHandler{d: d.check("NewLoginHandler")} }

// Handle logs in: it records the attempt as one event (user.logged_in,
// carrying the re-hashed password when the stored hash is outdated;
// user.login_failed; or user.locked for the failure that reaches the
// threshold) and answers the session.
func (h LoginHandler) Handle(ctx context.Context, q identityapi.Authenticate) (identityapi.Session, error) {
	u, _, err := h.d.Users.Load(ctx, user.IDFor(q.Username))
	if problem.CodeOf(err) == problem.CodeNotFound {
		h.d.Passwords.VerifyNothing(q.Password)
		return identityapi.Session{}, user.ErrLoginFailed
	}
	if err != nil {
		return identityapi.Session{}, err
	}
	checked := u.PasswordHash()
	ok := h.d.Passwords.Verify(checked, q.Password)
	var rehash string
	if ok && h.d.Passwords.NeedsRehash(checked) {
		if rehash, err = h.d.Passwords.Hash(q.Password); err != nil {
			return identityapi.Session{}, err
		}
	}
	s, token, err := newSession(u.ID())
	if err != nil {
		return identityapi.Session{}, err
	}
	now := h.d.Now()
	updated, err := h.d.updateWithOutcome(asUser(ctx, u), u.ID(), func(u *user.User) ([]events.Payload, error) {
		if u.PasswordHash() != checked {
			// The password changed since the check (a reset, a change, a
			// re-hash): check again, and keep no re-hash of the old one.
			checked, rehash = u.PasswordHash(), ""
			ok = h.d.Passwords.Verify(checked, q.Password)
		}
		return u.Login(now, ok, s, rehash, h.d.Policy)
	})
	if problem.CodeOf(err) == problem.CodeConflict {
		// Other attempts on the account won every retry. An unknown user
		// never races, so this answer too must be the one failure, or
		// parallel attempts would show which accounts exist. The attempt
		// stored nothing and started no session.
		return identityapi.Session{}, user.ErrLoginFailed
	}
	if err != nil {
		return identityapi.Session{}, err
	}
	restricted := updated.PasswordChangeRequired(now, h.d.Policy)
	return sessionOf(updated, s, token, now.Add(h.d.Policy.SessionLifetime), restricted), nil
}
