// Package gateway is the REST API of Helpdesk: an Echo v5 server that
// authenticates users, validates requests against the OpenAPI document, and
// forwards commands and queries to the services over NATS request-reply. It
// keeps no state of its own, so any number of replicas are equal.
package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/infra/auditlog"
)

// Config configures the gateway.
type Config struct {
	// Conn reaches the services.
	Conn *nats.Conn
	// SigningKey signs and verifies access tokens (HS256, at least 32 bytes).
	SigningKey []byte
	// TokenTTL is how long an access token is valid; default 15 minutes
	// (clients renew them with their refresh token).
	TokenTTL time.Duration
	Logger   *slog.Logger
	// Registerer and Gatherer hold the metrics served at /metrics; default
	// the Prometheus default registry.
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
	// BodyLimit bounds request bodies; default 1 MiB.
	BodyLimit int64
	// RequestTimeout bounds the wait for a service; default 10s.
	RequestTimeout time.Duration
	// Edge configures TLS, client addresses, rate limits, CORS and single
	// sign-on.
	Edge Edge
	// AccessTrail, when set, receives a record of every request but the
	// health and metrics probes: the access audit trail.
	AccessTrail *auditlog.AccessTrail
}

func (c *Config) setDefaults() {
	if c.TokenTTL <= 0 {
		c.TokenTTL = 15 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Registerer == nil {
		c.Registerer = prometheus.DefaultRegisterer
	}
	if c.Gatherer == nil {
		c.Gatherer = prometheus.DefaultGatherer
	}
	if c.BodyLimit <= 0 {
		c.BodyLimit = 1 << 20
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 10 * time.Second
	}
	c.Edge.setDefaults()
}

// Validate reports every missing or unsafe setting.
func (c *Config) Validate() error {
	var errs []error
	if c.Conn == nil {
		errs = append(errs, errors.New("gateway: Conn is required"))
	}
	if len(c.SigningKey) < 32 {
		errs = append(errs, errors.New("gateway: SigningKey must be at least 32 bytes"))
	}
	if err := c.Edge.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Server is the REST gateway.
type Server struct {
	cfg       Config
	echo      *echo.Echo
	http      *http.Server
	validator *validator
	limiter   *loginLimiter
	pbxKeys   *pbxKeyCache
	metrics   httpMetrics
	limits    rateLimits
	// oidc checks single sign-on tokens; nil when not configured.
	oidc *oidcVerifier

	// revoked are ended sessions; stopRevocations ends their feed.
	revoked         *revocations
	stopRevocations context.CancelFunc
}

// New builds the gateway and its routes.
func New(cfg Config) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	v, err := newValidator()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, validator: v, limiter: newLoginLimiter(10, time.Minute), pbxKeys: newPBXKeyCache(), revoked: newRevocations(),
		metrics: newHTTPMetrics(cfg.Registerer), limits: newRateLimits(cfg.Edge),
	}
	if cfg.Edge.OIDC != nil {
		s.oidc = newOIDCVerifier(*cfg.Edge.OIDC)
	}
	tlsConfig, err := loadTLS(cfg.Edge)
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.Logger = cfg.Logger
	e.IPExtractor = ipExtractor(cfg.Edge.TrustedProxies)
	e.HTTPErrorHandler = errorHandler(cfg.Logger)
	s.echo = e
	s.routes()
	feed, stop := context.WithCancel(context.Background())
	s.stopRevocations = stop
	go s.followRevocations(feed)
	s.http = &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// Room for a 10,000-character Chinese search (90 KB URL-encoded), so
		// that it gets a problem response from the API, not a bare 431.
		MaxHeaderBytes: 128 << 10,
		TLSConfig:      tlsConfig,
		// Failed TLS handshakes and accept errors go to the log as JSON.
		ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// loadTLS reads the gateway's certificate and key, if it has them.
func loadTLS(e Edge) (*tls.Config, error) {
	if e.TLSCertFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(e.TLSCertFile, e.TLSKeyFile)
	if err != nil {
		return nil, fmt.Errorf("gateway: TLS certificate %s and key %s: %w", e.TLSCertFile, e.TLSKeyFile, err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// TLS reports whether the gateway serves HTTPS.
func (s *Server) TLS() bool { return s.http.TLSConfig != nil }

// Handler is the gateway as an http.Handler (for tests and embedding).
func (s *Server) Handler() http.Handler { return s.echo }

// Serve answers requests on ln until Shutdown, over TLS when the gateway
// has a certificate.
func (s *Server) Serve(ln net.Listener) error {
	var err error
	if s.TLS() {
		err = s.http.ServeTLS(ln, "", "")
	} else {
		err = s.http.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections and waits for requests in flight.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopRevocations()
	return s.http.Shutdown(ctx)
}
