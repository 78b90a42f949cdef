package ports

import (
	"context"
	"log/slog"
	"time"

	"helpdesk/services/callrecord/app/command"
)

// RingTimeoutScheduler re-routes calls that ring too long: every Interval
// it asks the board for calls that rang past the timeout, sets their
// agents away and rings the next agent (or queues the call).
type RingTimeoutScheduler struct {
	Reroute  command.RerouteHandler
	Interval time.Duration
	Logger   *slog.Logger
}

// Run checks every Interval until ctx is done.
func (s RingTimeoutScheduler) Run(ctx context.Context) {
	tick := time.NewTicker(s.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		n, err := s.Reroute.Handle(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.Logger.ErrorContext(ctx, "re-routing unanswered calls failed", "error", err)
		case n > 0:
			s.Logger.InfoContext(ctx, "re-routed unanswered calls", "calls", n)
		}
	}
}
