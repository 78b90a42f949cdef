// Package service wires the customization service: the request
// repository, the request list read model and the NATS endpoints.
// `helpdesk up` and `helpdesk serve customization` use it.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/contracts/custapi"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/background"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/projection"
	"helpdesk/infra/rpc"
	"helpdesk/infra/sqlstore"
	"helpdesk/services/customization/adapters"
	"helpdesk/services/customization/app"
	"helpdesk/services/customization/domain/request"
	"helpdesk/services/customization/ports"
)

// Config configures the customization service.
type Config struct {
	Conn       *nats.Conn
	Store      eventstore.Store
	DB         *sqlstore.DB
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Clock tells the time; default time.Now.
	Clock func() time.Time
}

// Service is a running customization service.
type Service struct {
	App        app.Application
	Requests   *adapters.RequestList
	Projection *projection.Runner

	rpc   *rpc.Service
	loops *background.Group
}

// Start builds the service and runs its endpoints and projection until
// Stop.
func Start(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registerer == nil {
		cfg.Registerer = prometheus.DefaultRegisterer
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Conn == nil || cfg.Store == nil || cfg.DB == nil {
		return nil, errors.New("customization: Conn, Store and DB are required")
	}
	repo := &aggregate.Repository[*request.Request]{Store: cfg.Store, Kind: "customization request", Source: custapi.Source,
		Ref: subjects.CustomizationRequest, Rebuild: request.FromEvents, Now: cfg.Clock, Retries: 5}
	list := adapters.NewRequestList(cfg.DB)
	a := app.New(repo, adapters.TicketService{Conn: cfg.Conn}, list, cfg.Clock)
	runner, err := projection.NewRunner(projection.RunnerConfig{Conn: cfg.Conn, DB: cfg.DB, Handler: list, Logger: cfg.Logger, Registerer: cfg.Registerer})
	if err != nil {
		return nil, fmt.Errorf("customization projection: %w", err)
	}
	svc, err := rpc.NewService(cfg.Conn, rpc.ServiceConfig{Name: subjects.ServiceCustomization, Logger: cfg.Logger, Registerer: cfg.Registerer})
	if err != nil {
		return nil, err
	}
	if err := errors.Join(ports.RegisterEndpoints(svc, a), projection.RegisterControl(svc, runner)); err != nil {
		_ = svc.Stop()
		return nil, err
	}
	s := &Service{App: a, Requests: list, Projection: runner, rpc: svc}
	s.loops = background.Start(ctx)
	s.loops.Go(runner.Loop(cfg.Logger))
	return s, nil
}

// Stop stops serving requests, then the projection.
func (s *Service) Stop() error {
	err := s.rpc.Stop()
	s.loops.Stop()
	return err
}
