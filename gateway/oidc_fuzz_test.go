package gateway

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
)

// The fuzz targets of single sign-on verify tokens of an issuer that lives
// in memory: the HTTP client's transport answers the discovery document
// and the key set, so no server runs and nothing leaves the process.

const (
	fuzzIssuer   = "https://sso.example.test/realms/helpdesk"
	fuzzAudience = "helpdesk"
	// fuzzExp is the expiry of the fixture's tokens: 2100-01-01.
	fuzzExp = 4102444800
)

// fuzzRSAKeyPEM is a key made for these tests only. The fuzzer's
// coordinator and its workers are separate processes: the keys must be
// the same in all of them, so that a valid token seeded by one verifies in
// the others.
const fuzzRSAKeyPEM = `
-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAj/beB6UpjiqCrSvqSQd5RweGV/D741szCVEw+4+z1eo4xP3Z
luTwXfOIyzk7V4HJYoV7uhusiQuuni8WCG72IKX1mGAeAt+Xi6xbDWJpzmuAUPlA
wCMHMthol1vonnJjoMAhYr6HYktddeO1G+Ug/sJPnVLRkdayO9sRgHsRZeeoq4JX
o6pfKWbX/BUh2i532mrn+VGlU3xVH78zkSFaO5vTJpf6c+zjhYP9xbVWJpogxB/e
vVTyIGa1BKTGpi98Ju0UoFWCENiupUY20gXIR6+60ROKerRvVn5rEacKDcixlITN
LbmL6uOtiSVEqt2wdE9YwNj5Qg5w9YXeE/OMZQIDAQABAoIBACyczt9FomQI7mfl
pPuukjmdrlcQOa6R83XesDQ0qwEOTTtWgxhMp+QldO2tNaN/d73NKbNZohTyBtHE
O6qvYBxr8XifyI0RZvAEoE68gZdTHvd41kT0VeW+xGKrO6HmRtNo1q+35VJjknnW
76fOUHRCGNPi90ifZKpBz+GlwZV3Rn38Kxm5STL3EgT4Df1ukBlYgaecJD64TsQU
Rm+vhUj2gw+9UpROA91FKDY/KxrOxAB1yKLGlTNCquEjGLo5JYazlSXjSVArVerR
FpDSULTw68Rgxc6o+xectHrOk5jid9Gswv2NZqH+RyNcZG+kL7FHcCaF49pSk23T
fEHG570CgYEAxB6PXDMkrjLZxAKLHZ7wszISQvwcJMpRbGhphy3gakdTB0xJBgPS
Fh/nzumofuQnj20ij5uOuyDbYiBsYT2UVXiQ0GaIN8fnL1XRxA/dsqyjX6bgzJJE
3J6cj8ukK01aR+lZzLX/Svl60IA+d7QYNC68B0iVKDdkDJJJ56j4Jf8CgYEAu+ur
VTcp2bM5GiApIhMS8QRBkHQkX5ZiMIX8DmGkBw22MmsjTIC8cy10FGVkZHn5rFZf
4YWxffr4XrrzdbDJCZCcVAoZIigccTp3kc5pDsur4RRIkmBnFI63UArEDZZEE1Ik
c4l7wSib8C/Lb+yXVVp/n5j81Oimtuv25bmpdZsCgYBYL5mtDr42qlzrW21so1R+
b0xw3GZXULYuNgEFrOZVQ78c7/uB/ePQ2QXmL4D5leQIBT3eL0eN82dSh1vUmdkC
WdVcME6eLoBQ85kAPVYmCqTn1OUOd9MJFTU3H42xfvXSkiYz+75Q2z+TU6dDMjMT
+9PGvqd7TvTpBjq/NWZnxwKBgQCq/o0Oo31vXMfO4AjNurF3ojnOqgAXAo4iPSjY
JTzONkndouOhz1qrK2b+0CwDyYHIsWfZnH+fdOjfuhmis9Sa4X1+cxnfnMQUu/Dl
Of8auXWS/5PxrcreR+bB7Kns+xjCw/HrN+TmJH+QlMz28T/bKNgMb3dQfMqGlDw7
WS+7lQKBgGYklA7v6Hm7qG5BEJAxzwrLsGcJ6ep+uQQsowYPxzwrYHbo6mU23UzZ
MxLy7Zud9zrLrs7eTOFhOKVnaPe2FlsNSD+JNfTKFEgR1zFQ3bOHhPO6YRfas2q2
tkqluQGV2dYgRWi/qJ3TD3pZjpnskp9I5xokhWxkXgW8/no49IKl
-----END RSA PRIVATE KEY-----
`

