package auditlog_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/infra/auditlog"
	"helpdesk/infra/natsembed"
)

// TestNewAccessTrail_keeps_an_operators_replicas_and_size_limit: on a
// three-node cluster the AUDIT stream is created with 3 replicas; an
// operator bounds its size; a gateway started with 1 replica and another
// retention keeps the 3 replicas and the size limit and sets its retention.
func TestNewAccessTrail_keeps_an_operators_replicas_and_size_limit(t *testing.T) {
	t.Parallel()
	c := natsembed.StartClusterForTest(t, 3)
	js := c.JetStreamForTest(t)
	nc := js.Conn()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	open := func(replicas, days int) {
		t.Helper()
		trail, err := auditlog.NewAccessTrail(ctx, auditlog.AccessTrailConfig{
			Conn: nc, RetentionDays: days, Replicas: replicas, Registerer: prometheus.NewRegistry(),
		})
		if err != nil {
			t.Fatalf("access trail with %d replicas: %v", replicas, err)
		}
		if err := trail.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	config := func() jetstream.StreamConfig {
		t.Helper()
		st, err := js.Stream(ctx, auditlog.AccessStream)
		if err != nil {
			t.Fatal(err)
		}
		return st.CachedInfo().Config
	}

	open(3, 365)
	cfg := config()
	if cfg.Replicas != 3 || cfg.MaxAge != 365*24*time.Hour || !cfg.DenyDelete || !cfg.DenyPurge {
		t.Fatalf("created: %d replicas, max age %s, deny delete %v, deny purge %v", cfg.Replicas, cfg.MaxAge, cfg.DenyDelete, cfg.DenyPurge)
	}
	cfg.MaxBytes = 1 << 30
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatalf("operator's update: %v", err)
	}
	open(1, 200)
	cfg = config()
	if cfg.Replicas != 3 || cfg.MaxBytes != 1<<30 || cfg.MaxAge != 200*24*time.Hour {
		t.Fatalf("after a start with 1 replica and 200 days: %d replicas, max bytes %d, max age %s; want 3, the operator's 1 GiB, 200 days",
			cfg.Replicas, cfg.MaxBytes, cfg.MaxAge)
	}
}
