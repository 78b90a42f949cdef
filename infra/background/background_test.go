package background_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"helpdesk/infra/background"
)

// TestGroup_outlives_the_callers_context_and_stops_every_loop checks that
// loops keep running when the starting context ends and that Stop returns
// only after each loop has seen the cancellation and returned.
func TestGroup_outlives_the_callers_context_and_stops_every_loop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	g := background.Start(ctx)
	var running, returned atomic.Int32
	for range 3 {
		g.Go(func(ctx context.Context) {
			running.Add(1)
			<-ctx.Done()
			time.Sleep(10 * time.Millisecond)
			returned.Add(1)
		})
	}
	cancel()
	time.Sleep(20 * time.Millisecond)
	if returned.Load() != 0 {
		t.Fatal("a loop ended with the caller's context")
	}
	g.Stop()
	if running.Load() != 3 || returned.Load() != 3 {
		t.Fatalf("%d loops ran, %d returned before Stop did", running.Load(), returned.Load())
	}
}
