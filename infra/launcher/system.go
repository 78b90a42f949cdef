// Package launcher assembles Helpdesk processes: the all-in-one system of
// `helpdesk up` (embedded NATS, every service, projections, gateway) and the
// single parts of `helpdesk serve <service>` and `helpdesk gateway`.
package launcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"helpdesk/contracts/opsapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/gateway"
	"helpdesk/infra/auditlog"
	"helpdesk/infra/calendar"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/rpc"
	"helpdesk/infra/sqlstore"
	callrecord "helpdesk/services/callrecord/service"
	customization "helpdesk/services/customization/service"
	"helpdesk/services/identity/adapters/password"
	userdomain "helpdesk/services/identity/domain/user"
	identity "helpdesk/services/identity/service"
	knowledge "helpdesk/services/knowledge/service"
	satisfaction "helpdesk/services/satisfaction/service"
	ticketdomain "helpdesk/services/ticket/domain/ticket"
	ticket "helpdesk/services/ticket/service"
)

// Services lists the services `helpdesk serve` can run, in start order.
var Services = subjects.Services

// UpConfig configures the all-in-one system.
type UpConfig struct {
	// DataDir holds the embedded NATS store and the SQLite read models.
	DataDir string
	// Listen is the gateway's HTTP address.
	Listen string
	// NATSListen is the embedded NATS server's client address.
	NATSListen string
	// NATSSyncAlways and NATSSyncInterval choose when the embedded JetStream
	// fsyncs: on every write, or every interval (see natsembed.Config).
	NATSSyncAlways   bool
	NATSSyncInterval time.Duration
	// AdminPassword is used for the account "admin" when it is created on the
	// first start; empty means generate one.
	AdminPassword string
	// JWTSecret overrides the token signing key kept in NATS.
	JWTSecret string
	// DB overrides the read-model database (default SQLite under DataDir).
	DB sqlstore.Config
	// IndexDir overrides where the search indexes live (default DataDir/search).
	IndexDir string
	// SearchCache is how many search results the knowledge service keeps
	// (0 for its default, negative for none).
	SearchCache int
	// DeadlineInterval is how often SLA and auto-close deadlines are checked.
	DeadlineInterval time.Duration
	// RecordingRetention is how many working days call recordings are kept
	// (at least 10, the default when 0).
	RecordingRetention int
	// Holidays is a holidays file for the working-day calendar (see
	// calendar.ParseDays); empty for the built-in data only.
	Holidays string
	// SurveyDays is how many working days a satisfaction survey stays
	// open (default 3).
	SurveyDays int
	// Policy overrides the ticket lifecycle rules (SLA targets, auto-close
	// and reopen windows); the zero value means ticket.DefaultPolicy.
	Policy ticketdomain.Policy
	// Clock overrides time for the services (tests); default time.Now.
	Clock  func() time.Time
	Logger *slog.Logger
	// Auth holds the account and session rules.
	Auth Auth
	// Edge configures the gateway's TLS, trusted proxies, rate limits, CORS
	// and single sign-on.
	Edge gateway.Edge
	// AuditRetentionDays is how long the gateway's access trail (stream
	// AUDIT) is kept: at least auditlog.MinRetentionDays; 0 means
	// auditlog.DefaultRetentionDays.
	AuditRetentionDays int
}

// Auth holds the account and session rules of the identity service and
// the gateway.
type Auth struct {
	// Policy: lockout, password expiry, session idle timeout and lifetime
	// (see identity.Config.Policy for the zero values).
	Policy userdomain.Policy
	// AccessTokenTTL is how long an access token is valid (gateway
	// default 15 minutes).
	AccessTokenTTL time.Duration
	// Argon2 are the password hashing parameters (default OWASP minimum).
	Argon2 password.Params
	// AdminSetPasswordsFinal spares accounts created by an admin the
	// password change at first login: tests and load generation only.
	AdminSetPasswordsFinal bool
	// AdminPasswordFinal spares the account "admin", when created with a
	// given AdminPassword, the password change at first login: tests and
	// load generation only (the CLI never sets it).
	AdminPasswordFinal bool
}

