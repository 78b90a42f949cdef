package kbtest

import (
	"context"
	"fmt"
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
