package projection

import (
	"context"
	"fmt"
	"time"

	"helpdesk/contracts/problem"
)

// Summary reports a finished rebuild.
type Summary struct {
	Name     string
	Events   uint64
	Position uint64
	Duration time.Duration
}

// Rebuild empties the read model and replays the whole stream into it,
// calling progress (if not nil) about four times a second with the events
// applied and the total to apply. Run must be running; queries see the read
// model fill up again while it rebuilds. A Compactor target is compacted
// before Rebuild returns. A second Rebuild of the runner while one runs is
// refused with a conflict. An event that fails rebuildGivesUpAfter times in
// a row (one the read model does not park: ParkAfter < 0, a search index)
// ends the Rebuild with a conflict naming it; the projection goes on
// retrying it, and finishes the rebuild once it applies.
func (r *Runner) Rebuild(ctx context.Context, progress func(done, total uint64)) (Summary, error) {
	if !r.rebuilding.TryLock() {
		return Summary{}, problem.New(problem.CodeConflict, "%s is being rebuilt already; wait for that rebuild to finish", r.name)
	}
	defer r.rebuilding.Unlock()
	started := time.Now()
	st, err := r.js.Stream(ctx, r.target.Stream())
	if err != nil {
		return Summary{}, fmt.Errorf("rebuild %s: %w", r.name, err)
	}
	total := st.CachedInfo().State.LastSeq

	resume := r.pause()
	err = r.reset(ctx)
	resume() // Run starts consuming again, from position 0 after a reset
	if err != nil {
		return Summary{}, fmt.Errorf("rebuild %s: %w", r.name, err)
	}
	for {
		pos := r.Position()
		if progress != nil {
			progress(min(pos, total), total)
		}
		if pos >= total {
			break
		}
		// Wake for the next progress report, or as soon as the rebuild is done.
		wait, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
		_ = r.WaitFor(wait, total) // nil when done; the loop looks again either way
		cancel()
		if ctx.Err() != nil {
			return Summary{}, fmt.Errorf("rebuild %s at %d of %d: %w", r.name, r.Position(), total, ctx.Err())
		}
		if seq, n, cause := r.failing(); n >= rebuildGivesUpAfter {
			return Summary{}, problem.New(problem.CodeConflict,
				"rebuild of %s stopped at %d of %d: event %d failed %d times in a row (%v); the projection keeps retrying it and finishes the rebuild once it applies",
				r.name, r.Position(), total, seq, n, cause)
		}
	}
	if c, ok := r.target.(Compactor); ok {
		if err := c.Compact(ctx); err != nil {
			return Summary{}, fmt.Errorf("rebuild %s: compact: %w", r.name, err)
		}
	}
	return Summary{Name: r.name, Events: total, Position: r.Position(), Duration: time.Since(started)}, nil
}

// rebuildGivesUpAfter is how many failures in a row of one event end a
// Rebuild (see Rebuild).
const rebuildGivesUpAfter = 10

// reset empties the read model, sets the position to 0 and forgets the
// failures of the events before.
func (r *Runner) reset(ctx context.Context) error {
	if err := r.target.Reset(ctx); err != nil {
		return fmt.Errorf("rebuild %s: %w", r.name, err)
	}
	r.setFailures(0, 0, nil)
	r.setPosition(0)
	r.metrics.parked.Set(0)
	return nil
}
