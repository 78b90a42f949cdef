package ports

import (
	"context"
	"log/slog"
	"time"

	"helpdesk/infra/background"
	"helpdesk/services/callrecord/app/command"
)

// PurgeScheduler purges the recordings whose retention ended, every
// Interval (default one hour), and once when it starts. What is due comes
// from the call read model and the call records, so nothing is lost on a
// restart; every replica may run a scheduler, because a purge records
// nothing twice.
type PurgeScheduler struct {
	Purge command.PurgeRecordingsHandler
	// Clock tells the time of each run; default time.Now.
	Clock    func() time.Time
	Interval time.Duration
	// Logger receives the summary of runs that purged something, and the
	// errors of runs; default slog.Default().
	Logger *slog.Logger
}

// Run purges every Interval until ctx is done.
func (s PurgeScheduler) Run(ctx context.Context) {
	interval := s.Interval
	if interval <= 0 {
		interval = time.Hour
	}
	background.Every(ctx, interval, func(ctx context.Context) { s.RunOnce(ctx) })
}

// RunOnce purges what is due now and returns what it did.
func (s PurgeScheduler) RunOnce(ctx context.Context) command.PurgeSummary {
	log := s.Logger
	if log == nil {
		log = slog.Default()
	}
	now := time.Now
	if s.Clock != nil {
		now = s.Clock
	}
	sum, err := s.Purge.Handle(ctx, command.PurgeRecordings{Now: now()})
	if err != nil && ctx.Err() == nil {
		log.WarnContext(ctx, "recording purge incomplete", "purged", sum.Purged, "on_hold", sum.OnHold,
			"orphans", sum.Orphans, "error", err)
	} else if sum.Purged > 0 || sum.Orphans > 0 {
		log.InfoContext(ctx, "recordings purged", "purged", sum.Purged, "on_hold", sum.OnHold, "orphans", sum.Orphans)
	}
	return sum
}
