package e2e_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/auditlog"
	"helpdesk/infra/launcher"
	"helpdesk/infra/sqlstore"
	"helpdesk/infra/sqlstore/sqlstoretest"
)

// externalNATS is the NATS server with JetStream that runs on the project's
// machines (and in CI).
const externalNATS = "nats://127.0.0.1:4222"

// reserveExternalNATS skips the test unless the machine's NATS server is up
// and holds no Helpdesk streams, and deletes the streams and the secrets
// bucket the test creates when it ends.
func reserveExternalNATS(t *testing.T) {
	t.Helper()
	probe, err := nats.Connect(externalNATS, nats.Timeout(2*time.Second))
	if err != nil {
		t.Skipf("no NATS server at %s: %v", externalNATS, err)
	}
	t.Cleanup(probe.Close) // registered first, so it runs after the deletions below
	js, err := jetstream.New(probe)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, svc := range launcher.Services {
		if _, err := js.Stream(ctx, subjects.Stream(svc)); !errors.Is(err, jetstream.ErrStreamNotFound) {
			t.Skipf("%s already has stream %s (err=%v); not touching it", externalNATS, subjects.Stream(svc), err)
		}
	}
	if _, err := js.Stream(ctx, auditlog.AccessStream); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Skipf("%s already has stream %s (err=%v); not touching it", externalNATS, auditlog.AccessStream, err)
	}
	if _, err := js.ObjectStore(ctx, callapi.RecordingsBucket); !errors.Is(err, jetstream.ErrBucketNotFound) {
		t.Skipf("%s already has the object store %s (err=%v); not touching it", externalNATS, callapi.RecordingsBucket, err)
	}
	t.Cleanup(func() {
		for _, svc := range launcher.Services {
			_ = js.DeleteStream(ctx, subjects.Stream(svc))
		}
		_ = js.DeleteStream(ctx, auditlog.AccessStream)
		_ = js.DeleteKeyValue(ctx, "helpdesk_secrets")
		_ = js.DeleteObjectStore(ctx, callapi.RecordingsBucket)
	})
}

// TestServe_against_external_NATS runs the services and the gateway as
// separate parts, each with its own connection to the machine's NATS
// server, the way `helpdesk serve <service>` and `helpdesk gateway` do, and
// drives a ticket through them, with the read model in PostgreSQL. The test refuses to touch a server that already holds Helpdesk
// streams, and deletes what it created.
func TestServe_against_external_NATS(t *testing.T) {
	reserveExternalNATS(t)
	ctx := context.Background()
	// The read model lives in PostgreSQL, in a schema of the test's own.
	db := sqlstore.Config{Driver: "postgres", DSN: sqlstoretest.PostgresDSN(t)}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	start := func(cfg launcher.PartsConfig) *launcher.Parts {
		nc, err := nats.Connect(externalNATS)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Conn, cfg.Logger, cfg.Registry = nc, logger, launcher.NewRegistry()
		p, err := launcher.StartParts(ctx, cfg)
		if err != nil {
			nc.Close()
			t.Fatalf("start %v: %v", cfg.Services, err)
		}
		t.Cleanup(func() { _ = p.Stop(context.Background()) })
		return p
	}
	start(launcher.PartsConfig{Services: []string{"identity"}, EnsureAdmin: true, AdminPassword: adminPassword,
		Auth: launcher.Auth{AdminSetPasswordsFinal: true, AdminPasswordFinal: true}})
	start(launcher.PartsConfig{Services: []string{"ticket"}, DB: db, DeadlineInterval: time.Second})
	start(launcher.PartsConfig{Services: []string{"knowledge"}, DB: db, IndexDir: t.TempDir()})
	start(launcher.PartsConfig{Services: []string{"callrecord"}, DB: db})
	start(launcher.PartsConfig{Services: []string{"satisfaction"}, DB: db})
	start(launcher.PartsConfig{Services: []string{"customization"}, DB: db})
	gw := start(launcher.PartsConfig{Gateway: true, Listen: "127.0.0.1:0"})

	admin := newClient(t, gw.URL).login("admin", adminPassword)
	agent := admin.must(http.StatusCreated, "POST", "/api/v1/users", map[string]string{"username": "ext-agent", "password": userPassword, "role": "agent"})
	created := admin.must(http.StatusCreated, "POST", "/api/v1/tickets", map[string]any{"title": "外部 NATS 集群上的工单"})
	path := "/api/v1/tickets/" + created.str("id")
	r := admin.must(http.StatusOK, "POST", path+"/assign", map[string]any{"assignee": agent.str("id")}, "If-Match", created.Header.Get("ETag"))
	if r.str("assignee") != agent.str("id") {
		t.Fatalf("assign: %s", r.Raw)
	}
	eventually(t, 2*time.Second, "ticket in the list", func() bool {
		l := admin.must(http.StatusOK, "GET", "/api/v1/tickets?assignee="+agent.str("id"), nil)
		return len(l.Body["items"].([]any)) == 1
	})
	cat := admin.must(http.StatusCreated, "POST", "/api/v1/kb/categories", map[string]any{"name": "外部集群"})
	eventually(t, 5*time.Second, "the category in the tree", func() bool {
		return hasItem(admin.must(http.StatusOK, "GET", "/api/v1/kb/categories", nil), cat.str("id"))
	})
	admin.must(http.StatusOK, "GET", "/readyz", nil)
}
