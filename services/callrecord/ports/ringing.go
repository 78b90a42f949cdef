package ports

import (
	"context"
	"log/slog"
	"time"

	"helpdesk/infra/background"
)

// RingTimeoutScheduler re-routes calls that ring too long: every Interval
// it asks the board for calls that rang past the timeout, sets their
// agents away and rings the next agent (or queues the call).
type RingTimeoutScheduler struct {
	// Reroute re-routes the calls that rang too long and says how many.
	Reroute  func(ctx context.Context) (int, error)
	Interval time.Duration
	Logger   *slog.Logger
}

// Run checks every Interval until ctx is done.
func (s RingTimeoutScheduler) Run(ctx context.Context) {
	background.Every(ctx, s.Interval, func(ctx context.Context) {
		n, err := s.Reroute(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.Logger.ErrorContext(ctx, "re-routing unanswered calls failed", "error", err)
		case n > 0:
			s.Logger.InfoContext(ctx, "re-routed unanswered calls", "calls", n)
		}
	})
}
