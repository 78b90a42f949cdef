// Package service wires the call-record service: the hotline board, the
// call and PBX-key repositories, the calls read model, the NATS endpoints
// and the schedulers. `helpdesk up` and `helpdesk serve callrecord` use it.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/background"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/projection"
	"helpdesk/infra/rpc"
	"helpdesk/infra/sqlstore"
	"helpdesk/services/callrecord/adapters"
	"helpdesk/services/callrecord/app"
	"helpdesk/services/callrecord/app/command"
	"helpdesk/services/callrecord/app/query"
	"helpdesk/services/callrecord/domain/call"
	"helpdesk/services/callrecord/domain/pbxkey"
	"helpdesk/services/callrecord/domain/retention"
	"helpdesk/services/callrecord/ports"
)

// Config configures the call-record service.
type Config struct {
	Conn  *nats.Conn
	Store eventstore.Store
	// DB holds the calls read model.
	DB *sqlstore.DB
	// Calendar counts working days for the recordings' retention.
	Calendar retention.Calendar
	// RetentionWorkingDays is how long recordings are kept, in working
	// days: at least retention.MinimumWorkingDays (10), the default.
	RetentionWorkingDays int
	// RingTimeout is how long an agent's phone rings before the call goes
	// to the next agent; default 20s.
	RingTimeout time.Duration
	// PurgeInterval is how often expired recordings are purged; default 1h.
	PurgeInterval time.Duration
	// Location is the PBX's zone, for Asterisk CDR times and for where a
	// day begins; default Asia/Shanghai.
	Location   *time.Location
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Clock tells the time; default time.Now.
	Clock func() time.Time
	// StreamReplicas is the recordings bucket's replica count (see
	// adapters.OpenRecordings); default 1.
	StreamReplicas int
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Registerer == nil {
		c.Registerer = prometheus.DefaultRegisterer
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.RetentionWorkingDays == 0 {
		c.RetentionWorkingDays = retention.MinimumWorkingDays
	}
	if c.RingTimeout <= 0 {
		c.RingTimeout = 20 * time.Second
	}
	if c.PurgeInterval <= 0 {
		c.PurgeInterval = time.Hour
	}
	if c.Location == nil {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			loc = time.FixedZone("CST", 8*3600)
		}
		c.Location = loc
	}
}

// Validate reports every missing or invalid setting.
func (c *Config) Validate() error {
	var errs []error
	if c.Conn == nil {
		errs = append(errs, errors.New("callrecord: Conn is required"))
	}
	if c.Store == nil {
		errs = append(errs, errors.New("callrecord: Store is required"))
	}
	if c.DB == nil {
		errs = append(errs, errors.New("callrecord: DB is required"))
	}
	if c.Calendar == nil {
		errs = append(errs, errors.New("callrecord: Calendar is required"))
	}
	if c.RetentionWorkingDays < retention.MinimumWorkingDays {
		errs = append(errs, fmt.Errorf("callrecord: recordings must be kept at least %d working days; %d is too few",
			retention.MinimumWorkingDays, c.RetentionWorkingDays))
	}
	return errors.Join(errs...)
}

// Service is a running call-record service.
type Service struct {
	App        app.Application
	Board      *adapters.Board
	Calls      *adapters.CallList
	Projection *projection.Runner

	rpc   *rpc.Service
	loops *background.Group
}

// Start builds the service and runs its board, endpoints, projection and
// schedulers until Stop.
func Start(ctx context.Context, cfg Config) (_ *Service, err error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	policy, err := retention.NewPolicy(cfg.RetentionWorkingDays, cfg.Calendar, cfg.Location)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(cfg.Conn)
	if err != nil {
		return nil, fmt.Errorf("callrecord jetstream: %w", err)
	}
	recordings, err := adapters.OpenRecordings(ctx, js, cfg.StreamReplicas)
	if err != nil {
		return nil, err
	}
	board, err := adapters.OpenBoard(ctx, cfg.Store, cfg.Clock)
	if err != nil {
		return nil, err
	}
	calls := &aggregate.Repository[*call.Call]{
		Store: cfg.Store, Kind: "call", Source: callapi.Source, Ref: subjects.Call,
		Rebuild: call.FromEvents, New: func(string) *call.Call { return call.New() }, Now: cfg.Clock, Retries: 5,
	}
	keys := &aggregate.Repository[*pbxkey.Key]{
		Store: cfg.Store, Kind: "PBX key", Source: callapi.Source, Ref: subjects.PBXKey,
		Rebuild: pbxkey.FromEvents, Now: cfg.Clock, Retries: 5,
	}
	list := adapters.NewCallList(cfg.DB)
	runner, err := projection.NewRunner(projection.RunnerConfig{
		Conn: cfg.Conn, DB: cfg.DB, Handler: list, Logger: cfg.Logger, Registerer: cfg.Registerer,
	})
	if err != nil {
		return nil, fmt.Errorf("calls projection: %w", err)
	}
	fresh := adapters.Freshness{JS: js, ReadModel: runner}
	deps := command.Deps{Calls: calls, Known: adapters.KnownCalls{Fresh: fresh, Records: list}, Clock: cfg.Clock}
	a := app.Application{
		Commands: app.Commands{
			Hotline:    command.NewHotlineHandler(board, adapters.IdentityDirectory{Conn: cfg.Conn}, deps.Known, cfg.RingTimeout),
			Rate:       command.NewRateHandler(deps),
			OpenTicket: command.NewOpenTicketHandler(deps, adapters.TicketService{Conn: cfg.Conn}),
			IngestCDR:  command.NewIngestCDRHandler(deps, board),
			PBXKeys:    command.NewPBXKeysHandler(keys),

			StoreRecording:  command.NewStoreRecordingHandler(deps, recordings, policy),
			PlayRecording:   command.NewPlayRecordingHandler(deps),
			PurgeRecordings: command.NewPurgeRecordingsHandler(deps, recordings, list, adapters.Holds{Conn: cfg.Conn, Store: cfg.Store}),
		},
		Queries: query.NewHandlers(list, fresh, board),
	}
	svc, err := rpc.NewService(cfg.Conn, rpc.ServiceConfig{Name: subjects.ServiceCallRecord, Logger: cfg.Logger, Registerer: cfg.Registerer})
	if err != nil {
		return nil, err
	}
	s := &Service{App: a, Board: board, Calls: list, Projection: runner, rpc: svc}
	s.loops = background.Start(ctx)
	s.loops.Go(board.Run)
	s.loops.Go(runner.Loop(cfg.Logger))
	s.loops.Go(ports.RingTimeoutScheduler{Reroute: a.Commands.Hotline.Reroute, Interval: time.Second, Logger: cfg.Logger}.Run)
	s.loops.Go(ports.PurgeScheduler{Purge: a.Commands.PurgeRecordings, Clock: cfg.Clock, Interval: cfg.PurgeInterval, Logger: cfg.Logger}.Run)
	if err := errors.Join(ports.RegisterEndpoints(svc, a, cfg.Location), projection.RegisterControl(svc, runner)); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// Stop stops serving requests, then the board, projection and schedulers.
func (s *Service) Stop() error {
	err := s.rpc.Stop()
	s.loops.Stop()
	return err
}
