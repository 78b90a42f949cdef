package service_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/rpc"
	"helpdesk/infra/sqlstore"
	"helpdesk/infra/sqlstore/sqlstoretest"
	"helpdesk/services/knowledge/service"
)

func start(t *testing.T, nc *nats.Conn, db *sqlstore.DB, indexDir string) *service.Service {
	t.Helper()
	js, _ := jetstream.New(nc)
	store, err := eventstore.NewJetStream(context.Background(), js, subjects.ServiceKnowledge, subjects.ServiceTicket)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.Start(context.Background(), service.Config{
		Conn: nc, Store: store, DB: db, IndexDir: indexDir,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry(),
		ViewInterval: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func waitAll(t *testing.T, svc *service.Service, seq uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, name := range []string{"kb_catalog", "kb_articles_index"} {
		if err := svc.Projection(name).WaitFor(ctx, seq); err != nil {
			t.Fatal(err)
		}
	}
}

var (
	admin  = rpc.WithCaller(context.Background(), rpc.Caller{ID: "admin-1", Role: "admin"})
	reader = rpc.WithCaller(context.Background(), rpc.Caller{ID: "cust-1", Role: "customer"})
)

// TestSearchIndex_rebuild_and_restart fills the knowledge base through
// the application, then rebuilds the index from the event log and restarts
// the service on the same files: search answers the same every time, and a
// restart resumes from the stored position instead of re-indexing.
func TestSearchIndex_rebuild_and_restart(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		_, nc := natsembed.StartForTest(t)
		indexDir := t.TempDir()
		svc := start(t, nc, db, indexDir)
		cat, err := svc.App.Commands.CreateCategory.Handle(admin, kbapi.CreateCategory{Name: "系统故障"})
		if err != nil {
			t.Fatal(err)
		}
		var last kbapi.Article
		const n = 40
		for i := range n {
			a, err := svc.App.Commands.Draft.Handle(admin, kbapi.DraftArticle{
				Title: fmt.Sprintf("打印机无法连接网络 %d", i), Body: "重启打印机。", CategoryID: cat.ID, Tags: []string{"打印机"},
			})
			if err != nil {
				t.Fatal(err)
			}
			if last, err = svc.App.Commands.Publish.Handle(admin, kbapi.PublishArticle{ArticleTarget: kbapi.ArticleTarget{ArticleID: a.ID}}); err != nil {
				t.Fatal(err)
			}
		}
		waitAll(t, svc, last.Version)
		search := func(svc *service.Service) kbapi.Results {
			t.Helper()
			res, err := svc.App.Queries.Search.Handle(reader, kbapi.Search{Q: "打印机", Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		if res := search(svc); res.Total != n || len(res.Items) != 5 || res.Facets.Category[0].Count != n || res.Facets.Category[0].Name != "系统故障" {
			t.Fatalf("before rebuild: total %d, %d items, facets %+v", res.Total, len(res.Items), res.Facets)
		}

		sum, err := svc.Projection("kb_articles_index").Rebuild(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Position < last.Version {
			t.Fatalf("rebuilt to %d, want at least %d", sum.Position, last.Version)
		}
		if res := search(svc); res.Total != n {
			t.Fatalf("after rebuild: total %d", res.Total)
		}
		pos := svc.Projection("kb_articles_index").Position()
		if err := svc.Stop(); err != nil {
			t.Fatal(err)
		}

		svc = start(t, nc, db, indexDir)
		t.Cleanup(func() { _ = svc.Stop() })
		if got := svc.Projection("kb_articles_index").Position(); got != pos {
			t.Fatalf("position after restart %d, want the stored %d", got, pos)
		}
		if res := search(svc); res.Total != n {
			t.Fatalf("after restart: total %d", res.Total)
		}
		page, err := svc.App.Queries.List.Handle(reader, kbapi.ListArticles{CategoryID: cat.ID, Limit: 100})
		if err != nil || len(page.Items) != n {
			t.Fatalf("catalog list: %d items, %v", len(page.Items), err)
		}
	})
}

// TestViews_are_counted_and_stored reads a published article as a reader
// and as staff: only the reader's reads count, and they reach the catalog
// through article_feedback.viewed events.
func TestViews_are_counted_and_stored(t *testing.T) {
	_, nc := natsembed.StartForTest(t)
	svc := start(t, nc, sqlstoretest.SQLite(t), "")
	t.Cleanup(func() { _ = svc.Stop() })
	cat, _ := svc.App.Commands.CreateCategory.Handle(admin, kbapi.CreateCategory{Name: "账号与登录"})
	a, _ := svc.App.Commands.Draft.Handle(admin, kbapi.DraftArticle{Title: "忘记密码", Body: "点击忘记密码。", CategoryID: cat.ID})
	if _, err := svc.App.Commands.Publish.Handle(admin, kbapi.PublishArticle{ArticleTarget: kbapi.ArticleTarget{ArticleID: a.ID}}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := svc.App.Queries.Article.Handle(reader, kbapi.GetArticle{ArticleID: a.ID}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.App.Queries.Article.Handle(admin, kbapi.GetArticle{ArticleID: a.ID}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := svc.App.Queries.Article.Handle(admin, kbapi.GetArticle{ArticleID: a.ID})
		if err != nil {
			t.Fatal(err)
		}
		if got.Feedback.Views == 3 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("views %d, want 3", got.Feedback.Views)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