func (c *UpConfig) setDefaults() {
	if c.DataDir == "" {
		c.DataDir = "data"
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.NATSListen == "" {
		c.NATSListen = natsembed.DefaultListen
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.DB.Driver == "" {
		c.DB = sqlstore.Config{Driver: "sqlite", DSN: filepath.Join(c.DataDir, "readmodels.db")}
	}
	if c.IndexDir == "" {
		c.IndexDir = filepath.Join(c.DataDir, "search")
	}
}

// System is a running all-in-one Helpdesk.
type System struct {
	// URL is the gateway's base URL, e.g. http://127.0.0.1:8080 (https with TLS).
	URL string
	// NATSURL is the embedded NATS server's client URL.
	NATSURL string
	// AdminPassword is the generated or given password of "admin" when this
	// start created the account, else "".
	AdminPassword string
	// Registry holds the process's metrics.
	Registry *prometheus.Registry
	// Ticket is the running ticket service (tests reach its projection).
	Ticket *ticket.Service
	// Knowledge is the running knowledge service.
	Knowledge *knowledge.Service
	// CallRecord is the running call-record service.
	CallRecord *callrecord.Service
	// Satisfaction is the running satisfaction service.
	Satisfaction *satisfaction.Service

	nats   *natsembed.Server
	parts  *Parts
	log    *slog.Logger
	closed bool
}

// Up starts the whole system and returns when the gateway accepts requests.
func Up(ctx context.Context, cfg UpConfig) (*System, error) {
	cfg.setDefaults()
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	srv, err := natsembed.Start(natsembed.Config{
		DataDir: filepath.Join(cfg.DataDir, "nats"), Listen: cfg.NATSListen, ServerName: "helpdesk",
		SyncAlways: cfg.NATSSyncAlways, SyncInterval: cfg.NATSSyncInterval,
	})
	if err != nil {
		return nil, err
	}
	nc, err := srv.Connect(nats.Name("helpdesk-up"))
	if err != nil {
		srv.Shutdown()
		return nil, fmt.Errorf("connect to embedded nats: %w", err)
	}
	reg := NewRegistry()
	parts, err := StartParts(ctx, PartsConfig{
		Conn: nc, Services: Services, Gateway: true, Listen: cfg.Listen, DB: cfg.DB, IndexDir: cfg.IndexDir, SearchCache: cfg.SearchCache,
		JWTSecret: cfg.JWTSecret, AdminPassword: cfg.AdminPassword, EnsureAdmin: true,
		DeadlineInterval: cfg.DeadlineInterval, RecordingRetention: cfg.RecordingRetention, Holidays: cfg.Holidays, SurveyDays: cfg.SurveyDays,
		Policy: cfg.Policy, Clock: cfg.Clock, Logger: cfg.Logger, Registry: reg, Auth: cfg.Auth,
		Edge: cfg.Edge, AuditRetentionDays: cfg.AuditRetentionDays,
	})
	if err != nil {
		nc.Close()
		srv.Shutdown()
		return nil, err
	}
	return &System{
		URL: parts.URL, NATSURL: srv.ClientURL(), AdminPassword: parts.AdminPassword,
		Registry: reg, Ticket: parts.Ticket, Knowledge: parts.Knowledge, CallRecord: parts.CallRecord,
		Satisfaction: parts.Satisfaction, nats: srv, parts: parts, log: cfg.Logger,
	}, nil
}

// Stop drains and stops everything: the gateway stops taking requests, the
// services finish what they are doing, then NATS shuts down.
func (s *System) Stop(ctx context.Context) error {
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.parts.stopGateway(ctx)
	if serr := settle(ctx, s.parts.conn); serr != nil {
		// Nothing is lost: the projections resume from their stored
		// positions at the next start.
		s.log.Warn("stopping before every projection caught up with its stream", "error", serr)
	}
	err = errors.Join(err, s.parts.Stop(ctx))
	s.nats.Shutdown()
	return err
}

// settleTimeout bounds the wait for the projections when the system stops.
const settleTimeout = 10 * time.Second

// settle waits until every projection has applied the last event of its
// stream, twice in a row with the same stream ends, so that what reactions
// append meanwhile is applied too; or until ctx ends or settleTimeout
// passes.
func settle(ctx context.Context, nc *nats.Conn) error {
	ctx, cancel := context.WithTimeout(ctx, settleTimeout)
	defer cancel()
	ctx = rpc.WithCaller(ctx, rpc.Caller{ID: "system:launcher", Role: "system"})
	var prev map[string]uint64
	for {
		ends, behind := map[string]uint64{}, false
		for _, svc := range Services {
			st, err := rpc.Call[opsapi.ProjectionStatuses](ctx, nc, subjects.Endpoint(svc, opsapi.EndpointProjectionStatus), opsapi.ProjectionStatusRequest{})
			if problem.CodeOf(err) == problem.CodeUnavailable {
				continue
			}
			if err != nil {
				return fmt.Errorf("settle projections: status of %s: %w", svc, err)
			}
			for _, p := range st.Projections {
				ends[p.Name] = p.StreamLast
				behind = behind || p.Position < p.StreamLast
			}
		}
		if ctx.Err() != nil { // the calls above gave up: nothing is known
			return fmt.Errorf("settle projections: %w", ctx.Err())
		}
		if !behind && maps.Equal(prev, ends) {
			return nil
		}
		if behind {
			prev = nil
		} else {
			prev = ends
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("settle projections: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// NewRegistry returns a metrics registry with the Go runtime and process
// collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// PartsConfig says which parts of Helpdesk to run on a NATS connection.
type PartsConfig struct {
	Conn *nats.Conn
	// Services to run, from Services.
	Services []string
	// Gateway runs the REST gateway on Listen.
	Gateway bool
	Listen  string
	DB      sqlstore.Config
	// IndexDir holds the knowledge service's search indexes; empty keeps
	// them in memory.
	IndexDir string
	// SearchCache sizes the knowledge service's result cache (see UpConfig).
	SearchCache int
	// EnsureAdmin creates the account "admin" with AdminPassword (or a
	// generated one) if it does not exist; needs the identity service.
	EnsureAdmin      bool
	AdminPassword    string
	JWTSecret        string
	DeadlineInterval time.Duration
	// RecordingRetention, Holidays and SurveyDays: see UpConfig.
	RecordingRetention int
	Holidays           string
	SurveyDays         int
	Policy             ticketdomain.Policy
	Clock              func() time.Time
	Logger             *slog.Logger
	Registry           *prometheus.Registry
	// Auth: see UpConfig.
	Auth Auth
	// Edge: see UpConfig.
	Edge gateway.Edge
	// AuditRetentionDays: see UpConfig.
	AuditRetentionDays int
	// StreamReplicas is the replica count of every stream and bucket these
	// parts create (event streams, AUDIT, helpdesk_secrets, RECORDINGS):
	// 1 (the default) for a single server, 3 on a three-node cluster. A
	// stream that has more replicas keeps them (eventstore.EnsureStream).
	StreamReplicas int
}

// Parts are running parts of Helpdesk.
type Parts struct {
	URL           string
	AdminPassword string
	Ticket        *ticket.Service
	Knowledge     *knowledge.Service
	CallRecord    *callrecord.Service
	Satisfaction  *satisfaction.Service

	conn          *nats.Conn
	identity      *identity.Service
	customization *customization.Service
	db            *sqlstore.DB
	gateway       *gateway.Server
	accessTrail   *auditlog.AccessTrail
	served        chan error
	// stops stop the services started, in the order they started.
	stops []func() error
}

// StartParts starts the configured services and gateway on cfg.Conn.
func StartParts(ctx context.Context, cfg PartsConfig) (_ *Parts, err error) {
	p := &Parts{conn: cfg.Conn}
	if cfg.StreamReplicas == 0 {
		cfg.StreamReplicas = 1
	}
	defer func() {
		if err != nil {
			_ = p.Stop(context.Background())
		}
	}()
	js, err := jetstream.New(cfg.Conn)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	cal, err := calendar.Load(cfg.Holidays)
	if err != nil {
		return nil, err
	}
	var store eventstore.Store
	if len(cfg.Services) > 0 {
		if store, err = eventstore.NewReplicatedJetStream(ctx, js, cfg.StreamReplicas, cfg.Services...); err != nil {
			return nil, fmt.Errorf("event store: %w", err)
		}
	}
	if slices.ContainsFunc(cfg.Services, func(s string) bool { return s != subjects.ServiceIdentity }) {
		if err = p.openDB(ctx, cfg.DB); err != nil { // every service but identity keeps read models
			return nil, err
		}
	}
	for _, name := range cfg.Services {
		var stop func() error
		switch name {
		case subjects.ServiceIdentity:
			p.identity, err = identity.Start(identity.Config{Conn: cfg.Conn, Store: store, Logger: cfg.Logger, Registerer: cfg.Registry,
				Policy: cfg.Auth.Policy, Argon2: cfg.Auth.Argon2, AdminSetPasswordsFinal: cfg.Auth.AdminSetPasswordsFinal,
				AdminPasswordFinal: cfg.Auth.AdminPasswordFinal, Clock: cfg.Clock})
			stop = func() error { return p.identity.Stop() }
		case subjects.ServiceTicket:
			p.Ticket, err = ticket.Start(ctx, ticket.Config{
				Conn: cfg.Conn, Store: store, DB: p.db, Calendar: cal,
				Logger: cfg.Logger, Registerer: cfg.Registry, Clock: cfg.Clock, DeadlineInterval: cfg.DeadlineInterval,
				Policy: cfg.Policy,
			})
			stop = func() error { return p.Ticket.Stop() }
		case subjects.ServiceKnowledge:
			p.Knowledge, err = knowledge.Start(ctx, knowledge.Config{
				Conn: cfg.Conn, Store: store, DB: p.db, IndexDir: cfg.IndexDir, SearchCache: cfg.SearchCache,
				Logger: cfg.Logger, Registerer: cfg.Registry, Clock: cfg.Clock,
			})
			stop = func() error { return p.Knowledge.Stop() }
		case subjects.ServiceCallRecord:
			p.CallRecord, err = callrecord.Start(ctx, callrecord.Config{
				Conn: cfg.Conn, Store: store, DB: p.db, Calendar: cal,
				RetentionWorkingDays: cfg.RecordingRetention, Logger: cfg.Logger, Registerer: cfg.Registry, Clock: cfg.Clock,
				StreamReplicas: cfg.StreamReplicas,
			})
			stop = func() error { return p.CallRecord.Stop() }
		case subjects.ServiceCustomization:
			p.customization, err = customization.Start(ctx, customization.Config{
				Conn: cfg.Conn, Store: store, DB: p.db, Logger: cfg.Logger, Registerer: cfg.Registry, Clock: cfg.Clock,
			})
			stop = func() error { return p.customization.Stop() }
		case subjects.ServiceSatisfaction:
			p.Satisfaction, err = satisfaction.Start(ctx, satisfaction.Config{
				Conn: cfg.Conn, Store: store, DB: p.db, Calendar: cal, SurveyDays: cfg.SurveyDays,
				Logger: cfg.Logger, Registerer: cfg.Registry, Clock: cfg.Clock,
			})
			stop = func() error { return p.Satisfaction.Stop() }
		default:
			err = fmt.Errorf("unknown service %q (have %v)", name, Services)
		}
		if err != nil {
			return nil, err
		}
		p.stops = append(p.stops, stop)
	}
	if cfg.EnsureAdmin && p.identity != nil {
		if p.AdminPassword, err = p.identity.EnsureAdmin(ctx, cfg.AdminPassword); err != nil {
			return nil, err
		}
	}
	if cfg.Gateway {
		if err := p.startGateway(ctx, js, cfg); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// openDB opens the read-model database the services share.
func (p *Parts) openDB(ctx context.Context, cfg sqlstore.Config) error {
	db, err := sqlstore.Open(ctx, cfg)
	if err != nil {
		return fmt.Errorf("read-model database: %w", err)
	}
	p.db = db
	return nil
}

func (p *Parts) startGateway(ctx context.Context, js jetstream.JetStream, cfg PartsConfig) error {
	key := []byte(cfg.JWTSecret)
	if len(key) == 0 {
		var err error
		if key, err = gateway.SigningKey(ctx, js, cfg.StreamReplicas); err != nil {
			return fmt.Errorf("token signing key: %w", err)
		}
	}
	days := cfg.AuditRetentionDays
	if days == 0 {
		days = auditlog.DefaultRetentionDays
	}
	trail, err := auditlog.NewAccessTrail(ctx, auditlog.AccessTrailConfig{
		Conn: cfg.Conn, RetentionDays: days, Replicas: cfg.StreamReplicas, Logger: cfg.Logger, Registerer: cfg.Registry,
	})
	if err != nil {
		return err
	}
	p.accessTrail = trail
	gw, err := gateway.New(gateway.Config{
		Conn: cfg.Conn, SigningKey: key, Logger: cfg.Logger, Registerer: cfg.Registry, Gatherer: cfg.Registry,
		TokenTTL: cfg.Auth.AccessTokenTTL, Edge: cfg.Edge, AccessTrail: trail,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("gateway listen on %s: %w", cfg.Listen, err)
	}
	scheme := "http://"
	if gw.TLS() {
		scheme = "https://"
	}
	p.gateway, p.URL, p.served = gw, scheme+ln.Addr().String(), make(chan error, 1)
	go func() { p.served <- gw.Serve(ln) }()
	return nil
}

// Stop stops the gateway first, then the services in the reverse order of
// their start, then drains the connection, and closes the database.
func (p *Parts) Stop(ctx context.Context) error {
	errs := []error{p.stopGateway(ctx)}
	for i := len(p.stops) - 1; i >= 0; i-- {
		errs = append(errs, p.stops[i]())
	}
	p.stops = nil
	if p.conn != nil && !p.conn.IsClosed() {
		errs = append(errs, drain(p.conn))
	}
	if p.db != nil {
		errs = append(errs, p.db.Close())
		p.db = nil
	}
	return errors.Join(errs...)
}

// stopGateway stops the gateway (it finishes the requests it has) and the
// access trail.
func (p *Parts) stopGateway(ctx context.Context) error {
	var errs []error
	if p.gateway != nil {
		errs = append(errs, p.gateway.Shutdown(ctx))
		p.gateway = nil
	}
	if p.accessTrail != nil {
		errs = append(errs, p.accessTrail.Close(ctx))
		p.accessTrail = nil
	}
	return errors.Join(errs...)
}

// drain flushes the connection's pending work and closes it.
func drain(nc *nats.Conn) error {
	closed := make(chan struct{})
	nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
	if err := nc.Drain(); err != nil {
		return fmt.Errorf("drain nats: %w", err)
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		nc.Close()
	}
	return nil
}
