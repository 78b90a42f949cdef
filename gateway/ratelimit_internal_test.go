package gateway

import (
	"strconv"
	"testing"
	"time"
)

func TestLimiter_take(t *testing.T) {
	t.Parallel()
	l := newLimiter(RateLimit{PerSecond: 2, Burst: 3})
	t0 := timeZero()
	steps := []struct {
		at   time.Duration
		key  string
		wait time.Duration
	}{
		{0, "a", 0}, {0, "a", 0}, {0, "a", 0},
		{0, "a", 500 * time.Millisecond}, // empty: a token every 0.5s
		{0, "b", 0},                      // another key has its own bucket
		{250 * time.Millisecond, "a", 250 * time.Millisecond},
		{500 * time.Millisecond, "a", 0}, // refilled one
		{500 * time.Millisecond, "a", 500 * time.Millisecond},
		{time.Hour, "a", 0}, {time.Hour, "a", 0}, {time.Hour, "a", 0}, // full again, not more than the burst
		{time.Hour, "a", 500 * time.Millisecond},
	}
	for i, s := range steps {
		if got := l.take(s.key, t0.Add(s.at)); got != s.wait {
			t.Fatalf("step %d (%s at %v): wait %v, want %v", i, s.key, s.at, got, s.wait)
		}
	}
}

// TestLimiter_memory_is_bounded: idle buckets go at the next sweep, and a
// flood of keys never holds more than maxBuckets.
func TestLimiter_memory_is_bounded(t *testing.T) {
	t.Parallel()
	l := newLimiter(RateLimit{PerSecond: 10, Burst: 10})
	t0 := timeZero()
	for i := range 1000 {
		l.take("idle-"+strconv.Itoa(i), t0)
	}
	l.take("busy", t0.Add(time.Minute))
	if n := len(l.buckets); n != 1 {
		t.Fatalf("%d buckets after a minute's sweep, want only the busy one", n)
	}
	for i := range 3 * maxBuckets {
		l.take("flood-"+strconv.Itoa(i), t0.Add(time.Minute+time.Millisecond))
		if len(l.buckets) > maxBuckets {
			t.Fatalf("%d buckets, more than %d", len(l.buckets), maxBuckets)
		}
	}
}
