package launcher

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// OpsServer is the small HTTP server of a process without the gateway
// (`helpdesk serve <service>`): /metrics for Prometheus, /healthz (the
// process runs) and /readyz (connected to NATS) for probes.
type OpsServer struct {
	// URL is the server's base URL.
	URL string
	srv *http.Server
}

// StartOps serves /metrics, /healthz and /readyz on listen.
func StartOps(listen string, nc *nats.Conn, reg *prometheus.Registry) (*OpsServer, error) {
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path != "/metrics" && r.URL.Path != "/healthz" && r.URL.Path != "/readyz":
			writeStatus(w, http.StatusNotFound, "", "this server has /metrics, /healthz and /readyz only")
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			w.Header().Set("Allow", "GET, HEAD")
			writeStatus(w, http.StatusMethodNotAllowed, "", "use GET")
		case r.URL.Path == "/metrics":
			metrics.ServeHTTP(w, r)
		case r.URL.Path == "/healthz":
			writeStatus(w, http.StatusOK, "ok", "")
		case nc.Status() != nats.CONNECTED:
			writeStatus(w, http.StatusServiceUnavailable, "", "not connected to NATS ("+nc.Status().String()+")")
		default:
			writeStatus(w, http.StatusOK, "ready", "")
		}
	})
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("metrics listen on %s: %w", listen, err)
	}
	s := &OpsServer{URL: "http://" + ln.Addr().String(), srv: &http.Server{
		Handler: handler, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second,
	}}
	go func() { _ = s.srv.Serve(ln) }() // ends with ErrServerClosed on Stop
	return s, nil
}

// Stop stops the server, waiting for requests in flight until ctx ends.
func (s *OpsServer) Stop(ctx context.Context) error {
	return s.srv.Shutdown(ctx)
}

// writeStatus answers a probe: JSON for 200, problem+json otherwise.
func writeStatus(w http.ResponseWriter, code int, status, detail string) {
	body := map[string]any{"status": status}
	w.Header().Set("Content-Type", "application/json")
	if code != http.StatusOK {
		body = map[string]any{"type": "about:blank", "title": http.StatusText(code), "status": code, "detail": detail}
		w.Header().Set("Content-Type", "application/problem+json")
	}
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}
