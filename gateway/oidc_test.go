package gateway_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/nats-io/nats.go"

	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/subjects"
	"helpdesk/gateway"
	"helpdesk/infra/rpc"
)

// issuerStub is an OpenID Connect issuer: a discovery document and a key
// set with an RSA and a P-256 key.
type issuerStub struct {
	srv     *httptest.Server
	rsaKey  *rsa.PrivateKey
	ecKey   *ecdsa.PrivateKey
	fetches atomic.Int32 // key set downloads
	// delay slows the discovery document down (a slow issuer).
	delay atomic.Int64

	mu   sync.Mutex
	keys []map[string]string // the key set served
}

// addRSAKey adds a new RSA key to the set under kid (a key rotation).
func (is *issuerStub) addRSAKey(t *testing.T, kid string) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	is.keys = append(is.keys, rsaJWK(kid, &k.PublicKey))
	return k
}

func rsaJWK(kid string, k *rsa.PublicKey) map[string]string {
	b64 := base64.RawURLEncoding.EncodeToString
	return map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
}

func newIssuer(t *testing.T) *issuerStub {
	t.Helper()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	ecPoint, err := ecKey.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	is := &issuerStub{rsaKey: rsaKey, ecKey: ecKey, keys: []map[string]string{
		rsaJWK("rsa-1", &rsaKey.PublicKey),
		{"kty": "EC", "kid": "ec-1", "use": "sig", "crv": "P-256", "x": b64(ecPoint[1:33]), "y": b64(ecPoint[33:])},
		{"kty": "oct", "kid": "hmac", "k": b64([]byte("0123456789abcdef0123456789abcdef"))},
	}}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(time.Duration(is.delay.Load())):
		case <-r.Context().Done():
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/keys"})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, _ *http.Request) {
		is.fetches.Add(1)
		is.mu.Lock()
		defer is.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": is.keys})
	})
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