// fuzzAttackerRSAKeyPEM is another test-only key, of someone who is not
// the issuer.
const fuzzAttackerRSAKeyPEM = `
-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEAt3h6OAUYuQjjjIiWus6aFfkRFGj+uf/7SaaBCb+eFAcYTXL9
gMdh+weMjljUs5MXcJr70EBIs+UA9RAZcYw+EtlkoD/PQysy83lgcvXFavCVEMLk
U6hjqx2X2NExL2j7wDR3Li/QT98k/D2brZmMzPZrPGmUqiQ4b8uhT6x1jv5osOmA
xO1ixH7xHMXbV5plEHITfd/cCBXIbsFQ43y3s1w0gDMF+l9e4i4tVncc6my7MqLI
OBHDgA5G1DQC/rCEEe2Y0hrMAwL3qUvViAnM2PqUTYj/6oXqNPRWzfcwhq4KKhmu
B7A3f5BoWCJ0VfkDUneNFt/I0tjynk4ZIlQXWwIDAQABAoIBAAkT7Pgt8ws0urg5
Xzve/RYZPL8bHX9r1a3POeiW5+YVyR4L59R3XmG3/ecNKM5keMRu5rFnJ4cUeEz9
KZp0q0hDeWHJxneMVk5gXbqnw8eGyoQJy0JYZ+tk4Mku5erH8azmQP9dXkaVbpRh
zVIe8YMyrhukcwv4FCgeldywq8sSC1OmjEP2xZd3hYY1s/SrPlVYIRpjP0LAC3Ko
4xHZk3EWmesdRhZ/1TysseU4v1uLntPyE3N628Es/iAL1SJyHhl88H1pIIeAfl0c
rAp1b+YuC7+XV1X/2xjOi2BbKysSeNI5u9pHDRzLVxU0Pkoo/JhIaaftKK68JAKE
uwcqUAECgYEA3F7AgftCgbWBkw15FvY5+oYjGmYqd919Rxk/t+8eRGcdzJrexs9t
ZfSAM5URmOD6GiFoFi09IkF/xLwk92PvAMqP5weTKfKJop8W325qbA5QRWo+lgcl
T15tcKv2LrRCxLNtlcUJIS0M7fJgfMNIte7gvPhIVvjXJ0hV01gap7cCgYEA1SJu
5YltfkAPSgdBcDFwmabZ1Rq7yZZwpcCITZSiPj7Rv1bd1gcb/kG800nRySvzEsko
bWSl9BVx7onMh/NyT9YSzS8+iFSajaZjZYmBgfrT1xML+NXByAyArIkQ8Hy16U2g
4MkpB7Pzl9QFexFFqeudZZEAPR+FXffOXG4DZX0CgYBCEgKDthJ1kza7ISH5+W7e
ptLlelYnQ/foljBddErN1WDA1HoQf2ZcWBcL4Bi7jlBN/1AWvg+DMsIc+Q/YQFUL
FrBYYxQDUp1jbXFNIey0YwI8HaOQFaphBn2nd1dDH3aZRPaJHd8j3D7xJGc7YM1v
BqTI42PE96yCMZTR3at4NwKBgQCs591Ni7rvNCrzJIW67fDqRgjsMF7uAITsgxBQ
1+bzVmU0s9UN4ACeuVfllTqC2Iu+zsBkVsWnCYq/OL1cAWzYRdRE7zHsya4Eglqa
sf4Fo6YeEk6hFVC66SGuVxgN8S5m0dpU4fzOSfexUYkMuQtp+UJcdlDaRWsdu36H
T5yjxQKBgQC2IkPb1uimsD436cCPuFpqJ+El8W+E6schb6ojYhrI+hy2L8GdyWhh
L0GtstBJNmx35m0Y+QXrpgxonb4rOCbBFuRGuy8dywtWdGQ3+Qs9hRZyFUYu6zmB
ns8MKjIO45glqXWbHKpRUYc/4AxkvyZaLtA3sDPp0+p+AbNMbnKxdg==
-----END RSA PRIVATE KEY-----
`

// fuzzECScalar is the P-256 private scalar of the fixture's EC key.
var fuzzECScalar = bytes.Repeat([]byte{0x5a}, 32)

