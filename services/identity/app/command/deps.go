package command

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/rpc"
	"helpdesk/services/identity/domain/roster"
	"helpdesk/services/identity/domain/user"
)

// Passwords hashes and verifies passwords.
type Passwords interface {
	// Hash returns the stored form of a password.
	Hash(pw string) (string, error)
	// Verify compares a password with a stored hash in constant time.
	Verify(hash, pw string) bool
	// VerifyNothing spends the time of a Verify, for unknown users.
	VerifyNothing(pw string)
	// NeedsRehash reports whether a stored hash should be made again.
	NeedsRehash(hash string) bool
}

// Deps are what the account commands share.
type Deps struct {
	Users     *aggregate.Repository[*user.User]
	Roster    *aggregate.Repository[*roster.Roster]
	Passwords Passwords
	Policy    user.Policy
	// Now is the clock; default time.Now.
	Now func() time.Time
}

func (d Deps) check(name string) Deps {
	if d.Users == nil || d.Roster == nil || d.Passwords == nil {
		panic(name + ": nil dependency")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return d
}

// newSession makes a session id and its first refresh token, and returns
// the token with the session to store (which keeps only the token's hash).
func newSession(userID string) (user.NewSession, string, error) {
	sid := uuid.NewString()
	token, err := refreshToken(userID, sid)
	if err != nil {
		return user.NewSession{}, "", err
	}
	return user.NewSession{ID: sid, RefreshHash: tokenHash(token)}, token, nil
}

// refreshToken makes a refresh token "<user id>.<session id>.<secret>".
func refreshToken(userID, sid string) (string, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", fmt.Errorf("refresh token: %w", err)
	}
	return userID + "." + sid + "." + base64.RawURLEncoding.EncodeToString(secret), nil
}

// tokenHash is the stored form of a refresh token: its SHA-256, hex. The
// token is 256 random bits, so a fast hash is enough.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// parseToken splits a refresh token into its user and session ids.
func parseToken(token string) (userID, sessionID string, ok bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || uuid.Validate(parts[0]) != nil || uuid.Validate(parts[1]) != nil || parts[2] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// sessionOf is the answer carrying a new session.
func sessionOf(u *user.User, s user.NewSession, token string, expires time.Time, restricted bool) identityapi.Session {
	return identityapi.Session{User: u.View(), SessionID: s.ID, RefreshToken: token, SessionExpiresAt: expires, PasswordChangeRequired: restricted}
}

// requireAdmin refuses callers that are not admins.
func requireAdmin(ctx context.Context, what string) error {
	if rpc.CallerFrom(ctx).Role != identityapi.RoleAdmin {
		return problem.New(problem.CodePermissionDenied, "only admins can %s", what)
	}
	return nil
}

// asUser makes the account itself the actor of the events a command
// stores (a login is the user's act, though the gateway asks for it).
func asUser(ctx context.Context, u *user.User) context.Context {
	c := rpc.CallerFrom(ctx)
	c.ID, c.Role = u.ID(), u.Role()
	return rpc.WithCaller(ctx, c)
}

// updateWithOutcome runs a domain method that returns events to store
// together with an outcome error that must not stop them being stored
// (failed logins count toward the lockout). It returns the updated account
// and the outcome.
func (d Deps) updateWithOutcome(ctx context.Context, id string, fn func(*user.User) ([]events.Payload, error)) (*user.User, error) {
	var outcome error
	u, err := d.Users.Update(ctx, id, 0, func(u *user.User) ([]events.Payload, error) {
		evs, out := fn(u)
		outcome = out
		return evs, nil
	})
	if err != nil {
		return nil, err
	}
	return u, outcome
}
