package gateway

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v5"

	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
)

// OIDCConfig accepts the access tokens of an OpenID Connect issuer (single
// sign-on): RS256 or ES256 JWTs signed with a key of the issuer's JWKS,
// for Audience, whose RoleClaim holds a group that RoleMap maps to a
// Helpdesk role. The caller is "oidc:<sub>" with that role.
type OIDCConfig struct {
	// Issuer is the issuer URL, exactly as tokens name it in "iss"; its
	// discovery document is at Issuer/.well-known/openid-configuration.
	// It must be https, but for a loopback host (development, tests).
	Issuer string
	// Audience must be among the token's "aud".
	Audience string
	// RoleClaim names the claim holding the user's groups or roles: a
	// string or a list of strings; a dotted path reaches into objects
	// (realm_access.roles). Default "roles".
	RoleClaim string
	// RoleMap maps the claim's values to Helpdesk roles; the first mapping
	// whose group the token holds wins. A token holding none is refused
	// with 403: there is no default role.
	RoleMap []RoleMapping
	// Leeway absorbs clock skew in exp and nbf; default 30s.
	Leeway time.Duration
	// RefetchInterval is the least time between two downloads of the key
	// set, which a token naming an unknown key (a rotation) causes;
	// default 30s, so that made-up key ids cannot flood the issuer.
	RefetchInterval time.Duration
	// HTTPClient fetches the discovery document and the keys; default a
	// client with a 10s timeout.
	HTTPClient *http.Client
}

// RoleMapping maps a group of the identity provider to a Helpdesk role.
type RoleMapping struct {
	Group string
	Role  string
}

// ParseRoleMap reads a role map as the command line gives it:
// "group=role,group=role".
func ParseRoleMap(s string) ([]RoleMapping, error) {
	var m []RoleMapping
	for pair := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		group, role, ok := strings.Cut(pair, "=")
		group, role = strings.TrimSpace(group), strings.TrimSpace(role)
		if !ok || group == "" || role == "" {
			return nil, fmt.Errorf("role map entry %q: want group=role", pair)
		}
		m = append(m, RoleMapping{Group: group, Role: role})
	}
	return m, nil
}

func (c *OIDCConfig) setDefaults() {
	if c.RoleClaim == "" {
		c.RoleClaim = "roles"
	}
	if c.Leeway <= 0 {
		c.Leeway = 30 * time.Second
	}
	if c.RefetchInterval <= 0 {
		c.RefetchInterval = 30 * time.Second
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
}

func (c *OIDCConfig) validate() []error {
	var errs []error
	if err := secureURL(c.Issuer); err != nil {
		errs = append(errs, fmt.Errorf("gateway: OIDC issuer: %w", err))
	}
	if c.Issuer == issuer {
		errs = append(errs, fmt.Errorf("gateway: OIDC issuer %q is the gateway's own", issuer))
	}
	if c.Audience == "" {
		errs = append(errs, errors.New("gateway: OIDC audience is required: without it, tokens the issuer made for any other application would pass"))
	}
	if len(c.RoleMap) == 0 {
		errs = append(errs, errors.New("gateway: OIDC role map is empty: no single sign-on user could do anything"))
	}
	for _, m := range c.RoleMap {
		if !slices.Contains(identityapi.Roles, m.Role) {
			errs = append(errs, fmt.Errorf("gateway: OIDC role map: %q is not a role (%s)", m.Role, strings.Join(identityapi.Roles, ", ")))
		}
	}
	return errs
}

// secureURL checks that u is an absolute https URL, or http on a loopback
// host.
func secureURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", u)
	}
	if p.Scheme == "https" {
		return nil
	}
	if ip := net.ParseIP(p.Hostname()); p.Scheme == "http" && (p.Hostname() == "localhost" || ip != nil && ip.IsLoopback()) {
		return nil
	}
	return fmt.Errorf("%q is not https", u)
}

