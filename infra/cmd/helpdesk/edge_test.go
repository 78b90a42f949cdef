package main

import (
	"flag"
	"io"
	"net/netip"
	"strings"
	"testing"

	"helpdesk/gateway"
)

func TestEdgeFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		check   func(gateway.Edge) bool
		wantErr string
	}{
		{"defaults", nil, func(e gateway.Edge) bool {
			return e.RateLimitIP == gateway.DefaultRateLimitIP && e.RateLimitAccount == gateway.DefaultRateLimitAccount &&
				e.TLSCertFile == "" && e.OIDC == nil && len(e.TrustedProxies) == 0 && len(e.CORSOrigins) == 0 && !e.RateLimitLoopback
		}, ""},
		{"TLS", []string{"--tls-cert", "c.pem", "--tls-key", "k.pem"}, func(e gateway.Edge) bool {
			return e.TLSCertFile == "c.pem" && e.TLSKeyFile == "k.pem"
		}, ""},
		{"certificate alone", []string{"--tls-cert", "c.pem"}, nil, "--tls-cert and --tls-key go together"},
		{"key alone", []string{"--tls-key", "k.pem"}, nil, "--tls-cert and --tls-key go together"},
		{"proxies and origins", []string{"--trusted-proxies", "10.0.0.0/8, 192.0.2.7", "--cors-origins", "https://a.example,https://b.example"},
			func(e gateway.Edge) bool {
				return len(e.TrustedProxies) == 2 && e.TrustedProxies[1] == netip.MustParsePrefix("192.0.2.7/32") && len(e.CORSOrigins) == 2
			}, ""},
		{"bad proxy", []string{"--trusted-proxies", "10.0.0.0/33"}, nil, "--trusted-proxies"},
		{"rate limits", []string{"--rate-limit-ip", "off", "--rate-limit-account", "5:10", "--rate-limit-loopback"}, func(e gateway.Edge) bool {
			return e.RateLimitIP.Off && e.RateLimitAccount == gateway.RateLimit{PerSecond: 5, Burst: 10} && e.RateLimitLoopback
		}, ""},
		{"bad rate limit", []string{"--rate-limit-ip", "lots"}, nil, "--rate-limit-ip"},
		{"OIDC", []string{"--oidc-issuer", "https://sso.example", "--oidc-audience", "hd", "--oidc-role-map", "a=admin,b=agent"}, func(e gateway.Edge) bool {
			return e.OIDC != nil && e.OIDC.Issuer == "https://sso.example" && e.OIDC.RoleClaim == "roles" && len(e.OIDC.RoleMap) == 2
		}, ""},
		{"OIDC audience without issuer", []string{"--oidc-audience", "hd"}, nil, "need --oidc-issuer"},
		{"OIDC over plain HTTP", []string{"--oidc-issuer", "http://sso.example", "--oidc-audience", "hd", "--oidc-role-map", "a=admin"}, nil, "not https"},
		{"OIDC role that does not exist", []string{"--oidc-issuer", "https://sso.example", "--oidc-audience", "hd", "--oidc-role-map", "a=root"}, nil, `"root" is not a role`},
		{"CORS origin without scheme", []string{"--cors-origins", "desk.example.com"}, nil, "is not scheme://host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			f := registerEdge(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			e, err := f.edge()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(e) {
				t.Fatalf("edge %+v, %v", e, err)
			}
		})
	}
}
