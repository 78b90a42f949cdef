package adapters_test

import (
	"context"
	"fmt"
	"testing"

	"helpdesk/contracts/kbapi"
	"helpdesk/services/knowledge/adapters"
	"helpdesk/services/knowledge/app/query"
	"helpdesk/services/knowledge/kbtest"
)

// benchLibrary indexes n generated articles, published, in files, and
// compacts the index as a rebuild does.
func benchLibrary(b testing.TB, n int) *adapters.Searcher {
	b.Helper()
	a, q := newIndexes(b, b.TempDir())
	g := kbtest.New(1)
	var seq uint64
	ctx := context.Background()
	const per = 1000
	for start := 0; start < n; start += per {
		batch, _ := a.Begin(ctx)
		for i := start; i < min(n, start+per); i++ {
			art := g.Article(i)
			for _, p := range []any{
				kbapi.ArticleDrafted{Content: kbapi.Content{Title: art.Title, Body: art.Body, CategoryID: art.Category, Tags: art.Tags}},
				kbapi.ArticlePublished{},
			} {
				seq++
				env := envelope(b, fmt.Sprintf("a%d", i), p, seq)
				if err := batch.Apply(ctx, env); err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := batch.Commit(ctx, seq); err != nil {
			b.Fatal(err)
		}
	}
	if err := a.Compact(ctx); err != nil {
		b.Fatal(err)
	}
	return &adapters.Searcher{Articles: a, Questions: q}
}

func BenchmarkSearch100k(b *testing.B) {
	s := benchLibrary(b, benchArticles)
	g := kbtest.New(2)
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Search(context.Background(), query.SearchQuery{Text: g.Query(), Limit: 10}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSuggest100k(b *testing.B) {
	s := benchLibrary(b, benchArticles)
	g := kbtest.New(3)
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Suggest(context.Background(), query.SearchQuery{Text: g.Typing(), Limit: 10}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchArticles is the size of the benchmark library, the size `make bench`
// measures the whole system with. Building it takes about 20 s.
const benchArticles = 100_000