// The key set is fetched again after jwksMaxAge, or when a token names an
// unknown key, but not more often than every RefetchInterval.
const (
	jwksMaxAge = time.Hour
	// maxOIDCDocument bounds a discovery document or key set.
	maxOIDCDocument = 1 << 20
)

// oidcVerifier checks the issuer's tokens. It is safe for concurrent use.
type oidcVerifier struct {
	cfg    OIDCConfig
	parser *jwt.Parser

	mu        sync.Mutex // held while fetching, so that one request fetches
	keys      map[string]crypto.PublicKey
	fetched   time.Time // when keys were fetched
	attempted time.Time // when a fetch was last tried
	fetchErr  error     // why the last fetch failed
}

func newOIDCVerifier(cfg OIDCConfig) *oidcVerifier {
	cfg.setDefaults()
	return &oidcVerifier{cfg: cfg, parser: jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg()}),
		jwt.WithIssuer(cfg.Issuer), jwt.WithAudience(cfg.Audience),
		jwt.WithExpirationRequired(), jwt.WithLeeway(cfg.Leeway))}
}

// verify checks a token and returns its caller's id and role.
func (v *oidcVerifier) verify(ctx context.Context, raw string) (id, role string, err error) {
	var cl jwt.MapClaims
	_, err = v.parser.ParseWithClaims(raw, &cl, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		return v.key(ctx, kid)
	})
	if err != nil {
		if problem.As(err) != nil { // the issuer's keys are out of reach: 503, and the cause goes to the log
			return "", "", err
		}
		return "", "", problem.New(problem.CodeUnauthenticated, "the single sign-on token is invalid or expired")
	}
	sub, _ := cl["sub"].(string)
	if !validSubject(sub) {
		return "", "", problem.New(problem.CodeUnauthenticated, "the single sign-on token names no subject, or a malformed one")
	}
	groups := claimStrings(cl, v.cfg.RoleClaim)
	for _, m := range v.cfg.RoleMap {
		if slices.Contains(groups, m.Group) {
			return "oidc:" + sub, m.Role, nil
		}
	}
	return "", "", problem.New(problem.CodePermissionDenied, "your single sign-on account holds no group that has a Helpdesk role")
}

// validSubject reports whether sub is a subject as OpenID Connect defines
// it, at most 255 ASCII characters, and printable: the caller's id travels
// in NATS message headers and is written to the audit trail, where control
// characters and spaces have no place.
func validSubject(sub string) bool {
	if sub == "" || len(sub) > 255 {
		return false
	}
	for i := 0; i < len(sub); i++ {
		if sub[i] <= ' ' || sub[i] > '~' {
			return false
		}
	}
	return true
}

