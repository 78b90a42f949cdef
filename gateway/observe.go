package gateway

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v5"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"helpdesk/contracts/identityapi"
	"helpdesk/infra/auditlog"
	"helpdesk/infra/rpc"
	"helpdesk/infra/telemetry"
)

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) httpMetrics {
	return httpMetrics{
		requests: telemetry.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "helpdesk_http_requests_total", Help: "HTTP requests by method, route and status code.",
		}, []string{"method", "route", "code"})),
		duration: telemetry.Register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "helpdesk_http_request_duration_seconds", Help: "HTTP request latency by method and route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"method", "route"})),
	}
}

// observe is the outermost middleware: it continues the caller's trace (W3C
// traceparent), sets the correlation id, a fresh request id and the
// client's address (c.RealIP) on the caller, and records metrics, one JSON
// access log line and one access-trail record per request.
//
// The correlation id is the client's X-Request-Id (or X-Correlation-Id)
// when it sent one, echoed as X-Request-Id: it ties a client's retries and
// everything they cause together. The request id is always the gateway's
// own, one per HTTP request, so that the audit trail can tell the requests
// apart whatever a client sends.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	tracer := otel.Tracer("helpdesk/gateway")
	return func(c *echo.Context) error {
		start := time.Now()
		req := c.Request()
		ctx := telemetry.Propagator.Extract(req.Context(), propagation.HeaderCarrier(req.Header))
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		ctx, span := tracer.Start(ctx, req.Method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", req.Method), attribute.String("http.route", route)))
		defer span.End()

		corr := sanitizeID(req.Header.Get("X-Request-Id"))
		if corr == "" {
			corr = sanitizeID(req.Header.Get("X-Correlation-Id"))
		}
		if corr == "" {
			corr = uuid.Must(uuid.NewV7()).String()
		}
		c.Response().Header().Set("X-Request-Id", corr)
		reqID, ip := uuid.Must(uuid.NewV7()).String(), c.RealIP()
		ctx = rpc.WithCaller(ctx, rpc.Caller{CorrelationID: corr, RequestID: reqID, SourceIP: ip})
		c.SetRequest(req.WithContext(ctx))

		err := next(c)
		if err != nil {
			c.Echo().HTTPErrorHandler(c, err) // write the problem now, to log its status
		}
		_, status := echo.ResolveResponseStatus(c.Response(), nil)
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetStatus(codes.Error, strconv.Itoa(status))
		}
		elapsed := time.Since(start)
		s.metrics.requests.WithLabelValues(req.Method, route, strconv.Itoa(status)).Inc()
		s.metrics.duration.WithLabelValues(req.Method, route).Observe(elapsed.Seconds())
		caller := callerOf(c)
		ms := float64(elapsed.Microseconds()) / 1000
		s.cfg.Logger.InfoContext(ctx, "http request", "method", req.Method, "route", route, "status", status,
			"duration_ms", ms, "request_id", corr, "user", caller.ID)
		if s.cfg.AccessTrail != nil && !probeRoutes[route] {
			rec := auditlog.AccessRecord{Time: start.UTC(), Method: req.Method, Route: route, Status: status,
				SourceIP: ip, RequestID: reqID, CorrelationID: corr, DurationMS: ms}
			if !strings.HasPrefix(caller.ID, "system:") { // not the gateway acting for itself
				rec.Actor, rec.ActorRole = caller.ID, caller.Role
			}
			s.cfg.AccessTrail.Record(rec)
		}
		return nil
	}
}

// probeRoutes are left out of the access trail: health checks and metric
// scrapes come every few seconds and say nothing about who did what.
var probeRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// systemCaller is the gateway acting for itself within the request (to
// sign a user in, to check a PBX key): it keeps the request's correlation
// id, request id and client address, so the events it causes carry them.
func systemCaller(c *echo.Context) rpc.Caller {
	outer := callerOf(c)
	return rpc.Caller{ID: "system:gateway", Role: identityapi.RoleSystem,
		CorrelationID: outer.CorrelationID, RequestID: outer.RequestID, SourceIP: outer.SourceIP}
}

// sanitizeID keeps a client-sent id if it is short printable ASCII.
func sanitizeID(id string) string {
	if len(id) == 0 || len(id) > 128 {
		return ""
	}
	for _, r := range id {
		if r < 0x21 || r > 0x7e {
			return ""
		}
	}
	return strings.TrimSpace(id)
}