// sign makes a token with the claims, signed by method with key under kid.
func sign(t *testing.T, method jwt.SigningMethod, key crypto.PrivateKey, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// answerAsIdentity answers the identity service's "get user" with the
// caller the gateway sent: the test sees the id and role the gateway gave
// a single sign-on user.
func answerAsIdentity(t *testing.T, nc *nats.Conn) {
	t.Helper()
	sub, err := nc.Subscribe(subjects.Endpoint(subjects.ServiceIdentity, identityapi.EndpointGet), func(m *nats.Msg) {
		body, _ := json.Marshal(identityapi.User{ID: m.Header.Get(rpc.HeaderActorID), Role: m.Header.Get(rpc.HeaderActorRole)})
		_ = m.Respond(body)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
}

func TestGateway_OIDC(t *testing.T) {
	t.Parallel()
	is := newIssuer(t)
	srv, nc := newEdgeGateway(t, gateway.Edge{OIDC: &gateway.OIDCConfig{
		Issuer: is.srv.URL, Audience: "helpdesk-web", RoleClaim: "realm_access.roles",
		RoleMap: []gateway.RoleMapping{{Group: "hd-admins", Role: "admin"}, {Group: "hd-agents", Role: "agent"}},
	}}, 0)
	answerAsIdentity(t, nc)
	now := time.Now()
	claims := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": is.srv.URL, "sub": "alice", "aud": []string{"helpdesk-web", "other"},
			"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
			"realm_access": map[string]any{"roles": []string{"offline_access", "hd-agents"}}}
		if change != nil {
			change(c)
		}
		return c
	}
	otherRSA, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&is.rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaPublicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	tests := []struct {
		name     string
		token    string
		status   int
		wantRole string
	}{
		{"RS256 agent", sign(t, jwt.SigningMethodRS256, is.rsaKey, "rsa-1", claims(nil)), 200, "agent"},
		{"ES256, first mapping wins", sign(t, jwt.SigningMethodES256, is.ecKey, "ec-1", claims(func(c jwt.MapClaims) {
			c["realm_access"] = map[string]any{"roles": []string{"hd-agents", "hd-admins"}}
		})), 200, "admin"},
		{"audience as a string", sign(t, jwt.SigningMethodRS256, is.rsaKey, "rsa-1", claims(func(c jwt.MapClaims) { c["aud"] = "helpdesk-web" })), 200, "agent"},
		{"expired within the leeway", sign(t, jwt.SigningMethodRS256, is.rsaKey, "rsa-1", claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-10 * time.Second).Unix() })), 200, "agent"},
		{"signed by another key", sign(t, jwt.SigningMethodRS256, otherRSA, "rsa-1", claims(nil)), 401, ""},
		{"unknown key id", sign(t, jwt.SigningMethodRS256, otherRSA, "rsa-2", claims(nil)), 401, ""},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "rsa-1", claims(nil)), 401, ""},
		{"HS256 with a key of the set", sign(t, jwt.SigningMethodHS256, []byte("0123456789abcdef0123456789abcdef"), "hmac", claims(nil)), 401, ""},
		{"HS256 with the RSA public key as secret", sign(t, jwt.SigningMethodHS256, rsaPublicPEM, "rsa-1", claims(nil)), 401, ""},
		{"RS384 not accepted", sign(t, jwt.SigningMethodRS384, is.rsaKey, "rsa-1", claims(nil)), 401, ""},
		{"expired", sign(t, jwt.SigningMethodRS256, is.rsaKey, "rsa-1", claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() })), 401, ""},
		{"no expiry", sign(t, jwt.SigningMethodRS256, is.rsaKey, "rsa-1", claims(func(c jwt.MapClaims) { delete(c, "exp") })), 401, ""},
		{"not yet valid", sign(t, jwt.SigningMethodRS256, is.rsaKey, "rsa-1", claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() })), 401, ""},
		{"wrong audience", sign(t, jwt.SigningMethodRS256, is.rsaKey, "rsa-1", claims(func(c jwt.MapClaims) { c["aud"] = "another-app" })), 401, ""},
		{"another issuer", sign(t, jwt.SigningMethodRS256, is.rsaKey, "rsa-1", claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })), 401, ""},
		{"no subject", sign(t, jwt.SigningMethodRS256, is.rsaKey, "rsa-1", claims(func(c jwt.MapClaims) { delete(c, "sub") })), 401, ""},
		{"subject with a line break", sign(t, jwt.SigningMethodRS256, is.rsaKey, "rsa-1", claims(func(c jwt.MapClaims) {
			c["sub"] = "alice\r\nHelpdesk-Actor-Role: admin"
		})), 401, ""},
		{"subject too long", sign(t, jwt.SigningMethodRS256, is.rsaKey, "rsa-1", claims(func(c jwt.MapClaims) { c["sub"] = strings.Repeat("a", 256) })), 401, ""},
		{"no mapped group", sign(t, jwt.SigningMethodRS256, is.rsaKey, "rsa-1", claims(func(c jwt.MapClaims) {
			c["realm_access"] = map[string]any{"roles": []string{"offline_access"}}
		})), 403, ""},
		{"the gateway's own token still works", token(t, "u1", "customer", now.Add(time.Hour), key), 200, "customer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, srv, "GET", "/api/v1/me", tt.token, "")
			if tt.status != 200 {
				isProblem(t, r, tt.status)
				return
			}
			if r.status != 200 || r.body["role"] != tt.wantRole {
				t.Fatalf("status %d, role %v, want %s: %s", r.status, r.body["role"], tt.wantRole, r.raw)
			}
			if tt.wantRole != "customer" && r.body["id"] != "oidc:alice" {
				t.Fatalf("id %v, want oidc:alice", r.body["id"])
			}
		})
	}
	if n := is.fetches.Load(); n != 1 {
		t.Errorf("the key set was fetched %d times, want once: unknown keys refetch at most every 30s", n)
	}
}

// TestGateway_OIDC_key_rotation: a token signed with a key the issuer
// added since the gateway fetched the set makes it fetch the set again.
func TestGateway_OIDC_key_rotation(t *testing.T) {
	t.Parallel()
	is := newIssuer(t)
	srv, nc := newEdgeGateway(t, gateway.Edge{OIDC: &gateway.OIDCConfig{Issuer: is.srv.URL, Audience: "hd",
		RoleMap: []gateway.RoleMapping{{Group: "agents", Role: "agent"}}, RefetchInterval: 10 * time.Millisecond}}, 0)
	answerAsIdentity(t, nc)
	claims := jwt.MapClaims{"iss": is.srv.URL, "sub": "bob", "aud": "hd", "exp": time.Now().Add(time.Hour).Unix(), "roles": "agents"}
	if r := do(t, srv, "GET", "/api/v1/me", sign(t, jwt.SigningMethodRS256, is.rsaKey, "rsa-1", claims), ""); r.status != 200 {
		t.Fatalf("before the rotation: %d %s", r.status, r.raw)
	}
	rotated := is.addRSAKey(t, "rsa-2")
	time.Sleep(20 * time.Millisecond) // past RefetchInterval
	if r := do(t, srv, "GET", "/api/v1/me", sign(t, jwt.SigningMethodRS256, rotated, "rsa-2", claims), ""); r.status != 200 || r.body["id"] != "oidc:bob" {
		t.Fatalf("after the rotation: %d %s", r.status, r.raw)
	}
	if n := is.fetches.Load(); n != 2 {
		t.Fatalf("the key set was fetched %d times, want 2", n)
	}
}

