// Package load holds the measuring parts of the load generator: a latency
// recorder with percentiles and a bounded pool of workers.
package load

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Recorder collects latencies; it is safe for concurrent use.
type Recorder struct {
	mu      sync.Mutex
	samples []time.Duration
}

// Add records one latency.
func (r *Recorder) Add(d time.Duration) {
	r.mu.Lock()
	r.samples = append(r.samples, d)
	r.mu.Unlock()
}

// Count is the number of recorded latencies.
func (r *Recorder) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.samples)
}

// Percentile returns the p-th percentile (0 < p <= 100) by the nearest-rank
// method, or 0 without samples.
func (r *Recorder) Percentile(p float64) time.Duration {
	r.mu.Lock()
	s := slices.Clone(r.samples)
	r.mu.Unlock()
	return Percentile(s, p)
}

// Percentile returns the p-th percentile of samples by the nearest-rank
// method: the smallest value with at least p% of the samples at or below it.
func Percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	slices.Sort(samples)
	rank := int(float64(len(samples))*p/100 + 0.999999)
	rank = min(max(rank, 1), len(samples))
	return samples[rank-1]
}

// Run calls work from n goroutines until ctx ends, then waits for them. Each
// call's error is counted; work should return quickly when ctx ends.
func Run(ctx context.Context, n int, work func(ctx context.Context, worker int) error) (ok, failed int64) {
	var okN, failN atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := work(ctx, i); err != nil {
					if ctx.Err() == nil {
						failN.Add(1)
					}
				} else {
					okN.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return okN.Load(), failN.Load()
}
