package launcher_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/infra/launcher"
	"helpdesk/infra/natsembed"
)

// TestOpsServer serves metrics and probes, and readiness follows the NATS
// connection.
func TestOpsServer(t *testing.T) {
	_, nc := natsembed.StartForTest(t)
	reg := launcher.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "helpdesk_test_total", Help: "t"})
	reg.MustRegister(c)
	c.Inc()
	ops, err := launcher.StartOps("127.0.0.1:0", nc, reg)
	if err != nil {
		t.Fatal(err)
	}
	defer ops.Stop(context.Background())
	get := func(path string) (int, string, string) {
		t.Helper()
		res, err := http.Get(ops.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header.Get("Content-Type"), string(b)
	}
	for _, tc := range []struct {
		path, want string
	}{
		{"/metrics", "helpdesk_test_total 1"},
		{"/healthz", `"ok"`},
		{"/readyz", `"ready"`},
	} {
		if code, _, body := get(tc.path); code != 200 || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s = %d %q, want 200 with %q", tc.path, code, body, tc.want)
		}
	}
	nc.Close()
	if code, ct, body := get("/readyz"); code != 503 || ct != "application/problem+json" || !strings.Contains(body, "not connected") {
		t.Errorf("GET /readyz without NATS = %d %s %q, want 503 problem", code, ct, body)
	}
	if code, _, _ := get("/healthz"); code != 200 {
		t.Errorf("GET /healthz without NATS = %d, want 200", code)
	}
}
