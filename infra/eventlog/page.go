package eventlog

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Page limits: how many events a page holds by default and at most.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// Page returns up to limit events that match f after cur, and the encoded
// cursor of the next page, "" when there are no more events. Pages never
// overlap and leave no gaps: each stream resumes right after the last event
// the page returned or skipped.
//
// A page stops early, with fewer events (even none) and a cursor, when
// reading takes longer than budget (0: no limit): a filter that matches
// few of many events then still answers in time, and the next page goes on
// from where this one stopped. Only an empty cursor means the end.
func (r *Reader) Page(ctx context.Context, f Filter, cur Cursor, limit int, budget time.Duration) ([]Event, string, error) {
	if limit <= 0 || limit > MaxPageSize {
		return nil, "", fmt.Errorf("page size %d: want 1 to %d", limit, MaxPageSize)
	}
	scan, err := r.Open(ctx, f, cur)
	if err != nil {
		return nil, "", err
	}
	defer scan.Close()
	if budget > 0 {
		scan.PauseAt(time.Now().Add(budget))
	}
	items := make([]Event, 0, min(limit, 64))
	for len(items) < limit {
		ev, ok, err := scan.Next(ctx)
		if errors.Is(err, ErrPaused) {
			return items, scan.Cursor().Encode(f), nil
		}
		if err != nil {
			return nil, "", err
		}
		if !ok {
			return items, "", nil
		}
		items = append(items, ev)
	}
	next := scan.Cursor()
	_, more, err := scan.Next(ctx)
	if errors.Is(err, ErrPaused) {
		return items, next.Encode(f), nil
	}
	if err != nil {
		return nil, "", err
	}
	if !more {
		return items, "", nil
	}
	return items, next.Encode(f), nil
}
