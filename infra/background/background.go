// Package background runs a service's long-lived loops (projections,
// schedulers, flushers) until the service stops.
package background

import (
	"context"
	"sync"
	"time"
)

// Group runs loops on one context and stops them together.
type Group struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start returns a group whose loops see ctx's values but not its
// cancellation: they run until Stop, whatever the caller's context does.
func Start(ctx context.Context) *Group {
	g := &Group{}
	g.ctx, g.cancel = context.WithCancel(context.WithoutCancel(ctx))
	return g
}

// Go runs loop in its own goroutine with the group's context.
func (g *Group) Go(loop func(ctx context.Context)) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		loop(g.ctx)
	}()
}

// Stop cancels the group's context and waits until every loop returned.
func (g *Group) Stop() {
	g.cancel()
	g.wg.Wait()
}

// Every runs tick at once and then every interval until ctx is done: the
// loop of a scheduler.
func Every(ctx context.Context, interval time.Duration, tick func(ctx context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
