package kbtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
)

// AppendPublished stores art as the article id, filed under categoryID,
// drafted and published by actor at when, in two appends as the draft and
// publish commands make them (an atomic two-event batch costs the NATS
// server a batch file store), and returns the stream sequence of the second.
func AppendPublished(ctx context.Context, store eventstore.Store, id, categoryID, actor string, art Article, when time.Time) (uint64, error) {
	md := events.Metadata{Actor: actor, ActorRole: "system"}
	drafted, err := events.New(kbapi.Source, subjects.AggregateArticle, id, kbapi.ArticleDrafted{
		Content: kbapi.Content{Title: art.Title, Body: art.Body, CategoryID: categoryID, Tags: art.Tags},
		Author:  actor,
	}, when, md)
	if err != nil {
		return 0, err
	}
	published, err := events.New(kbapi.Source, subjects.AggregateArticle, id, kbapi.ArticlePublished{Publisher: actor}, when, md)
	if err != nil {
		return 0, err
	}
	r, err := store.Append(ctx, subjects.Article(id), []events.Envelope{drafted}, eventstore.AppendOptions{})
	if err == nil {
		r, err = store.Append(ctx, subjects.Article(id), []events.Envelope{published}, eventstore.AppendOptions{ExpectedVersion: r.Version})
	}
	if err != nil {
		return 0, fmt.Errorf("seed article %s: %w", id, err)
	}
	return r.Version, nil
}

// Seed appends the articles 0 … n-1 of the generator with seed 42, each
// drafted and published by actor (AppendPublished), dated over about a year
// before now, from 16 writers at once, and returns the stream sequence of
// the last event. id names article i; category maps a generated category
// name to the id it is filed under; done, if not nil, counts the articles
// stored.
func Seed(ctx context.Context, store eventstore.Store, n int, actor string, id func(i int) string, category func(name string) string, done *atomic.Int64) (uint64, error) {
	gen := New(42)
	var (
		mu   sync.Mutex
		next int
		last atomic.Uint64
	)
	at := time.Now().Add(-365 * 24 * time.Hour)
	write := func() error {
		for {
			mu.Lock()
			i := next
			next++
			art := gen.Article(i)
			mu.Unlock()
			if i >= n {
				return nil
			}
			when := at.Add(time.Duration(i) * 300 * time.Millisecond)
			version, err := AppendPublished(ctx, store, id(i), category(art.Category), actor, art, when)
			if err != nil {
				return fmt.Errorf("article %d: %w", i, err)
			}
			for cur := last.Load(); version > cur && !last.CompareAndSwap(cur, version); cur = last.Load() {
			}
			if done != nil {
				done.Add(1)
			}
		}
	}
	errs := make([]error, 16)
	var wg sync.WaitGroup
	for w := range errs {
		wg.Go(func() { errs[w] = write() })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	return last.Load(), nil
}
