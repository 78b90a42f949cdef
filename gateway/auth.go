package gateway

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/labstack/echo/v5"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/callapi"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/rpc"
)

const issuer = "helpdesk"

// claims are the contents of an access token. Sid is the session the token
// belongs to (revoked sessions' tokens are refused); Scope, when
// "password_change", limits the token to changing the password.
type claims struct {
	Role  string `json:"role"`
	Name  string `json:"name,omitempty"`
	Sid   string `json:"sid,omitempty"`
	Scope string `json:"scope,omitempty"`
	jwt.RegisteredClaims
}

// issueToken signs an access token for a user's session, valid from now
// until exp.
func (s *Server) issueToken(userID, role, name, sid, scope string, now, exp time.Time) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims{
		Role: role, Name: name, Sid: sid, Scope: scope,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: issuer, Subject: userID, ID: uuid.NewString(),
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
		},
	})
	signed, err := tok.SignedString(s.cfg.SigningKey)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return signed, nil
}

// authenticate is the middleware of every /api/v1 route but login: it checks
// the bearer token and puts the caller into the request context.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	parser, keyFunc := s.tokenParser()
	return func(c *echo.Context) error {
		if err := s.bearer(c, parser, keyFunc); err != nil {
			return err
		}
		return next(c)
	}
}

// tokenParser checks access tokens signed with the gateway's key.
func (s *Server) tokenParser() (*jwt.Parser, jwt.Keyfunc) {
	parser := jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer), jwt.WithExpirationRequired(), jwt.WithLeeway(5*time.Second))
	return parser, func(*jwt.Token) (any, error) { return s.cfg.SigningKey, nil }
}

// bearer checks the request's bearer token and puts its user into the
// request context as the caller.
func (s *Server) bearer(c *echo.Context, parser *jwt.Parser, keyFunc jwt.Keyfunc) error {
	raw, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		return problem.New(problem.CodeUnauthenticated, "send an access token: Authorization: Bearer <token>")
	}
	if handled, err := s.ssoBearer(c, strings.TrimSpace(raw)); handled { // single sign-on (oidc.go)
		return err
	}
	var cl claims
	if _, err := parser.ParseWithClaims(strings.TrimSpace(raw), &cl, keyFunc); err != nil || cl.Subject == "" {
		return problem.New(problem.CodeUnauthenticated, "the access token is invalid or expired")
	}
	if cl.Sid != "" {
		if err := s.revoked.waitCaughtUp(c.Request().Context()); err != nil {
			return err
		}
		if s.revoked.has(cl.Sid, time.Now()) {
			return problem.New(problem.CodeUnauthenticated, "the session of this access token has ended; sign in again")
		}
	}
	if cl.Scope == identityapi.ScopePasswordChange && !restrictedAllows[operationOf(c)] {
		return problem.New(problem.CodePermissionDenied,
			"the password must be changed first: POST /api/v1/auth/password with current_password and new_password")
	}
	caller := callerOf(c)
	caller.ID, caller.Role = cl.Subject, cl.Role
	setCaller(c, caller)
	c.Set(sessionKey, cl.Sid)
	return nil
}

// restrictedAllows are the operations a token with the password_change
// scope may call.
var restrictedAllows = map[authz.Operation]bool{
	authz.AuthPasswordChange: true, authz.AuthLogout: true, authz.AccountRead: true,
}

// sessionKey holds the session id of the request's access token.
const sessionKey = "helpdesk.session"

// sessionOf returns the session id of the request's access token, or "".
func sessionOf(c *echo.Context) string {
	sid, _ := c.Get(sessionKey).(string)
	return sid
}

// authenticatePBXOrUser is the middleware of the routes a PBX calls: a
// request with X-API-Key is the PBX whose key it is (checked by the
// call-record service, which keeps the keys' hashes); any other request
// needs a user's bearer token.
func (s *Server) authenticatePBXOrUser(next echo.HandlerFunc) echo.HandlerFunc {
	parser, keyFunc := s.tokenParser()
	return func(c *echo.Context) error {
		key := c.Request().Header.Get("X-API-Key")
		if key == "" {
			if err := s.bearer(c, parser, keyFunc); err != nil {
				return err
			}
			return next(c)
		}
		caller := callerOf(c)
		id, ok := s.pbxKeys.get(key, time.Now())
		if !ok {
			setCaller(c, systemCaller(c))
			k, err := call[callapi.PBXKey](s, c, subjects.ServiceCallRecord, callapi.EndpointVerifyKey, callapi.VerifyKey{Key: key})
			if err != nil {
				return err
			}
			id = k.ID
			s.pbxKeys.put(key, id, time.Now())
		}
		caller.ID, caller.Role = "pbx:"+id, callapi.RolePBX
		setCaller(c, caller)
		return next(c)
	}
}