// claimStrings reads the string or strings at a dotted path of claims.
func claimStrings(cl jwt.MapClaims, path string) []string {
	var v any = map[string]any(cl)
	for part := range strings.SplitSeq(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = obj[part]
	}
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// key returns the issuer's key kid (or its only key, when the token names
// none), fetching the key set when it is old or lacks the key. The fetch
// outlives the request that caused it: a client that gives up must not
// leave the gateway without keys until the next fetch is allowed.
func (v *oidcVerifier) key(ctx context.Context, kid string) (crypto.PublicKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := time.Now()
	k, found := v.lookup(kid)
	if (!found || now.Sub(v.fetched) > jwksMaxAge) && now.Sub(v.attempted) >= v.cfg.RefetchInterval {
		v.attempted = now
		keys, err := v.fetch(context.WithoutCancel(ctx))
		if err == nil {
			v.keys, v.fetched = keys, now
			k, found = v.lookup(kid)
		} else {
			v.fetchErr = err
		}
	}
	if v.keys == nil {
		// The cause (the issuer's address, a network error) is for the log,
		// not for an anonymous client.
		return nil, fmt.Errorf("%w: %w", problem.New(problem.CodeUnavailable, "the single sign-on issuer's keys cannot be fetched; try again later"), v.fetchErr)
	}
	if !found {
		return nil, fmt.Errorf("unknown signing key %q", kid)
	}
	return k, nil
}

func (v *oidcVerifier) lookup(kid string) (crypto.PublicKey, bool) {
	if kid == "" && len(v.keys) == 1 {
		for _, k := range v.keys {
			return k, true
		}
	}
	k, ok := v.keys[kid]
	return k, ok && kid != ""
}

// fetch reads the discovery document, then the key set it names.
func (v *oidcVerifier) fetch(ctx context.Context) (map[string]crypto.PublicKey, error) {
	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := v.getJSON(ctx, strings.TrimSuffix(v.cfg.Issuer, "/")+"/.well-known/openid-configuration", &disc); err != nil {
		return nil, err
	}
	if disc.Issuer != v.cfg.Issuer {
		return nil, fmt.Errorf("discovery document names issuer %q, not %q", disc.Issuer, v.cfg.Issuer)
	}
	if err := secureURL(disc.JWKSURI); err != nil {
		return nil, fmt.Errorf("jwks_uri: %w", err)
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := v.getJSON(ctx, disc.JWKSURI, &set); err != nil {
		return nil, err
	}
	keys := map[string]crypto.PublicKey{}
	for _, k := range set.Keys {
		if pub, err := k.publicKey(); err == nil {
			keys[k.Kid] = pub
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("the key set at %s has no RS256 or ES256 signing key", disc.JWKSURI)
	}
	return keys, nil
}

func (v *oidcVerifier) getJSON(ctx context.Context, u string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("get %s: %w", u, err)
	}
	resp, err := v.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("get %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxOIDCDocument)).Decode(out); err != nil {
		return fmt.Errorf("read %s: %w", u, err)
	}
	return nil
}

// jwk is one JSON Web Key (RFC 7517) of the kinds we verify with.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// publicKey returns the RSA (2048 bits or more) or P-256 key, or an error
// for any other key or one not meant for signatures.
func (k jwk) publicKey() (crypto.PublicKey, error) {
	if k.Use != "" && k.Use != "sig" {
		return nil, fmt.Errorf("key %q is for %q, not signatures", k.Kid, k.Use)
	}
	b64 := base64.RawURLEncoding
	switch {
	case k.Kty == "RSA" && (k.Alg == "" || k.Alg == "RS256"):
		n, errN := b64.DecodeString(k.N)
		e, errE := b64.DecodeString(k.E)
		if errN != nil || errE != nil || len(e) == 0 || len(e) > 4 {
			return nil, fmt.Errorf("key %q: malformed RSA modulus or exponent", k.Kid)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < 2048 || pub.E < 3 || pub.E%2 == 0 {
			return nil, fmt.Errorf("key %q: a weak RSA key", k.Kid)
		}
		return pub, nil
	case k.Kty == "EC" && k.Crv == "P-256" && (k.Alg == "" || k.Alg == "ES256"):
		x, errX := b64.DecodeString(k.X)
		y, errY := b64.DecodeString(k.Y)
		if errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
			return nil, fmt.Errorf("key %q: malformed P-256 point", k.Kid)
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.Kid, err)
		}
		return pub, nil
	}
	return nil, fmt.Errorf("key %q: %s %s keys are not accepted", k.Kid, k.Kty, k.Alg)
}

// ssoBearer authenticates a request whose bearer token another issuer
// made, when single sign-on is configured; handled is false for the
// gateway's own tokens (and malformed ones), which bearer checks.
func (s *Server) ssoBearer(c *echo.Context, raw string) (handled bool, err error) {
	if s.oidc == nil {
		return false, nil
	}
	var peek jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(raw, &peek); err != nil || peek.Issuer == issuer {
		return false, nil
	}
	id, role, err := s.oidc.verify(c.Request().Context(), raw)
	if err != nil {
		return true, err
	}
	caller := callerOf(c)
	caller.ID, caller.Role = id, role
	setCaller(c, caller)
	return true, nil
}
