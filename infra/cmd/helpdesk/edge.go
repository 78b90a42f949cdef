package main

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"helpdesk/gateway"
)

// edgeFlags are the flags of how the gateway faces clients: TLS, trusted
// proxies, rate limits, CORS and single sign-on.
type edgeFlags struct {
	tlsCert, tlsKey, trustedProxies, corsOrigins string
	rateIP, rateAccount                          string
	rateLoopback                                 bool
	oidcIssuer, oidcAudience, oidcRoleClaim      string
	oidcRoleMap                                  string
}

func registerEdge(fs *flag.FlagSet) *edgeFlags {
	var e edgeFlags
	fs.StringVar(&e.tlsCert, "tls-cert", env("HELPDESK_TLS_CERT", ""), "serve HTTPS (TLS 1.2+) with this PEM certificate chain; needs --tls-key (HELPDESK_TLS_CERT)")
	fs.StringVar(&e.tlsKey, "tls-key", env("HELPDESK_TLS_KEY", ""), "PEM private key of --tls-cert (HELPDESK_TLS_KEY)")
	fs.StringVar(&e.trustedProxies, "trusted-proxies", env("HELPDESK_TRUSTED_PROXIES", ""), "comma-separated CIDRs of reverse proxies whose X-Forwarded-For / X-Real-IP name the client; default none (HELPDESK_TRUSTED_PROXIES)")
	fs.StringVar(&e.corsOrigins, "cors-origins", env("HELPDESK_CORS_ORIGINS", ""), "comma-separated browser origins allowed to call the API cross-site, e.g. https://desk.example.com; default none (HELPDESK_CORS_ORIGINS)")
	fs.StringVar(&e.rateIP, "rate-limit-ip", env("HELPDESK_RATE_LIMIT_IP", gateway.DefaultRateLimitIP.String()), "requests a second per client address, RATE or RATE:BURST, or off (HELPDESK_RATE_LIMIT_IP)")
	fs.StringVar(&e.rateAccount, "rate-limit-account", env("HELPDESK_RATE_LIMIT_ACCOUNT", gateway.DefaultRateLimitAccount.String()), "requests a second per signed-in account, RATE or RATE:BURST, or off (HELPDESK_RATE_LIMIT_ACCOUNT)")
	fs.BoolVar(&e.rateLoopback, "rate-limit-loopback", envBool("HELPDESK_RATE_LIMIT_LOOPBACK"), "rate-limit loopback clients too; by default the host itself is exempt (HELPDESK_RATE_LIMIT_LOOPBACK)")
	fs.StringVar(&e.oidcIssuer, "oidc-issuer", env("HELPDESK_OIDC_ISSUER", ""), "also accept access tokens of this OpenID Connect issuer URL (single sign-on) (HELPDESK_OIDC_ISSUER)")
	fs.StringVar(&e.oidcAudience, "oidc-audience", env("HELPDESK_OIDC_AUDIENCE", ""), "the audience single sign-on tokens must name (HELPDESK_OIDC_AUDIENCE)")
	fs.StringVar(&e.oidcRoleClaim, "oidc-role-claim", env("HELPDESK_OIDC_ROLE_CLAIM", "roles"), "the token claim holding the user's groups; a dotted path reaches into objects (HELPDESK_OIDC_ROLE_CLAIM)")
	fs.StringVar(&e.oidcRoleMap, "oidc-role-map", env("HELPDESK_OIDC_ROLE_MAP", ""), "group=role,... mapping the claim's groups to Helpdesk roles; the first match wins, a token with none is refused (HELPDESK_OIDC_ROLE_MAP)")
	return &e
}

func envBool(name string) bool {
	v, err := strconv.ParseBool(os.Getenv(name))
	return err == nil && v
}

// edge checks the flags and returns the gateway's configuration.
func (f *edgeFlags) edge() (gateway.Edge, error) {
	var errs []error
	e := gateway.Edge{TLSCertFile: f.tlsCert, TLSKeyFile: f.tlsKey, RateLimitLoopback: f.rateLoopback}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together: give both or neither"))
	}
	for _, p := range splitList(f.trustedProxies) {
		prefix, err := netip.ParsePrefix(p)
		if addr, aerr := netip.ParseAddr(p); err != nil && aerr == nil {
			prefix, err = addr.Prefix(addr.BitLen())
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("--trusted-proxies: %q is not a CIDR such as 10.0.0.0/8 or an address", p))
			continue
		}
		e.TrustedProxies = append(e.TrustedProxies, prefix)
	}
	e.CORSOrigins = splitList(f.corsOrigins)
	var err error
	if e.RateLimitIP, err = gateway.ParseRateLimit(f.rateIP); err != nil {
		errs = append(errs, fmt.Errorf("--rate-limit-ip: %w", err))
	}
	if e.RateLimitAccount, err = gateway.ParseRateLimit(f.rateAccount); err != nil {
		errs = append(errs, fmt.Errorf("--rate-limit-account: %w", err))
	}
	if f.oidcIssuer != "" {
		roles, err := gateway.ParseRoleMap(f.oidcRoleMap)
		if err != nil {
			errs = append(errs, fmt.Errorf("--oidc-role-map: %w", err))
		}
		e.OIDC = &gateway.OIDCConfig{Issuer: f.oidcIssuer, Audience: f.oidcAudience, RoleClaim: f.oidcRoleClaim, RoleMap: roles}
	} else if f.oidcAudience != "" || f.oidcRoleMap != "" {
		errs = append(errs, errors.New("--oidc-audience and --oidc-role-map need --oidc-issuer"))
	}
	if len(errs) == 0 {
		errs = append(errs, e.Validate())
	}
	return e, errors.Join(errs...)
}

// splitList splits a comma-separated list, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