// pbxKeyCache remembers the PBX keys the call-record service verified, for
// pbxKeyTTL: a PBX sends a request for every step of every call, and each
// would otherwise cost a request to the service and a read of the key's
// events. A revoked key stops working at once on the gateway that revoked
// it, and on the others within pbxKeyTTL.
type pbxKeyCache struct {
	mu      sync.Mutex
	entries map[string]pbxKeyEntry // by the key as presented
}

type pbxKeyEntry struct {
	id      string
	expires time.Time
}

// pbxKeyTTL is how long a verified PBX key is remembered.
const pbxKeyTTL = 5 * time.Second

func newPBXKeyCache() *pbxKeyCache { return &pbxKeyCache{entries: map[string]pbxKeyEntry{}} }

func (c *pbxKeyCache) get(key string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.After(e.expires) {
		delete(c.entries, key)
		return "", false
	}
	return e.id, true
}

func (c *pbxKeyCache) put(key, id string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= 1000 { // a few PBXs are expected; bound it anyway
		clear(c.entries)
	}
	c.entries[key] = pbxKeyEntry{id: id, expires: now.Add(pbxKeyTTL)}
}

// forget drops the key with the given id.
func (c *pbxKeyCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, e := range c.entries {
		if e.id == id {
			delete(c.entries, key)
		}
	}
}

func setCaller(c *echo.Context, caller rpc.Caller) {
	c.SetRequest(c.Request().WithContext(rpc.WithCaller(c.Request().Context(), caller)))
}

func callerOf(c *echo.Context) rpc.Caller { return rpc.CallerFrom(c.Request().Context()) }

// loginLimiter refuses logins for a username from one address after too many
// failures in a minute. It is kept per gateway replica: with n replicas an
// attacker gets at most n times the limit, which still defeats guessing.
type loginLimiter struct {
	mu       sync.Mutex
	max      int
	window   time.Duration
	failures map[string][]time.Time
}

func newLoginLimiter(max int, window time.Duration) *loginLimiter {
	return &loginLimiter{max: max, window: window, failures: map[string][]time.Time{}}
}

// retryAfter returns how long the key must wait, or 0 when it may try.
func (l *loginLimiter) retryAfter(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	recent := l.prune(key, now)
	if len(recent) < l.max {
		return 0
	}
	return recent[0].Add(l.window).Sub(now)
}

func (l *loginLimiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failures[key] = append(l.prune(key, now), now)
	if len(l.failures) > 100000 { // bound memory under a spray of usernames
		for k := range l.failures {
			if len(l.prune(k, now)) == 0 {
				delete(l.failures, k)
			}
		}
	}
}

func (l *loginLimiter) succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, key)
}

func (l *loginLimiter) prune(key string, now time.Time) []time.Time {
	times := l.failures[key]
	i := 0
	for i < len(times) && now.Sub(times[i]) >= l.window {
		i++
	}
	times = times[i:]
	if len(times) == 0 {
		delete(l.failures, key)
	} else {
		l.failures[key] = times
	}
	return times
}

// SigningKey returns the token signing key shared by every gateway replica:
// a random 32-byte key kept in the JetStream key-value bucket
// "helpdesk_secrets", created by whichever gateway starts first, with
// replicas copies or as many as the bucket already has. The bucket keeps
// one value per key and at most 1 MiB: writes beyond it are refused, never
// trimmed.
func SigningKey(ctx context.Context, js jetstream.JetStream, replicas int) ([]byte, error) {
	const bucket = "helpdesk_secrets"
	replicas, err := eventstore.StreamReplicas(ctx, js, "KV_"+bucket, max(replicas, 1))
	if err != nil {
		return nil, fmt.Errorf("secrets bucket: %w", err)
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: bucket, Description: "Helpdesk secrets", History: 1, Storage: jetstream.FileStorage,
		MaxBytes: 1 << 20, Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("secrets bucket: %w", err)
	}
	const name = "jwt-signing-key"
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	if _, err := kv.Create(ctx, name, key); err == nil {
		return key, nil
	} else if !errors.Is(err, jetstream.ErrKeyExists) {
		return nil, fmt.Errorf("store signing key: %w", err)
	}
	entry, err := kv.Get(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	return entry.Value(), nil
}
