package e2e_test

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"helpdesk/gateway"
	"helpdesk/infra/launcher"
	"helpdesk/infra/tlstest"
)

// TestUp_serves_TLS: the system started with a certificate serves its API
// over HTTPS only, with HSTS, and a browser origin on the allow-list gets
// its CORS answer.
func TestUp_serves_TLS(t *testing.T) {
	t.Parallel()
	ca := tlstest.NewCA(t)
	cert, key := ca.Server(t, "helpdesk")
	sys, err := launcher.Up(context.Background(), launcher.UpConfig{
		DataDir: t.TempDir(), Listen: "127.0.0.1:0", NATSListen: "127.0.0.1:-1", AdminPassword: adminPassword,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Edge:   gateway.Edge{TLSCertFile: cert, TLSKeyFile: key, CORSOrigins: []string{"https://desk.example.com"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sys.Stop(context.Background()) })
	if !strings.HasPrefix(sys.URL, "https://") {
		t.Fatalf("URL %s is not https", sys.URL)
	}

	admin := newClient(t, sys.URL)
	admin.http = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool}}}
	admin.login("admin", adminPassword)
	r := admin.must(http.StatusOK, "GET", "/api/v1/me", nil, "Origin", "https://desk.example.com")
	if got := r.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
		t.Errorf("HSTS %q", got)
	}
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "https://desk.example.com" {
		t.Errorf("Access-Control-Allow-Origin %q", got)
	}
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q", got)
	}

	plain := &http.Client{Timeout: 5 * time.Second}
	resp, err := plain.Get("http://" + strings.TrimPrefix(sys.URL, "https://") + "/healthz")
	if err == nil {
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP answered 200 on the TLS port")
		}
	}
}
