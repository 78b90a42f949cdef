package ports

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// ViewRecorder stores views counted for one article.
type ViewRecorder interface {
	Handle(ctx context.Context, articleID string, views int, until time.Time) error
}

// ViewCounter counts article views in memory and stores them as events
// every Interval, one event per viewed article, so that reading an article
// never waits for a write. Views counted since the last flush are lost if
// the process dies; a view is not an acknowledged write.
type ViewCounter struct {
	Record   ViewRecorder
	Clock    func() time.Time
	Interval time.Duration
	Logger   *slog.Logger

	mu     sync.Mutex
	counts map[string]int
}

// CountView implements query.ViewCounter.
func (c *ViewCounter) CountView(articleID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[string]int{}
	}
	c.counts[articleID]++
}

// Run flushes every Interval until ctx ends, then flushes once more.
func (c *ViewCounter) Run(ctx context.Context) {
	t := time.NewTicker(c.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			c.Flush(flushCtx)
			cancel()
			return
		case <-t.C:
			c.Flush(ctx)
		}
	}
}

// Flush stores the views counted so far; views it could not store are
// kept for the next flush.
func (c *ViewCounter) Flush(ctx context.Context) {
	c.mu.Lock()
	counts := c.counts
	c.counts = nil
	c.mu.Unlock()
	now := c.Clock()
	for id, n := range counts {
		if err := c.Record.Handle(ctx, id, n, now); err != nil {
			c.Logger.WarnContext(ctx, "cannot store article views; keeping them for the next flush", "article_id", id, "views", n, "error", err)
			c.mu.Lock()
			if c.counts == nil {
				c.counts = map[string]int{}
			}
			c.counts[id] += n
			c.mu.Unlock()
		}
	}
}
