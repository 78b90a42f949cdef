package gateway

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
)

// authRoutes adds the session and account-administration routes: refresh
// (public), logout and password change (any signed-in user), and the
// admin operations on accounts.
func (s *Server) authRoutes(api, authed *echo.Group) {
	handle(api, http.MethodPost, "/auth/refresh", authz.AuthRefresh, s.refresh)
	handle(authed, http.MethodPost, "/auth/logout", authz.AuthLogout, s.logout)
	handle(authed, http.MethodPost, "/auth/password", authz.AuthPasswordChange, s.changePassword)
	handle(authed, http.MethodPut, "/users/:id/role", authz.UserRoleChange, s.changeRole)
	handle(authed, http.MethodPost, "/users/:id/password-reset", authz.UserPasswordReset, s.resetPassword)
	handle(authed, http.MethodPost, "/users/:id/unlock", authz.UserUnlock, s.userCommand(identityapi.EndpointUnlock))
	handle(authed, http.MethodPost, "/users/:id/disable", authz.UserDisable, s.userCommand(identityapi.EndpointDisable))
	handle(authed, http.MethodPost, "/users/:id/enable", authz.UserEnable, s.userCommand(identityapi.EndpointEnable))
}

// login exchanges a username and password for a token pair. Every failure
// is the identity service's one 401 (nothing tells whether the user
// exists); the per-address limiter stays in front of the account lockout.
func (s *Server) login(c *echo.Context) error {
	var req identityapi.Authenticate
	if err := decode(c, &req); err != nil {
		return err
	}
	key := strings.ToLower(strings.TrimSpace(req.Username)) + "|" + c.RealIP()
	now := time.Now()
	if wait := s.limiter.retryAfter(key, now); wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return problem.New(problem.CodeTooManyRequests, "too many failed sign-ins; try again later")
	}
	setCaller(c, systemCaller(c))
	sess, err := call[identityapi.Session](s, c, subjects.ServiceIdentity, identityapi.EndpointAuthenticate, req)
	if problem.CodeOf(err) == problem.CodeUnauthenticated {
		s.limiter.fail(key, now)
	}
	if err != nil {
		return err
	}
	s.limiter.succeed(key)
	return s.tokenPair(c, sess)
}

// refresh rotates a refresh token into a new token pair.
func (s *Server) refresh(c *echo.Context) error {
	var req identityapi.Refresh
	if err := decode(c, &req); err != nil {
		return err
	}
	setCaller(c, systemCaller(c))
	sess, err := call[identityapi.Session](s, c, subjects.ServiceIdentity, identityapi.EndpointRefresh, req)
	if err != nil {
		return err
	}
	return s.tokenPair(c, sess)
}

// logout ends the session of the access token; this gateway refuses its
// tokens at once, the others when the event reaches them.
func (s *Server) logout(c *echo.Context) error {
	sid := sessionOf(c)
	if sid == "" {
		return problem.New(problem.CodeInvalidArgument, "the access token has no session to end")
	}
	if _, err := call[identityapi.Done](s, c, subjects.ServiceIdentity, identityapi.EndpointLogout, identityapi.Logout{SessionID: sid}); err != nil {
		return err
	}
	s.revoked.add(sid, time.Now().Add(s.cfg.TokenTTL))
	return c.NoContent(http.StatusNoContent)
}

// changePassword sets the caller's password and answers a new,
// unrestricted token pair.
func (s *Server) changePassword(c *echo.Context) error {
	var req identityapi.ChangePassword
	if err := decode(c, &req); err != nil {
		return err
	}
	sess, err := call[identityapi.Session](s, c, subjects.ServiceIdentity, identityapi.EndpointChangePassword, req)
	if err != nil {
		return err
	}
	if sid := sessionOf(c); sid != "" {
		s.revoked.add(sid, time.Now().Add(s.cfg.TokenTTL))
	}
	return s.tokenPair(c, sess)
}

func (s *Server) changeRole(c *echo.Context) error {
	req := identityapi.ChangeRole{UserID: c.Param("id")}
	if err := decode(c, &req); err != nil {
		return err
	}
	req.UserID = c.Param("id")
	u, err := call[identityapi.User](s, c, subjects.ServiceIdentity, identityapi.EndpointChangeRole, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

func (s *Server) resetPassword(c *echo.Context) error {
	pw, err := call[identityapi.TemporaryPassword](s, c, subjects.ServiceIdentity, identityapi.EndpointResetPassword, identityapi.UserTarget{UserID: c.Param("id")})
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, pw)
}

// userCommand handles POST /users/:id/<command> without a body.
func (s *Server) userCommand(endpoint string) echo.HandlerFunc {
	return func(c *echo.Context) error {
		u, err := call[identityapi.User](s, c, subjects.ServiceIdentity, endpoint, identityapi.UserTarget{UserID: c.Param("id")})
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, u)
	}
}

// tokenPair answers a session as an access token and a refresh token. The
// access token lives TokenTTL, but not past the session's absolute end.
func (s *Server) tokenPair(c *echo.Context, sess identityapi.Session) error {
	scope := ""
	if sess.PasswordChangeRequired {
		scope = identityapi.ScopePasswordChange
	}
	now := time.Now()
	exp := now.Add(s.cfg.TokenTTL)
	if end := sess.SessionExpiresAt; !end.IsZero() && end.Before(exp) {
		exp = end
	}
	tok, err := s.issueToken(sess.ID, sess.Role, sess.DisplayName, sess.SessionID, scope, now, exp)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "Bearer", "expires_in": int(exp.Sub(now).Seconds()),
		"refresh_token": sess.RefreshToken, "password_change_required": sess.PasswordChangeRequired,
	})
}
