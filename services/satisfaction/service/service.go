// Package service wires the satisfaction service: the survey and
// follow-up repositories, the read model, the process manager's reactions,
// the expiry scheduler and the NATS endpoints. `helpdesk up` and
// `helpdesk serve satisfaction` use it.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/contracts/satapi"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/background"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/projection"
	"helpdesk/infra/rpc"
	"helpdesk/infra/sqlstore"
	"helpdesk/services/satisfaction/adapters"
	"helpdesk/services/satisfaction/app"
	"helpdesk/services/satisfaction/app/command"
	"helpdesk/services/satisfaction/app/query"
	"helpdesk/services/satisfaction/domain/survey"
	"helpdesk/services/satisfaction/ports"
)

// Config configures the satisfaction service.
type Config struct {
	Conn  *nats.Conn
	Store eventstore.Store
	// DB holds the read model and the reactions' positions.
	DB       *sqlstore.DB
	Calendar command.Calendar
	// SurveyDays is how many working days a survey stays open (default
	// 3, the tickets' auto-close window); FollowUpDays how many a
	// follow-up has before it is overdue (default 1).
	SurveyDays   int
	FollowUpDays int
	// ExpiryInterval is how often expired surveys are looked for;
	// default 30s.
	ExpiryInterval time.Duration
	Logger         *slog.Logger
	Registerer     prometheus.Registerer
	// Clock tells the time; default time.Now.
	Clock func() time.Time
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
	if c.SurveyDays == 0 {
		c.SurveyDays = 3
	}
	if c.FollowUpDays == 0 {
		c.FollowUpDays = 1
	}
	if c.ExpiryInterval <= 0 {
		c.ExpiryInterval = 30 * time.Second
	}
}

// Validate reports every missing or invalid setting.
func (c *Config) Validate() error {
	var errs []error
	for name, missing := range map[string]bool{"Conn": c.Conn == nil, "Store": c.Store == nil, "DB": c.DB == nil, "Calendar": c.Calendar == nil} {
		if missing {
			errs = append(errs, fmt.Errorf("satisfaction: %s is required", name))
		}
	}
	if c.SurveyDays < 1 || c.FollowUpDays < 1 {
		errs = append(errs, errors.New("satisfaction: survey and follow-up days must be at least 1"))
	}
	return errors.Join(errs...)
}

// Service is a running satisfaction service.
type Service struct {
	App         app.Application
	Model       *adapters.SatisfactionModel
	Projections []*projection.Runner
	Expiry      ports.ExpiryScheduler

	rpc   *rpc.Service
	loops *background.Group
}

// Start builds the service and runs its endpoints, projections and
// scheduler until Stop.
func Start(ctx context.Context, cfg Config) (*Service, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	deps := command.Deps{
		Surveys: &aggregate.Repository[*survey.Survey]{Store: cfg.Store, Kind: "survey", Source: satapi.Source,
			Ref: subjects.Survey, Rebuild: survey.FromEvents, New: survey.New, Now: cfg.Clock, Retries: 5},
		FollowUps: &aggregate.Repository[*survey.FollowUp]{Store: cfg.Store, Kind: "follow-up", Source: satapi.Source,
			Ref: subjects.FollowUp, Rebuild: survey.FollowUpFromEvents, New: survey.NewFollowUp, Now: cfg.Clock, Retries: 5},
		Clock: cfg.Clock, Calendar: cfg.Calendar, SurveyDays: cfg.SurveyDays, FollowUpDays: cfg.FollowUpDays,
	}
	model := adapters.NewSatisfactionModel(cfg.DB)
	process := command.NewProcessManager(deps, adapters.TicketService{Conn: cfg.Conn}, adapters.CallRecords{Conn: cfg.Conn})
	a := app.Application{
		Respond: command.NewRespondHandler(deps),
		Process: process,
		Queries: query.NewHandlers(model, cfg.Clock),
	}
	s := &Service{App: a, Model: model,
		Expiry: ports.ExpiryScheduler{Due: model, Expire: process.Expire, Clock: cfg.Clock, Interval: cfg.ExpiryInterval, Logger: cfg.Logger}}
	configs := []projection.RunnerConfig{{DB: cfg.DB, Handler: model}}
	for _, r := range ports.Reactions(process.OnTicketEvent, process.OnCallEvent, process.OnSurveyEvent) {
		target, err := projection.NewReactionTarget(ctx, cfg.DB, r)
		if err != nil {
			return nil, fmt.Errorf("satisfaction reaction %s: %w", r.Name(), err)
		}
		configs = append(configs, projection.RunnerConfig{Target: target})
	}
	for _, rc := range configs {
		rc.Conn, rc.Logger, rc.Registerer = cfg.Conn, cfg.Logger, cfg.Registerer
		r, err := projection.NewRunner(rc)
		if err != nil {
			return nil, fmt.Errorf("satisfaction projection: %w", err)
		}
		s.Projections = append(s.Projections, r)
	}
	svc, err := rpc.NewService(cfg.Conn, rpc.ServiceConfig{Name: subjects.ServiceSatisfaction, Logger: cfg.Logger, Registerer: cfg.Registerer})
	if err != nil {
		return nil, err
	}
	if err := errors.Join(ports.RegisterEndpoints(svc, a), projection.RegisterControl(svc, s.Projections...)); err != nil {
		_ = svc.Stop()
		return nil, err
	}
	s.rpc = svc
	s.loops = background.Start(ctx)
	for _, r := range s.Projections {
		s.loops.Go(r.Loop(cfg.Logger))
	}
	s.loops.Go(s.Expiry.Run)
	return s, nil
}

// Stop stops serving requests, then the projections and the scheduler.
func (s *Service) Stop() error {
	err := s.rpc.Stop()
	s.loops.Stop()
	return err
}