// memIssuer serves the discovery document and a key set from memory.
type memIssuer struct{ jwks []byte }

func (m memIssuer) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	switch r.URL.String() {
	case fuzzIssuer + "/.well-known/openid-configuration":
		body, _ = json.Marshal(map[string]string{"issuer": fuzzIssuer, "jwks_uri": fuzzIssuer + "/keys"})
	case fuzzIssuer + "/keys":
		body = m.jwks
	default:
		return &http.Response{StatusCode: http.StatusNotFound, Status: "404 Not Found", Body: http.NoBody, Request: r}, nil
	}
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: r}, nil
}

// validToken is a token the fixture's issuer signed, and what verify makes
// of it.
type validToken struct {
	raw      string
	pub      crypto.PublicKey
	id, role string
}

// oidcFixture is the issuer of the fuzz targets: an RSA and a P-256 key
// (and an HMAC key that must be ignored), the valid tokens, and the attack
// shapes the fuzzer starts from.
type oidcFixture struct {
	jwks      []byte
	valid     map[string]validToken // by signing input (header.payload)
	tokens    []string              // valid tokens, in a fixed order
	attacks   []string
	jwksSeeds [][]byte
}

func (fx *oidcFixture) config(jwks []byte) OIDCConfig {
	return OIDCConfig{Issuer: fuzzIssuer, Audience: fuzzAudience, RoleClaim: "realm_access.roles",
		RoleMap:    []RoleMapping{{Group: "helpdesk-admins", Role: identityapi.RoleAdmin}, {Group: "helpdesk-agents", Role: identityapi.RoleAgent}},
		HTTPClient: &http.Client{Transport: memIssuer{jwks: jwks}}}
}

// signingInput is a compact token without its signature; "" when it has no dot.
func signingInput(raw string) string {
	i := strings.LastIndexByte(raw, '.')
	if i < 0 {
		return ""
	}
	return raw[:i]
}

func parseRSAKey(text string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	return x509.ParsePKCS1PrivateKey(block.Bytes)
}

