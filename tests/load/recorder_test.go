package load_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"helpdesk/tests/load"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"median of odd", ms(5, 1, 3), 50, 3 * time.Millisecond},
		{"median of even takes the lower", ms(4, 1, 3, 2), 50, 2 * time.Millisecond},
		{"p99 of 100", ms(func() []int {
			s := make([]int, 100)
			for i := range s {
				s[i] = i + 1
			}
			return s
		}()...), 99, 99 * time.Millisecond},
		{"p100 is the max", ms(1, 9, 5), 100, 9 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := load.Percentile(tt.samples, tt.p); got != tt.want {
				t.Fatalf("Percentile(%v, %v) = %v, want %v", tt.samples, tt.p, got, tt.want)
			}
		})
	}
}

func TestRun_counts_and_stops(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	ok, failed := load.Run(ctx, 4, func(ctx context.Context, worker int) error {
		time.Sleep(time.Millisecond)
		if worker == 0 {
			return errors.New("worker 0 always fails")
		}
		return nil
	})
	if ok == 0 || failed == 0 || ok < failed {
		t.Fatalf("ok %d, failed %d", ok, failed)
	}
}
