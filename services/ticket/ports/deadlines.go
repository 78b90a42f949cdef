package ports

import (
	"context"
	"log/slog"
	"time"

	"helpdesk/infra/background"
	"helpdesk/services/ticket/app/command"
)

// DueTickets finds tickets whose deadlines have passed.
type DueTickets interface {
	DueTickets(ctx context.Context, now time.Time, limit int) ([]string, error)
}

// DeadlineScheduler acts on passed ticket deadlines (SLA breaches,
// auto-close). The deadlines live in the ticket read model, which is rebuilt
// from events, so they survive restarts; every replica may run a scheduler,
// because the command it sends is idempotent.
type DeadlineScheduler struct {
	Due      DueTickets
	Check    command.CheckDeadlinesHandler
	Clock    func() time.Time
	Interval time.Duration
	Logger   *slog.Logger
}

// Run checks for due tickets every Interval until ctx is done.
func (s DeadlineScheduler) Run(ctx context.Context) {
	background.Every(ctx, s.Interval, func(ctx context.Context) { s.RunOnce(ctx) })
}

// RunOnce acts on every ticket that is due now and returns how many events
// it recorded.
func (s DeadlineScheduler) RunOnce(ctx context.Context) int {
	ids, err := s.Due.DueTickets(ctx, s.Clock(), 500)
	if err != nil {
		if ctx.Err() == nil {
			s.Logger.ErrorContext(ctx, "deadline scan failed", "error", err)
		}
		return 0
	}
	total := 0
	for _, id := range ids {
		n, err := s.Check.Handle(ctx, command.CheckDeadlines{TicketID: id})
		if err != nil {
			s.Logger.WarnContext(ctx, "deadline check failed", "ticket", id, "error", err)
		}
		total += n
	}
	return total
}