var oidcFix = sync.OnceValues(func() (*oidcFixture, error) {
	rsaKey, err := parseRSAKey(fuzzRSAKeyPEM)
	if err != nil {
		return nil, err
	}
	attackerRSA, err := parseRSAKey(fuzzAttackerRSAKeyPEM)
	if err != nil {
		return nil, err
	}
	ecKey, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), fuzzECScalar)
	if err != nil {
		return nil, err
	}
	b64 := base64.RawURLEncoding.EncodeToString
	ecPoint, err := ecKey.PublicKey.Bytes()
	if err != nil {
		return nil, err
	}
	rsaJWK := func(kid string, k *rsa.PublicKey) map[string]string {
		return map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
	}
	ecJWK := map[string]string{"kty": "EC", "kid": "ec-1", "use": "sig", "crv": "P-256", "x": b64(ecPoint[1:33]), "y": b64(ecPoint[33:])}
	hmacSecret := []byte("0123456789abcdef0123456789abcdef")
	keys := []map[string]string{rsaJWK("rsa-1", &rsaKey.PublicKey), ecJWK, {"kty": "oct", "kid": "hmac", "k": b64(hmacSecret)}}
	fx := &oidcFixture{valid: map[string]validToken{}}
	if fx.jwks, err = json.Marshal(map[string]any{"keys": keys}); err != nil {
		return nil, err
	}
	claims := func(sub string, groups ...any) jwt.MapClaims {
		return jwt.MapClaims{"iss": fuzzIssuer, "aud": []string{fuzzAudience, "account"}, "sub": sub, "exp": fuzzExp, "iat": 1764000000,
			"realm_access": map[string]any{"roles": groups}}
	}
	sign := func(method jwt.SigningMethod, key any, header map[string]any, cl jwt.MapClaims) string {
		tok := jwt.NewWithClaims(method, cl)
		for k, v := range header {
			tok.Header[k] = v
		}
		s, err := tok.SignedString(key)
		if err != nil {
			panic(err)
		}
		return s
	}
	addValid := func(raw string, pub crypto.PublicKey, id, role string) {
		fx.valid[signingInput(raw)] = validToken{raw: raw, pub: pub, id: id, role: role}
		fx.tokens = append(fx.tokens, raw)
	}
	addValid(sign(jwt.SigningMethodRS256, rsaKey, map[string]any{"kid": "rsa-1"}, claims("f:1b2c:zhang.san", "helpdesk-agents", "工程师")),
		&rsaKey.PublicKey, "oidc:f:1b2c:zhang.san", identityapi.RoleAgent)
	es := sign(jwt.SigningMethodES256, ecKey, map[string]any{"kid": "ec-1"}, claims("admin@example.test", "offline_access", "helpdesk-admins"))
	addValid(es, &ecKey.PublicKey, "oidc:admin@example.test", identityapi.RoleAdmin)

	// Attack shapes: none of them may pass.
	unsigned := func(header, payload string) string {
		return b64([]byte(header)) + "." + b64([]byte(payload)) + "."
	}
	good, _ := json.Marshal(claims("mallory", "helpdesk-admins"))
	parts := strings.Split(fx.tokens[0], ".")
	esParts := strings.Split(es, ".")
	attackerEC, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	attackerJWK := rsaJWK("rsa-1", &attackerRSA.PublicKey)
	// The other signature of the ES256 token: (r, n-s) verifies too.
	esSig, _ := base64.RawURLEncoding.DecodeString(esParts[2])
	r, s := new(big.Int).SetBytes(esSig[:32]), new(big.Int).SetBytes(esSig[32:])
	highS := make([]byte, 64)
	r.FillBytes(highS[:32])
	new(big.Int).Sub(elliptic.P256().Params().N, s).FillBytes(highS[32:])
	fx.attacks = []string{
		unsigned(`{"alg":"none","typ":"JWT"}`, string(good)),
		unsigned(`{"alg":"None","kid":"rsa-1"}`, string(good)),
		unsigned(`{"alg":"NONE"}`, string(good)) + "c2lnbmF0dXJl",
		sign(jwt.SigningMethodHS256, hmacSecret, map[string]any{"kid": "hmac"}, claims("mallory", "helpdesk-admins")),
		sign(jwt.SigningMethodHS256, pubPEM, map[string]any{"kid": "rsa-1"}, claims("mallory", "helpdesk-admins")),
		sign(jwt.SigningMethodHS256, rsaKey.PublicKey.N.Bytes(), map[string]any{"kid": "rsa-1"}, claims("mallory", "helpdesk-admins")),
		sign(jwt.SigningMethodRS256, attackerRSA, map[string]any{"kid": "rsa-1"}, claims("mallory", "helpdesk-admins")),
		sign(jwt.SigningMethodRS256, attackerRSA, map[string]any{"kid": "rsa-1", "jwk": attackerJWK}, claims("mallory", "helpdesk-admins")),
		sign(jwt.SigningMethodRS256, attackerRSA, map[string]any{"jku": "https://evil.example/keys", "x5u": "https://evil.example/cert"}, claims("mallory", "helpdesk-admins")),
		sign(jwt.SigningMethodES256, attackerEC, map[string]any{"kid": "ec-1"}, claims("mallory", "helpdesk-admins")),
		sign(jwt.SigningMethodPS256, rsaKey, map[string]any{"kid": "rsa-1"}, claims("f:1b2c:zhang.san", "helpdesk-admins")),
		sign(jwt.SigningMethodRS256, rsaKey, map[string]any{"kid": "rsa-1"}, jwt.MapClaims{"iss": fuzzIssuer, "aud": fuzzAudience, "sub": "u", "exp": 1e400 / 1e300}),
		sign(jwt.SigningMethodRS256, rsaKey, map[string]any{"kid": "rsa-1"}, jwt.MapClaims{"iss": fuzzIssuer, "aud": "other", "sub": "u", "exp": fuzzExp, "realm_access": map[string]any{"roles": "helpdesk-admins"}}),
		sign(jwt.SigningMethodRS256, rsaKey, map[string]any{"kid": "rsa-1"}, jwt.MapClaims{"iss": issuer, "aud": fuzzAudience, "sub": "u", "exp": fuzzExp}),
		sign(jwt.SigningMethodRS256, rsaKey, map[string]any{"kid": "rsa-1"}, jwt.MapClaims{"iss": fuzzIssuer, "aud": fuzzAudience, "sub": "u", "exp": 1}),
		sign(jwt.SigningMethodRS256, rsaKey, map[string]any{"kid": "rsa-1"}, claims("用户\xff\r\n", "helpdesk-admins")),
		sign(jwt.SigningMethodRS256, rsaKey, map[string]any{"kid": "rsa-1"}, claims(strings.Repeat("a", 256), "helpdesk-admins")),
		sign(jwt.SigningMethodRS256, rsaKey, map[string]any{"kid": "rsa-1"}, claims("u", []any{[]any{"helpdesk-admins"}}, map[string]any{"helpdesk-admins": true})),
		sign(jwt.SigningMethodRS256, rsaKey, map[string]any{}, claims("no-kid", "helpdesk-agents")),
		sign(jwt.SigningMethodRS256, rsaKey, map[string]any{"kid": 7}, claims("u", "helpdesk-agents")),
		sign(jwt.SigningMethodRS256, rsaKey, map[string]any{"kid": "../../etc/passwd", "crit": []string{"exp"}, "b64": false}, claims("u", "helpdesk-agents")),
		parts[0] + "." + b64(good) + "." + parts[2],      // payload swapped under the valid signature
		esParts[0] + "." + esParts[1] + "." + b64(highS), // the malleable twin: valid, same claims
		fx.tokens[0] + ".", fx.tokens[0] + "=", " " + fx.tokens[0], parts[0] + "." + parts[1] + "." + parts[2] + "==",
		strings.NewReplacer("-", "+", "_", "/").Replace(fx.tokens[0]),
		parts[0] + "." + parts[1], parts[0] + ".." + parts[2],
		b64([]byte(`{"alg":"RS256","kid":"rsa-1"}`)) + "." + b64([]byte(strings.Repeat(`{"a":`, 5000)+"1"+strings.Repeat("}", 5000))) + "." + parts[2],
		b64([]byte(`{"alg":"RS256","kid":"rsa-1"}`)) + "." + b64([]byte(`{"exp":1e400,"iss":"`+fuzzIssuer+`"}`)) + "." + parts[2],
		`{"payload":"` + parts[1] + `","signatures":[{"protected":"` + parts[0] + `","signature":"` + parts[2] + `"}]}`,
		"", ".", "..", "...", "a.b.c", "令牌.无效.签名", "\xff\xfe.\x00.\x80", "Bearer " + fx.tokens[0],
	}

	// Key sets: the real one, and the shapes a broken or hostile issuer
	// could publish.
	rsaJ := keys[0]
	withKeys := func(ks ...any) []byte {
		b, err := json.Marshal(map[string]any{"keys": ks})
		if err != nil {
			panic(err)
		}
		return b
	}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	fx.jwksSeeds = [][]byte{
		fx.jwks,
		withKeys(rsaJ),
		withKeys(ecJWK),
		withKeys(attackerJWK, rsaJ),
		withKeys(rsaJ, attackerJWK),
		withKeys(with(rsaJ, "kid", "")),
		withKeys(with(rsaJ, "e", "AAEAAQ")),
		withKeys(with(rsaJ, "e", "Aw")),
		withKeys(with(rsaJ, "e", "AQAA")),
		withKeys(with(rsaJ, "e", "_____w")),
		withKeys(with(rsaJ, "e", "AQAAAAE")),
		withKeys(with(rsaJ, "n", "AAAA"+rsaJ["n"])),
		withKeys(with(rsaJ, "n", rsaJ["n"]+"=")),
		withKeys(with(rsaJ, "n", b64(rsaKey.N.Bytes()[:128]))), // 1024 bits: weak
		withKeys(with(rsaJ, "use", "enc")),
		withKeys(with(rsaJ, "alg", "HS256")),
		withKeys(with(rsaJ, "alg", "none")),
		withKeys(with(ecJWK, "crv", "P-384")),
		withKeys(with(ecJWK, "x", b64(make([]byte, 32)), "y", b64(make([]byte, 32)))),
		withKeys(with(ecJWK, "x", b64(append([]byte{0}, ecPoint[1:33]...)))),
		withKeys(with(ecJWK, "y", ecJWK["x"])),
		withKeys(with(ecJWK, "kty", "OKP", "crv", "Ed25519")),
		withKeys(with(rsaJ, "kid", "密钥-1"), with(ecJWK, "kid", "\xff")),
		withKeys(map[string]any{"kty": "RSA", "kid": "rsa-1", "n": 12345, "e": 3}),
		[]byte(`{"keys":[{"kty":"RSA","kid":"rsa-1","n":"` + rsaJ["n"] + `","e":"AQAB","e":"AQAB","n":"AQAB"}]}`),
		[]byte(`{"keys":null}`), []byte(`{"keys":{}}`), []byte(`{}`), []byte(`[]`), []byte(`null`), []byte(``),
		[]byte(`{"keys":[` + strings.Repeat(`[`, 5000) + strings.Repeat(`]`, 5000) + `]}`),
		[]byte(`{"keys":[{"kty":"RSA","kid":"rsa-1","n":1e400}]}`),
		[]byte(`{"keys":[]} trailing`),
	}
	return fx, nil
})

