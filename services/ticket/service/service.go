// Package service wires the ticket service: event store repository,
// application, NATS endpoints, the list projection and the deadline
// scheduler. `helpdesk up` and `helpdesk serve ticket` use it.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/contracts/subjects"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/background"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/projection"
	"helpdesk/infra/rpc"
	"helpdesk/infra/sqlstore"
	"helpdesk/services/ticket/adapters"
	"helpdesk/services/ticket/app"
	"helpdesk/services/ticket/app/command"
	"helpdesk/services/ticket/app/query"
	"helpdesk/services/ticket/domain/ticket"
	"helpdesk/services/ticket/ports"
)

// Config configures the ticket service.
type Config struct {
	Conn  *nats.Conn
	Store eventstore.Store
	// DB holds the service's read models.
	DB         *sqlstore.DB
	Calendar   ticket.Calendar
	Policy     ticket.Policy
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Clock tells the time; default time.Now.
	Clock func() time.Time
	// DeadlineInterval is how often the scheduler looks for passed
	// deadlines; default 5s.
	DeadlineInterval time.Duration
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
	if c.DeadlineInterval <= 0 {
		c.DeadlineInterval = 5 * time.Second
	}
	if c.Policy.SLA == nil {
		c.Policy = ticket.DefaultPolicy()
	}
}

// Validate reports every missing or invalid setting.
func (c *Config) Validate() error {
	var errs []error
	if c.Conn == nil {
		errs = append(errs, errors.New("ticket: Conn is required"))
	}
	if c.Store == nil {
		errs = append(errs, errors.New("ticket: Store is required"))
	}
	if c.DB == nil {
		errs = append(errs, errors.New("ticket: DB is required"))
	}
	if c.Calendar == nil {
		errs = append(errs, errors.New("ticket: Calendar is required"))
	}
	if err := c.Policy.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("ticket: policy: %w", err))
	}
	return errors.Join(errs...)
}

// Service is a running ticket service.
type Service struct {
	App        app.Application
	List       *adapters.TicketList
	Projection *projection.Runner
	Scheduler  ports.DeadlineScheduler

	rpc   *rpc.Service
	loops *background.Group
}

// Start builds the service and runs its endpoints, projection and
// scheduler until Stop.
func Start(ctx context.Context, cfg Config) (*Service, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	repo := &aggregate.Repository[*ticket.Ticket]{
		Store: cfg.Store, Kind: "ticket", Source: ticketapi.Source,
		Ref: subjects.Ticket, Rebuild: ticket.FromEvents, Now: cfg.Clock, Retries: 5,
	}
	list := adapters.NewTicketList(cfg.DB)
	deps := command.Deps{Repo: repo, Clock: cfg.Clock, Policy: cfg.Policy, Calendar: cfg.Calendar}
	users := adapters.IdentityDirectory{Conn: cfg.Conn}
	a := app.Application{
		Commands: app.Commands{
			Open:           command.NewOpenTicketHandler(deps, users),
			Assign:         command.NewAssignTicketHandler(deps, users),
			StartWork:      command.NewStartWorkHandler(deps),
			Reply:          command.NewAddReplyHandler(deps),
			Resolve:        command.NewResolveTicketHandler(deps),
			Close:          command.NewCloseTicketHandler(deps),
			Reopen:         command.NewReopenTicketHandler(deps),
			CheckDeadlines: command.NewCheckDeadlinesHandler(deps),
		},
		Queries: app.Queries{
			Ticket:  query.NewTicketHandler(repo),
			List:    query.NewListTicketsHandler(list),
			History: query.NewHistoryHandler(repo),
		},
	}
	runner, err := projection.NewRunner(projection.RunnerConfig{
		Conn: cfg.Conn, DB: cfg.DB, Handler: list, Logger: cfg.Logger, Registerer: cfg.Registerer,
	})
	if err != nil {
		return nil, fmt.Errorf("ticket projection: %w", err)
	}
	svc, err := rpc.NewService(cfg.Conn, rpc.ServiceConfig{Name: subjects.ServiceTicket, Logger: cfg.Logger, Registerer: cfg.Registerer})
	if err != nil {
		return nil, err
	}
	if err := errors.Join(ports.RegisterEndpoints(svc, a), projection.RegisterControl(svc, runner)); err != nil {
		_ = svc.Stop()
		return nil, err
	}
	s := &Service{
		App: a, List: list, Projection: runner, rpc: svc,
		Scheduler: ports.DeadlineScheduler{
			Due: list, Check: a.Commands.CheckDeadlines, Clock: cfg.Clock,
			Interval: cfg.DeadlineInterval, Logger: cfg.Logger,
		},
	}
	s.loops = background.Start(ctx)
	s.loops.Go(runner.Loop(cfg.Logger))
	s.loops.Go(s.Scheduler.Run)
	return s, nil
}

// Stop stops serving requests, then stops the projection and scheduler.
func (s *Service) Stop() error {
	err := s.rpc.Stop()
	s.loops.Stop()
	return err
}
