package e2e_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"helpdesk/infra/telemetry"
)

// TestTrace_crosses_gateway_nats_service_projection sends a request with a
// W3C traceparent and finds the gateway, the service and the projection
// spans of the ticket creation in that one trace.
func TestTrace_crosses_gateway_nats_service_projection(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	prev := otel.GetTracerProvider()
	shutdown, err := telemetry.SetupTracing(context.Background(), "e2e", rec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shutdown(context.Background()); otel.SetTracerProvider(prev) })

	sys := startSystem(t, t.TempDir())
	a := newActors(t, sys)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	created := a.customer.must(http.StatusCreated, "POST", "/api/v1/tickets", map[string]any{"title": "追踪"},
		"traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	id := created.str("id")
	eventually(t, 2*time.Second, "ticket listed", func() bool {
		return strings.Contains(string(a.agent.must(http.StatusOK, "GET", "/api/v1/tickets", nil).Raw), id)
	})

	want := map[string]bool{"gateway": false, "service": false, "projection": false}
	eventually(t, 2*time.Second, "spans of every tier in the trace", func() bool {
		for _, s := range rec.Ended() {
			if s.SpanContext().TraceID().String() != traceID {
				continue
			}
			name := s.Name()
			switch {
			case strings.HasPrefix(name, "handle helpdesk.ticket.open"):
				want["service"] = true
			case strings.HasPrefix(name, "projection ticket_list"):
				want["projection"] = true
			case strings.Contains(name, "/api/v1/tickets"):
				want["gateway"] = true
			}
		}
		return want["gateway"] && want["service"] && want["projection"]
	})
}