func fuzzFixture(f *testing.F) *oidcFixture {
	f.Helper()
	fx, err := oidcFix()
	if err != nil {
		f.Fatal(err)
	}
	return fx
}

// FuzzOIDCToken: with the issuer's real key set, any token string is
// refused as unauthenticated or forbidden, never a panic, unless it is one
// the issuer signed: a token that passes has the header and payload of a
// valid token, and gives that token's caller and role.
func FuzzOIDCToken(f *testing.F) {
	fx := fuzzFixture(f)
	for _, tok := range append(append([]string{}, fx.tokens...), fx.attacks...) {
		f.Add(tok)
	}
	v := newOIDCVerifier(fx.config(fx.jwks))
	ctx := context.Background()
	for _, tok := range fx.tokens { // else the target proves nothing
		if _, _, err := v.verify(ctx, tok); err != nil {
			f.Fatalf("the fixture's valid token %s: %v", tok, err)
		}
	}
	f.Fuzz(func(t *testing.T, raw string) {
		id, role, err := v.verify(ctx, raw)
		if err != nil {
			if code := problem.CodeOf(err); code != problem.CodeUnauthenticated && code != problem.CodePermissionDenied {
				t.Fatalf("token %q: %v, want unauthenticated or permission_denied", raw, err)
			}
			return
		}
		want, ok := fx.valid[signingInput(raw)]
		if !ok {
			t.Fatalf("token %q passed as %s (%s) but the issuer signed no such header and payload", raw, id, role)
		}
		if id != want.id || role != want.role {
			t.Fatalf("token %q passed as %s (%s), want %s (%s)", raw, id, role, want.id, want.role)
		}
	})
}

