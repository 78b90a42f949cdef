package gateway

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/labstack/echo/v5"
)

// Edge configures how the gateway faces its clients: TLS, which proxies
// may name the client's address, rate limits, CORS and single sign-on.
// The zero value serves plain HTTP with the default rate limits, trusts no
// proxy, sends no CORS headers and accepts only the gateway's own tokens.
type Edge struct {
	// TLSCertFile and TLSKeyFile, both or neither, serve HTTPS (TLS 1.2
	// and later) with a PEM certificate chain and its private key. They
	// are read once, at start-up.
	TLSCertFile string
	TLSKeyFile  string
	// TrustedProxies are the networks whose X-Forwarded-For and X-Real-IP
	// headers name the client; requests from any other address are
	// attributed to their socket address. Default none.
	TrustedProxies []netip.Prefix
	// CORSOrigins are the browser origins (scheme://host[:port]) allowed
	// to call the API from another site; default none, and then no CORS
	// header is ever sent.
	CORSOrigins []string
	// RateLimitIP limits the requests of one client address, and
	// RateLimitAccount those of one signed-in account (a user or a PBX);
	// see RateLimit for the defaults.
	RateLimitIP      RateLimit
	RateLimitAccount RateLimit
	// RateLimitLoopback applies the rate limits to clients on the
	// loopback address too. By default they are exempt: such a client is
	// the host itself (an operator, a load test, or a proxy on the same
	// host, which must be listed in TrustedProxies so that its clients are
	// told apart and limited).
	RateLimitLoopback bool
	// OIDC, when set, also accepts access tokens of an OpenID Connect
	// issuer (single sign-on).
	OIDC *OIDCConfig
}

// The default rate limits: an office behind one NAT address with a hundred
// agents, and a PBX reporting the steps of many calls at once, stay well
// under them; a client hammering the API does not.
var (
	DefaultRateLimitIP      = RateLimit{PerSecond: 100, Burst: 200}
	DefaultRateLimitAccount = RateLimit{PerSecond: 50, Burst: 100}
)

func (e *Edge) setDefaults() {
	if e.RateLimitIP == (RateLimit{}) {
		e.RateLimitIP = DefaultRateLimitIP
	}
	if e.RateLimitAccount == (RateLimit{}) {
		e.RateLimitAccount = DefaultRateLimitAccount
	}
}

// Validate reports every unusable setting; New checks it too.
func (e Edge) Validate() error {
	var errs []error
	if (e.TLSCertFile == "") != (e.TLSKeyFile == "") {
		errs = append(errs, fmt.Errorf("gateway: give both a TLS certificate file and its key file, or neither (certificate %q, key %q)",
			e.TLSCertFile, e.TLSKeyFile))
	}
	for _, o := range e.CORSOrigins {
		if !validOrigin(o) {
			errs = append(errs, fmt.Errorf("gateway: CORS origin %q is not scheme://host[:port]", o))
		}
	}
	errs = append(errs, e.RateLimitIP.validate("per-address")...)
	errs = append(errs, e.RateLimitAccount.validate("per-account")...)
	if e.OIDC != nil {
		errs = append(errs, e.OIDC.validate()...)
	}
	return errors.Join(errs...)
}

// validOrigin reports whether o is an origin as browsers send it.
func validOrigin(o string) bool {
	scheme, host, ok := strings.Cut(o, "://")
	return ok && (scheme == "https" || scheme == "http") && host != "" && !strings.ContainsAny(host, "/?#* ")
}

// ipExtractor names the client of a request: the socket address, or, for
// a request from a trusted proxy, the nearest untrusted address in its
// X-Forwarded-For header (else its X-Real-IP header).
func ipExtractor(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		p = p.Masked()
		opts = append(opts, echo.TrustIPRange(&net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}))
	}
	xff, realIP := echo.ExtractIPFromXFFHeader(opts...), echo.ExtractIPFromRealIPHeader(opts...)
	return func(r *http.Request) string {
		if r.Header.Get(echo.HeaderXForwardedFor) != "" {
			return xff(r)
		}
		return realIP(r)
	}
}

// secureHeaders sets the security headers of every response: the API
// serves JSON and YAML, never pages, so nothing may load, frame or sniff
// it; API responses are personal and never cached; HSTS only over TLS.
func secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if strings.HasPrefix(c.Request().URL.Path, "/api/") {
			h.Set("Cache-Control", "no-store")
		}
		if c.Request().TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}

// The CORS answer: the methods and request headers the API uses, and the
// response headers a browser script may read.
const (
	corsMethods       = "GET, POST, PUT, PATCH, DELETE"
	corsAllowHeaders  = "Authorization, Content-Type, If-Match, Idempotency-Key, X-Request-Id"
	corsExposeHeaders = "ETag, Location, Retry-After, X-Request-Id"
	corsMaxAge        = "600"
)

// cors answers cross-origin requests from the allowed origins: a preflight
// (OPTIONS with Access-Control-Request-Method) gets 204 and the allowed
// methods and headers; other requests get Access-Control-Allow-Origin.
// Requests from other origins get no CORS header at all, so browsers
// refuse to hand the responses to their scripts.
func cors(origins []string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			req := c.Request()
			origin := req.Header.Get("Origin")
			if origin == "" || len(origins) == 0 {
				return next(c)
			}
			h := c.Response().Header()
			h.Add("Vary", "Origin")
			if !slices.Contains(origins, origin) {
				return next(c)
			}
			h.Set("Access-Control-Allow-Origin", origin)
			if req.Method == http.MethodOptions && req.Header.Get("Access-Control-Request-Method") != "" {
				h.Add("Vary", "Access-Control-Request-Method")
				h.Add("Vary", "Access-Control-Request-Headers")
				h.Set("Access-Control-Allow-Methods", corsMethods)
				h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
				h.Set("Access-Control-Max-Age", corsMaxAge)
				return c.NoContent(http.StatusNoContent)
			}
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
			return next(c)
		}
	}
}
