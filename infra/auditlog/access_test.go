package auditlog_test

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/infra/auditlog"
	"helpdesk/infra/natsembed"
)

func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// TestAccessTrail_overload_drops_and_counts: records beyond the buffer are
// dropped, never waited for, and every record is either sent or counted
// as dropped.
func TestAccessTrail_overload_drops_and_counts(t *testing.T) {
	t.Parallel()
	_, nc := natsembed.StartForTest(t)
	reg := prometheus.NewRegistry()
	trail, err := auditlog.NewAccessTrail(context.Background(), auditlog.AccessTrailConfig{
		Conn: nc, RetentionDays: auditlog.MinRetentionDays, Buffer: 1, Registerer: reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	const n = 20000
	for i := range n {
		trail.Record(auditlog.AccessRecord{Time: time.Now(), Method: "GET", Route: "/api/v1/me", Status: 200, RequestID: strconv.Itoa(i)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := trail.Close(ctx); err != nil {
		t.Fatal(err)
	}
	sent, dropped := counter(t, reg, "helpdesk_audit_access_records_total"), counter(t, reg, "helpdesk_audit_access_dropped_total")
	if dropped == 0 || sent == 0 || sent+dropped != n {
		t.Fatalf("sent %v, dropped %v of %d: want both, adding up", sent, dropped, n)
	}
	trail.Record(auditlog.AccessRecord{RequestID: "after-close"}) // dropped, no panic
	if got := counter(t, reg, "helpdesk_audit_access_dropped_total"); got != dropped+1 {
		t.Fatalf("a record after Close: dropped %v, want %v", got, dropped+1)
	}
}

// TestAccessTrail_batches_records: a burst of records travels in a few
// messages of JSON lines, every record once and in order.
func TestAccessTrail_batches_records(t *testing.T) {
	t.Parallel()
	_, nc := natsembed.StartForTest(t)
	trail, err := auditlog.NewAccessTrail(context.Background(), auditlog.AccessTrailConfig{
		Conn: nc, RetentionDays: auditlog.MinRetentionDays, Registerer: prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	const n = 1000
	for i := range n {
		trail.Record(auditlog.AccessRecord{Time: time.Now(), Method: "GET", Route: "/api/v1/kb/suggestions", Status: 200, RequestID: strconv.Itoa(i)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := trail.Close(ctx); err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	st, err := js.Stream(ctx, auditlog.AccessStream)
	if err != nil {
		t.Fatal(err)
	}
	msgs := st.CachedInfo().State.Msgs
	if msgs == 0 || msgs > n/100 {
		t.Fatalf("%d records in %d messages: want a few messages", n, msgs)
	}
	next := 0
	for seq := uint64(1); seq <= msgs; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		records, err := auditlog.DecodeAccessRecords(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Header.Get(auditlog.HeaderRecords); got != strconv.Itoa(len(records)) {
			t.Fatalf("message %d says %s records, holds %d", seq, got, len(records))
		}
		for _, r := range records {
			if r.RequestID != strconv.Itoa(next) {
				t.Fatalf("record %q after %d", r.RequestID, next-1)
			}
			next++
		}
	}
	if next != n {
		t.Fatalf("%d of %d records stored", next, n)
	}
}

func TestNewAccessTrail_refuses_short_retention(t *testing.T) {
	t.Parallel()
	_, nc := natsembed.StartForTest(t)
	for _, days := range []int{0, 30, auditlog.MinRetentionDays - 1} {
		_, err := auditlog.NewAccessTrail(context.Background(), auditlog.AccessTrailConfig{Conn: nc, RetentionDays: days, Registerer: prometheus.NewRegistry()})
		if err == nil || !strings.Contains(err.Error(), "at least six months (184 days)") {
			t.Errorf("retention %d days: %v", days, err)
		}
	}
}

// countingHandler counts the log records at warning level or above.
type countingHandler struct{ warnings *atomic.Int64 }

func (h countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		h.warnings.Add(1)
	}
	return nil
}
func (h countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countingHandler) WithGroup(string) slog.Handler      { return h }

// TestAccessTrail_unreachable_NATS_logs_sparingly: while NATS is gone
// every record fails to send; that is counted for each, but logged only
// now and then, not once per request.
func TestAccessTrail_unreachable_NATS_logs_sparingly(t *testing.T) {
	t.Parallel()
	_, nc := natsembed.StartForTest(t)
	reg := prometheus.NewRegistry()
	var warnings atomic.Int64
	trail, err := auditlog.NewAccessTrail(context.Background(), auditlog.AccessTrailConfig{
		Conn: nc, RetentionDays: auditlog.MinRetentionDays, Registerer: reg, Logger: slog.New(countingHandler{&warnings}),
	})
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	const n = 200
	for i := range n {
		trail.Record(auditlog.AccessRecord{Time: time.Now(), Method: "GET", Route: "/api/v1/me", Status: 200, RequestID: strconv.Itoa(i)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = trail.Close(ctx)
	if failed := counter(t, reg, "helpdesk_audit_access_failed_total"); failed != n {
		t.Fatalf("failed = %v, want %d", failed, n)
	}
	if w := warnings.Load(); w < 1 || w > 2 {
		t.Fatalf("%d warnings for %d failed records, want one or two", w, n)
	}
}
