package adapters

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"helpdesk/contracts/kbapi"
	"helpdesk/services/knowledge/kbtest"
)

// TestCollect_agrees_with_bleve checks the search's own collector against
// bleve's top-N collector and per-category searches on generated articles, written
// in several batches (several segments), for every stage of generated
// queries: the same total, counts per category, scores and documents.
func TestCollect_agrees_with_bleve(t *testing.T) {
	s, err := OpenSearchIndex("t", "S", t.TempDir(), ArticleDocs)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g := kbtest.New(7)
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var categories []string
	for _, leaves := range kbtest.Categories {
		for _, leaf := range leaves {
			categories = append(categories, "cat-"+leaf)
		}
	}
	for start := 0; start < 3000; start += 500 {
		b := s.idx.NewBatch()
		for i := start; i < start+500; i++ {
			a := g.Article(i)
			doc := SearchDoc{Kind: kbapi.KindArticle, Title: a.Title, Body: a.Body, CategoryID: "cat-" + a.Category,
				Tags: a.Tags, Status: kbapi.StatusPublished, UpdatedAt: t0.Add(time.Duration(i) * time.Minute)}
			src, _ := json.Marshal(doc)
			doc.Src = string(src)
			if err := b.Index(fmt.Sprintf("a%04d", i), doc.indexed()); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.idx.Batch(b); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	fields := []field{{"title", titleBoost}, {"body", bodyBoost}}
	queries := 0
	for range 150 {
		text := g.Query()
		r, err := reader(s.idx)
		if err != nil {
			t.Fatal(err)
		}
		terms, err := analyze(ctx, s.idx.Mapping(), r, text, fields)
		if err != nil || len(terms) == 0 {
			t.Fatalf("analyze %q: %v %v", text, terms, err)
		}
		cats, err := s.categories.get(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		err = firstEnough(1<<30, terms, fields, false, func(q query.Query) (int, error) {
			queries++
			const keep = 15
			got, err := collect(ctx, r, s.idx.Mapping(), q, keep, cats)
			if err != nil {
				return 0, err
			}
			want, err := s.idx.SearchInContext(ctx, bleve.NewSearchRequestOptions(q, keep, 0, false))
			if err != nil {
				return 0, err
			}
			if got.total != int(want.Total) {
				t.Fatalf("%q: total %d, bleve %d", text, got.total, want.Total)
			}
			// The index keeps no doc values for a facet: count each
			// category with a search of its own.
			wantCounts := map[string]int{}
			for _, c := range categories {
				in, err := s.idx.SearchInContext(ctx, bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(q, keyword(categoryField, c)), 0, 0, false))
				if err != nil {
					return 0, err
				}
				if in.Total > 0 {
					wantCounts[c] = int(in.Total)
				}
			}
			if fmt.Sprint(got.counts) != fmt.Sprint(wantCounts) {
				t.Fatalf("%q: counts %v, bleve %v", text, got.counts, wantCounts)
			}
			if len(got.best) != len(want.Hits) {
				t.Fatalf("%q: %d best, bleve %d", text, len(got.best), len(want.Hits))
			}
			for i, h := range want.Hits {
				id, err := r.ExternalID(got.best[i].id)
				if err != nil {
					t.Fatal(err)
				}
				// Equal scores may come in another order; the scores
				// themselves may not.
				if got.best[i].score != h.Score || (id != h.ID && !tied(want.Hits, i)) {
					t.Fatalf("%q: hit %d is %s %v, bleve %s %v", text, i, id, got.best[i].score, h.ID, h.Score)
				}
			}
			return got.total, nil
		})
		_ = r.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	if queries < 150 {
		t.Fatalf("only %d searches compared", queries)
	}
}

// tied tells whether hit i has the score of a neighbour.
func tied(hits []*search.DocumentMatch, i int) bool {
	return (i > 0 && hits[i-1].Score == hits[i].Score) || (i+1 < len(hits) && hits[i+1].Score == hits[i].Score)
}
