package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/telemetry"
)

// ServiceConfig configures a Service.
type ServiceConfig struct {
	// Name is the service name, e.g. "ticket"; endpoints are served under
	// "helpdesk.<name>.<endpoint>".
	Name    string
	Version string
	Logger  *slog.Logger
	// Registerer receives the command metrics; default prometheus.DefaultRegisterer.
	Registerer prometheus.Registerer
	// MaxInFlight bounds requests handled at once; default 256. Requests
	// beyond it wait in the NATS subscription's pending buffer.
	MaxInFlight int
	// Timeout bounds one handler run; default 30s.
	Timeout time.Duration
}

func (c *ServiceConfig) setDefaults() {
	if c.Version == "" {
		c.Version = "0.1.0"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Registerer == nil {
		c.Registerer = prometheus.DefaultRegisterer
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 256
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
}

// Service is a nats.go micro service whose endpoints share one queue group,
// so that any number of replicas split the requests.
type Service struct {
	cfg      ServiceConfig
	micro    micro.Service
	group    micro.Group
	slots    chan struct{}
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewService registers a micro service on nc. Stop it with Stop.
func NewService(nc *nats.Conn, cfg ServiceConfig) (*Service, error) {
	cfg.setDefaults()
	if cfg.Name == "" {
		return nil, fmt.Errorf("rpc service: name is required")
	}
	m, err := micro.AddService(nc, micro.Config{
		Name:        "helpdesk-" + cfg.Name,
		Version:     cfg.Version,
		Description: "Helpdesk " + cfg.Name + " service",
		QueueGroup:  "helpdesk-" + cfg.Name,
	})
	if err != nil {
		return nil, fmt.Errorf("add micro service %s: %w", cfg.Name, err)
	}
	s := &Service{
		cfg:   cfg,
		micro: m,
		group: m.AddGroup(subjects.RequestPrefix + "." + cfg.Name),
		slots: make(chan struct{}, cfg.MaxInFlight),
		requests: telemetry.Register(cfg.Registerer, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "helpdesk_commands_total",
			Help: "Commands and queries handled by services, by service, endpoint and result code.",
		}, []string{"service", "endpoint", "code"})),
		duration: telemetry.Register(cfg.Registerer, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "helpdesk_command_duration_seconds",
			Help:    "Time to handle a command or query inside the service.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}, []string{"service", "endpoint"})),
	}
	return s, nil
}

// Name is the service name, e.g. "ticket".
func (s *Service) Name() string { return s.cfg.Name }

// Stop drains the service's endpoints.
func (s *Service) Stop() error { return s.micro.Stop() }

// HandlerFunc handles one decoded request.
type HandlerFunc[Req, Resp any] func(ctx context.Context, req Req) (Resp, error)

// Register adds an endpoint to s that decodes a Req, runs fn with the
// caller and trace context of the request, and answers with the JSON of Resp
// or with the problem.Error that fn returned. Errors that are not a
// *problem.Error are logged and answered as CodeInternal without detail.
// Requests run concurrently, at most ServiceConfig.MaxInFlight at a time.
func Register[Req, Resp any](s *Service, endpoint string, fn HandlerFunc[Req, Resp]) error {
	handle := func(r micro.Request) {
		s.slots <- struct{}{}
		go func() {
			defer func() { <-s.slots }()
			s.serve(r, endpoint, func(ctx context.Context, data []byte) (any, error) {
				var req Req
				dec := json.NewDecoder(bytes.NewReader(data))
				if err := dec.Decode(&req); err != nil {
					return nil, problem.New(problem.CodeInvalidArgument, "malformed %s request: %v", endpoint, err)
				}
				return fn(ctx, req)
			})
		}()
	}
	// Endpoint names may not contain dots; the subject may.
	name := strings.ReplaceAll(endpoint, ".", "_")
	if err := s.group.AddEndpoint(name, micro.HandlerFunc(handle), micro.WithEndpointSubject(endpoint)); err != nil {
		return fmt.Errorf("add endpoint %s.%s: %w", s.cfg.Name, endpoint, err)
	}
	return nil
}

func (s *Service) serve(r micro.Request, endpoint string, run func(context.Context, []byte) (any, error)) {
	start := time.Now()
	hdr := nats.Header(r.Headers())
	ctx, cancel := context.WithTimeout(telemetry.Extract(context.Background(), hdr), s.cfg.Timeout)
	defer cancel()
	ctx, span := otel.Tracer("helpdesk/rpc").Start(ctx, "handle "+r.Subject(),
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("helpdesk.service", s.cfg.Name), attribute.String("helpdesk.endpoint", endpoint)))
	defer span.End()
	ctx = WithCaller(ctx, callerFromHeader(hdr))

	resp, err := run(ctx, r.Data())
	code := "ok"
	if err != nil {
		perr := problem.As(err)
		if perr == nil && errors.Is(err, context.DeadlineExceeded) {
			// Out of time (ServiceConfig.Timeout): a busy service, not a bug.
			s.cfg.Logger.WarnContext(ctx, "request timed out", "service", s.cfg.Name, "endpoint", endpoint, "error", err)
			perr = problem.New(problem.CodeUnavailable, "%s.%s took too long; try again", s.cfg.Name, endpoint)
		}
		if perr == nil {
			s.cfg.Logger.ErrorContext(ctx, "request failed", "service", s.cfg.Name, "endpoint", endpoint, "error", err)
			perr = problem.New(problem.CodeInternal, "internal error")
		}
		code = string(perr.Code)
		span.SetStatus(codes.Error, code)
		body, _ := json.Marshal(perr)
		if rerr := r.Error(code, perr.Message, body); rerr != nil {
			s.cfg.Logger.WarnContext(ctx, "reply failed", "endpoint", endpoint, "error", rerr)
		}
	} else if rerr := r.RespondJSON(resp); rerr != nil {
		s.cfg.Logger.WarnContext(ctx, "reply failed", "endpoint", endpoint, "error", rerr)
	}
	s.requests.WithLabelValues(s.cfg.Name, endpoint, code).Inc()
	s.duration.WithLabelValues(s.cfg.Name, endpoint).Observe(time.Since(start).Seconds())
}
