package adapters_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/sqlstore"
	"helpdesk/infra/sqlstore/sqlstoretest"
	"helpdesk/services/knowledge/adapters"
)

// TestCatalog_published_counts_follow_the_events: the counts per category
// are cached for every category list, and each event that moves an article
// in or out of a category's count is seen by the next read at once, not
// after the cache's second.
func TestCatalog_published_counts_follow_the_events(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		catalog := adapters.NewCatalog(db)
		if err := db.Migrate(ctx, catalog.Name(), catalog.Migrations()); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		version := uint64(0)
		apply := func(aggregate, id string, p events.Payload) {
			t.Helper()
			version++
			env, err := events.New(kbapi.Source, aggregate, id, p, at, events.Metadata{Actor: "agent-1", ActorRole: "agent"})
			if err != nil {
				t.Fatal(err)
			}
			env.AggregateVersion = version
			tx, err := db.Write.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := catalog.Apply(ctx, tx, env); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		content := func(category string) kbapi.Content {
			return kbapi.Content{Title: "打印机无法连接网络", Body: "重启打印机。", CategoryID: category, Tags: []string{"打印机"}}
		}
		apply(subjects.AggregateCategory, "cat-a", kbapi.CategoryCreated{Name: "系统故障"})
		apply(subjects.AggregateCategory, "cat-b", kbapi.CategoryCreated{Name: "账号与登录"})
		for _, step := range []struct {
			name  string
			event func()
			want  map[string]int
		}{
			{"a draft counts nowhere", func() {
				apply(subjects.AggregateArticle, "art-1", kbapi.ArticleDrafted{Content: content("cat-a"), Author: "agent-1"})
			}, map[string]int{}},
			{"published", func() {
				apply(subjects.AggregateArticle, "art-1", kbapi.ArticlePublished{Publisher: "agent-1"})
			}, map[string]int{"cat-a": 1}},
			{"moved to another category", func() {
				apply(subjects.AggregateArticle, "art-1", kbapi.ArticleEdited{Content: content("cat-b"), Editor: "agent-1", ContentVersion: 2})
			}, map[string]int{"cat-b": 1}},
			{"archived", func() {
				apply(subjects.AggregateArticle, "art-1", kbapi.ArticleArchived{Reason: "obsolete"})
			}, map[string]int{}},
		} {
			// Read before the event, so that the counts are cached.
			if _, err := catalog.PublishedCounts(ctx); err != nil {
				t.Fatal(err)
			}
			step.event()
			got, err := catalog.PublishedCounts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, step.want) {
				t.Fatalf("%s: counts %v, want %v", step.name, got, step.want)
			}
		}
	})
}
