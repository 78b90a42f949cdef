// Package telemetry sets up tracing (OpenTelemetry), metrics (Prometheus) and
// structured logs (log/slog JSON with trace ids) for every Helpdesk process,
// and carries trace context across NATS headers.
package telemetry

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Propagator is the W3C trace-context propagator used on HTTP and NATS.
var Propagator = propagation.TraceContext{}

// SetupTracing installs a global tracer provider that samples every trace.
// When OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set, spans are
// exported over OTLP/HTTP; otherwise they are created (so trace ids reach
// logs, headers and events) but not exported. extra span processors, such as
// a test recorder, are added as given. The returned function flushes and
// stops the provider.
func SetupTracing(ctx context.Context, service string, extra ...sdktrace.SpanProcessor) (func(context.Context) error, error) {
	opts := []sdktrace.TracerProviderOption{sdktrace.WithSampler(sdktrace.AlwaysSample())}
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" {
		exp, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("otlp exporter: %w", err)
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	for _, p := range extra {
		opts = append(opts, sdktrace.WithSpanProcessor(p))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(Propagator)
	return tp.Shutdown, nil
}

// HeaderCarrier adapts NATS message headers to the OpenTelemetry
// TextMapCarrier interface.
type HeaderCarrier nats.Header

// Get implements propagation.TextMapCarrier.
func (c HeaderCarrier) Get(key string) string { return nats.Header(c).Get(key) }

// Set implements propagation.TextMapCarrier.
func (c HeaderCarrier) Set(key, value string) { nats.Header(c).Set(key, value) }

// Keys implements propagation.TextMapCarrier.
func (c HeaderCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// Inject writes the trace context of ctx into NATS headers.
func Inject(ctx context.Context, h nats.Header) {
	Propagator.Inject(ctx, HeaderCarrier(h))
}

// Extract returns ctx with the remote trace context found in NATS headers.
func Extract(ctx context.Context, h nats.Header) context.Context {
	return Propagator.Extract(ctx, HeaderCarrier(h))
}

// TraceParent returns the W3C traceparent and tracestate of ctx's span, for
// storing in an event envelope; both are empty without a valid span.
func TraceParent(ctx context.Context) (traceparent, tracestate string) {
	h := nats.Header{}
	Inject(ctx, h)
	return h.Get("traceparent"), h.Get("tracestate")
}

// NewLogger returns a JSON slog logger that adds trace_id and span_id to every
// record logged with a context carrying a span, and masks personal data
// (see MaskHandler).
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(traceHandler{MaskHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))})
}

type traceHandler struct{ slog.Handler }

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceHandler{h.Handler.WithAttrs(attrs)}
}

func (h traceHandler) WithGroup(name string) slog.Handler {
	return traceHandler{h.Handler.WithGroup(name)}
}