// FuzzOIDCKeySet: any key set the issuer serves is read without a panic;
// the verifier keeps only RSA keys of 2048 bits or more with an odd
// exponent and P-256 points, answers 503 (unavailable) exactly when none
// is usable, and accepts a valid token only when the key it verified with
// is the one that signed it.
func FuzzOIDCKeySet(f *testing.F) {
	fx := fuzzFixture(f)
	for _, doc := range fx.jwksSeeds {
		for i := range fx.tokens {
			f.Add(doc, uint8(i))
		}
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, jwks []byte, which uint8) {
		raw := fx.tokens[int(which)%len(fx.tokens)]
		v := newOIDCVerifier(fx.config(jwks))
		id, role, err := v.verify(ctx, raw)
		for kid, k := range v.keys {
			switch k := k.(type) {
			case *rsa.PublicKey:
				if k.N.BitLen() < 2048 || k.E < 3 || k.E%2 == 0 {
					t.Fatalf("key set %q: kept a weak RSA key %q", jwks, kid)
				}
			case *ecdsa.PublicKey:
				if _, err := k.Bytes(); k.Curve != elliptic.P256() || err != nil {
					t.Fatalf("key set %q: kept EC key %q off P-256", jwks, kid)
				}
			default:
				t.Fatalf("key set %q: kept key %q of type %T", jwks, kid, k)
			}
		}
		if err != nil {
			code := problem.CodeOf(err)
			if (code == problem.CodeUnavailable) != (v.keys == nil) {
				t.Fatalf("key set %q: %v with %d usable keys", jwks, err, len(v.keys))
			}
			if code != problem.CodeUnavailable && code != problem.CodeUnauthenticated {
				t.Fatalf("key set %q: %v", jwks, err)
			}
			return
		}
		want := fx.valid[signingInput(raw)]
		tok, _, perr := jwt.NewParser().ParseUnverified(raw, jwt.MapClaims{})
		if perr != nil {
			t.Fatal(perr)
		}
		kid, _ := tok.Header["kid"].(string)
		used, ok := v.lookup(kid)
		type equaler interface{ Equal(crypto.PublicKey) bool }
		if !ok || !used.(equaler).Equal(want.pub) {
			t.Fatalf("key set %q: the token of %s passed with key %q, not the key that signed it", jwks, want.id, kid)
		}
		if id != want.id || role != want.role {
			t.Fatalf("key set %q: passed as %s (%s), want %s (%s)", jwks, id, role, want.id, want.role)
		}
	})
}