// TestGateway_OIDC_abandoned_request_still_fetches_the_keys: a client
// that gives up while the gateway fetches the issuer's keys must not leave
// the gateway without keys, which would refuse every single sign-on user
// (503) until the next fetch is allowed, RefetchInterval later: an
// anonymous client could otherwise switch single sign-on off at will.
func TestGateway_OIDC_abandoned_request_still_fetches_the_keys(t *testing.T) {
	t.Parallel()
	is := newIssuer(t)
	is.delay.Store(int64(300 * time.Millisecond))
	srv, nc := newEdgeGateway(t, gateway.Edge{OIDC: &gateway.OIDCConfig{Issuer: is.srv.URL, Audience: "hd",
		RoleMap: []gateway.RoleMapping{{Group: "agents", Role: "agent"}}}}, 0)
	answerAsIdentity(t, nc)
	tok := sign(t, jwt.SigningMethodRS256, is.rsaKey, "rsa-1", jwt.MapClaims{"iss": is.srv.URL, "sub": "carol", "aud": "hd",
		"exp": time.Now().Add(time.Hour).Unix(), "roles": "agents"})
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	impatient := &http.Client{Timeout: 50 * time.Millisecond}
	if resp, err := impatient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the impatient client got %d before the issuer answered", resp.StatusCode)
	}
	time.Sleep(500 * time.Millisecond) // the fetch the abandoned request started is over
	is.delay.Store(0)
	if r := do(t, srv, "GET", "/api/v1/me", tok, ""); r.status != http.StatusOK || r.body["id"] != "oidc:carol" {
		t.Fatalf("after an abandoned request: %d %s, want 200", r.status, r.raw)
	}
}

func TestGateway_OIDC_issuer_unreachable_is_503(t *testing.T) {
	t.Parallel()
	down := httptest.NewServer(http.NotFoundHandler())
	url := down.URL
	down.Close()
	srv, _ := newEdgeGateway(t, gateway.Edge{OIDC: &gateway.OIDCConfig{Issuer: url, Audience: "a",
		RoleMap: []gateway.RoleMapping{{Group: "g", Role: "agent"}}}}, 0)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tok := sign(t, jwt.SigningMethodRS256, key, "k", jwt.MapClaims{"iss": url, "sub": "x", "aud": "a", "exp": time.Now().Add(time.Hour).Unix()})
	for range 2 { // the second is not fetched again (at most every 30s), and still 503
		r := do(t, srv, "GET", "/api/v1/me", tok, "")
		isProblem(t, r, 503)
		if strings.Contains(r.raw, url) || strings.Contains(r.raw, "127.0.0.1") {
			t.Fatalf("the answer to an anonymous client names the issuer's address: %s", r.raw)
		}
	}
}

func TestNew_refuses_bad_OIDC_settings(t *testing.T) {
	t.Parallel()
	good := func() *gateway.OIDCConfig {
		return &gateway.OIDCConfig{Issuer: "https://sso.example.com/realms/hd", Audience: "helpdesk",
			RoleMap: []gateway.RoleMapping{{Group: "g", Role: "agent"}}}
	}
	tests := []struct {
		name   string
		change func(*gateway.OIDCConfig)
		want   string
	}{
		{"plain http issuer", func(c *gateway.OIDCConfig) { c.Issuer = "http://sso.example.com" }, "not https"},
		{"no audience", func(c *gateway.OIDCConfig) { c.Audience = "" }, "audience is required"},
		{"no role map", func(c *gateway.OIDCConfig) { c.RoleMap = nil }, "role map is empty"},
		{"unknown role", func(c *gateway.OIDCConfig) { c.RoleMap[0].Role = "system" }, `"system" is not a role`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good()
			tt.change(cfg)
			_, err := gateway.New(gateway.Config{Conn: &nats.Conn{}, SigningKey: key, Edge: gateway.Edge{OIDC: cfg}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestParseRoleMap(t *testing.T) {
	t.Parallel()
	got, err := gateway.ParseRoleMap(" hd-admins=admin, hd-agents = agent ,")
	if err != nil || len(got) != 2 || got[0] != (gateway.RoleMapping{Group: "hd-admins", Role: "admin"}) || got[1] != (gateway.RoleMapping{Group: "hd-agents", Role: "agent"}) {
		t.Fatalf("ParseRoleMap = %+v, %v", got, err)
	}
	for _, bad := range []string{"admins", "=admin", "admins="} {
		if _, err := gateway.ParseRoleMap(bad); err == nil {
			t.Errorf("ParseRoleMap(%q) accepted", bad)
		}
	}
}
