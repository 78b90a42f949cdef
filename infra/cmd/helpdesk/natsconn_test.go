package main

import (
	"crypto/tls"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"helpdesk/infra/tlstest"
)

// startTLSNATS starts a NATS server that speaks only TLS with a certificate
// of ca; verifyClients makes it require a client certificate of ca, and
// user/password, when set, are required too.
func startTLSNATS(t *testing.T, ca *tlstest.CA, verifyClients bool, user, password string) string {
	t.Helper()
	certFile, keyFile := ca.Server(t, "nats")
	tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: certFile, KeyFile: keyFile, CaFile: ca.File, Verify: verifyClients})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, NoSigs: true, NoLog: true,
		TLS: true, TLSConfig: tc, TLSVerify: verifyClients, TLSTimeout: 2,
		Username: user, Password: password,
	})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	t.Cleanup(ns.Shutdown)
	return ns.ClientURL()
}

func TestConnect_TLS_and_credentials(t *testing.T) {
	t.Parallel()
	ca := tlstest.NewCA(t)
	other := tlstest.NewCA(t)
	plain := startTLSNATS(t, ca, false, "", "")
	mutual := startTLSNATS(t, ca, true, "", "")
	withUser := startTLSNATS(t, ca, false, "helpdesk", "s3cret-pass")
	clientCert, clientKey := ca.Client(t, "helpdesk")
	strangerCert, strangerKey := other.Client(t, "stranger")

	tests := []struct {
		name    string
		cfg     natsConfig
		wantErr string // "" for a working connection; alternatives separated by "|"
	}{
		{"CA trusted", natsConfig{url: plain, ca: ca.File}, ""},
		{"no CA", natsConfig{url: plain}, "unknown authority"},
		{"another CA", natsConfig{url: plain, ca: other.File}, "unknown authority"},
		{"client certificate", natsConfig{url: mutual, ca: ca.File, cert: clientCert, key: clientKey}, ""},
		// With TLS 1.3 the server refuses a client certificate after the
		// handshake: the client reads the alert, or finds the connection closed.
		{"no client certificate", natsConfig{url: mutual, ca: ca.File}, "certificate required|connection closed by remote after TLS handshake"},
		{"client certificate of another CA", natsConfig{url: mutual, ca: ca.File, cert: strangerCert, key: strangerKey}, "unknown certificate authority|connection closed by remote after TLS handshake"},
		{"user and password", natsConfig{url: withUser, ca: ca.File, user: "helpdesk", password: "s3cret-pass"}, ""},
		{"wrong password", natsConfig{url: withUser, ca: ca.File, user: "helpdesk", password: "guess"}, "authorization"},
		{"certificate without key", natsConfig{url: plain, ca: ca.File, cert: clientCert}, "--nats-cert and --nats-key"},
		{"two kinds of credentials", natsConfig{url: plain, ca: ca.File, user: "u", password: "p", token: "t"}, "give one of"},
		{"user without password", natsConfig{url: plain, ca: ca.File, user: "u"}, "--nats-user and --nats-password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			nc, err := connect(tt.cfg, "test")
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("connect: %v", err)
				}
				defer nc.Close()
				state, err := nc.TLSConnectionState()
				if err != nil || state.Version < tls.VersionTLS12 {
					t.Fatalf("connection is not TLS 1.2+: version %x, %v", state.Version, err)
				}
				if err := nc.Flush(); err != nil {
					t.Fatalf("flush: %v", err)
				}
				return
			}
			if err == nil {
				nc.Close()
				t.Fatalf("connected, want an error containing %q", tt.wantErr)
			}
			if !slices.ContainsFunc(strings.Split(tt.wantErr, "|"), func(want string) bool {
				return strings.Contains(strings.ToLower(err.Error()), strings.ToLower(want))
			}) {
				t.Fatalf("error %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// TestConnect_error_hides_URL_credentials: a password or token in
// --nats-url never reaches the error, which is printed and logged.
func TestConnect_error_hides_URL_credentials(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"nats://helpdesk:s3cret-url@127.0.0.1:1", "nats://s3cret-url@127.0.0.1:1",
		"nats://127.0.0.1:1, nats://helpdesk:s3cret-url@127.0.0.1:2"} {
		nc, err := connect(natsConfig{url: u}, "test")
		if err == nil {
			nc.Close()
			t.Fatalf("%s: connected", u)
		}
		if strings.Contains(err.Error(), "s3cret-url") || !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("error %q, want the server without its secret", err)
		}
	}
}
