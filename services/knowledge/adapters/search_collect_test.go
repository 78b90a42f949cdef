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

// TestCollect_agrees_with_bleve checks the search's own collectors against
// bleve's top-N collector and per-category searches on generated articles,
// written in several batches (several segments, some documents rewritten),
// for every stage of generated queries, with and without filters: the same
// total, counts per category, scores and documents, whether the stage is
// collected by collect or by collectByPostings.
func TestCollect_agrees_with_bleve(t *testing.T) {
	s := openTestIndex(t)
	g := kbtest.New(7)
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var categories []string
	for _, leaves := range kbtest.Categories {
		for _, leaf := range leaves {
			categories = append(categories, "cat-"+leaf)
		}
	}
	// Six batches of new articles, then one that rewrites every tenth:
	// segments with deleted documents.
	for start := 0; start < 3500; start += 500 {
		b := s.idx.NewBatch()
		for i := start; i < start+500; i++ {
			a, n := g.Article(i), i
			if n >= 3000 {
				n = (n - 3000) * 10
			}
			doc := SearchDoc{Kind: kbapi.KindArticle, Title: a.Title, Body: a.Body, CategoryID: "cat-" + a.Category,
				Tags: a.Tags, Status: kbapi.StatusPublished, UpdatedAt: t0.Add(time.Duration(i) * time.Minute)}
			src, _ := json.Marshal(doc)
			doc.Src = string(src)
			if err := b.Index(fmt.Sprintf("a%04d", n), doc.indexed()); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.idx.Batch(b); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	queries, own := 0, 0
	for i := range 300 {
		// Searches over title and body, then suggestions over titles,
		// the last word being typed.
		text, fields, typing := g.Query(), []field{{"title", titleBoost}, {"body", bodyBoost}}, false
		if i >= 150 {
			text, fields, typing = g.Typing(), []field{{"title", titleBoost}}, true
		}
		var filters []keywordFilter
		switch i % 5 {
		case 3:
			filters = []keywordFilter{{categoryField: categories[i%len(categories) : i%len(categories)+1]}}
		case 4:
			filters = []keywordFilter{{categoryField: categories[:len(categories)/2]}, {"tags": {"打印机"}}}
		case 2:
			filters = []keywordFilter{{categoryField: categories[:2], "tags": {"printer"}}}
		}
		in, err := openSource(ctx, s, s.idx, filters)
		if err != nil {
			t.Fatal(err)
		}
		r := in.snap
		terms, err := analyze(ctx, s.idx.Mapping(), r, text, fields)
		if err != nil || len(terms) == 0 {
			t.Fatalf("analyze %q: %v %v", text, terms, err)
		}
		err = firstEnough(1<<30, terms, fields, typing, func(st stage) (int, error) {
			queries++
			if st.scoresItself() {
				own++
			}
			const keep = 15
			got, err := in.collect(ctx, st, fields, keep)
			if err != nil {
				return 0, err
			}
			// bleve scores every match of the text; the filters then
			// only take matches away (see passed).
			all, err := s.idx.SearchInContext(ctx, bleve.NewSearchRequestOptions(st.text, 10_000, 0, false))
			if err != nil {
				return 0, err
			}
			q := st.text
			if len(filters) > 0 {
				q = filtered(st.text, filters)
			}
			in, err := s.idx.SearchInContext(ctx, bleve.NewSearchRequestOptions(q, 10_000, 0, false))
			if err != nil {
				return 0, err
			}
			passes := map[string]bool{}
			for _, h := range in.Hits {
				passes[h.ID] = true
			}
			var want []*search.DocumentMatch
			for _, h := range all.Hits {
				if passes[h.ID] {
					want = append(want, h)
				}
			}
			if got.total != len(want) {
				t.Fatalf("%q: total %d, bleve %d", text, got.total, len(want))
			}
			want = want[:min(keep, len(want))]
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
			if len(got.best) != len(want) {
				t.Fatalf("%q: %d best, bleve %d", text, len(got.best), len(want))
			}
			for i, h := range want {
				id, err := r.ExternalID(got.best[i].id)
				if err != nil {
					t.Fatal(err)
				}
				// Equal scores come in document order in both.
				if got.best[i].score != h.Score || id != h.ID {
					t.Fatalf("%q: hit %d is %s %v, bleve %s %v", text, i, id, got.best[i].score, h.ID, h.Score)
				}
			}
			return got.total, nil
		})
		_ = in.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	if queries < 300 || own < 200 || own == queries {
		t.Fatalf("%d searches compared, %d of them collected by postings", queries, own)
	}
}

// filtered is text restricted to the documents that pass the filters, as
// a conjunction.
func filtered(text query.Query, filters []keywordFilter) query.Query {
	qs := []query.Query{text}
	for _, f := range filters {
		var any []query.Query
		for field, values := range f {
			any = append(any, anyKeyword(field, values))
		}
		qs = append(qs, bleve.NewDisjunctionQuery(any...))
	}
	return bleve.NewConjunctionQuery(qs...)
}

// TestCollectByPostings_breaks_ties_by_document_order checks that of matches
// with equal scores, the earlier documents (by number in the index) are
// kept, whichever term's postings found them first.
func TestCollectByPostings_breaks_ties_by_document_order(t *testing.T) {
	s := openTestIndex(t)
	indexTitles(t, s, 0, "webcam help", "printer help", "webcam help", "printer help")
	ctx := context.Background()
	in, err := openSource(ctx, s, s.idx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	r := in.snap
	fields := []field{{"title", titleBoost}, {"body", bodyBoost}}
	for _, text := range []string{"printer webcam", "webcam printer"} {
		terms, err := analyze(ctx, s.idx.Mapping(), r, text, fields)
		if err != nil {
			t.Fatal(err)
		}
		st := stage{need: terms, loose: true}
		got, err := collectByPostings(ctx, in, st, fields, 2)
		if err != nil {
			t.Fatal(err)
		}
		var nums []uint64
		for _, b := range got.best {
			nums = append(nums, b.id.Value())
		}
		if got.total != 4 || fmt.Sprint(nums) != "[0 1]" || got.best[0].score != got.best[1].score {
			t.Errorf("%q: %d matches, best documents %v %v; want 4, [0 1] with equal scores", text, got.total, nums, got.best)
		}
	}
}

// indexTitles writes, in one batch, a published article of category c
// with each title, its id a<first+i>.
func indexTitles(t *testing.T, s *SearchIndex, first int, titles ...string) {
	t.Helper()
	b := s.idx.NewBatch()
	for i, title := range titles {
		doc := SearchDoc{Kind: kbapi.KindArticle, Title: title, CategoryID: "c", Status: kbapi.StatusPublished}
		src, _ := json.Marshal(doc)
		doc.Src = string(src)
		if err := b.Index(fmt.Sprintf("a%d", first+i), doc.indexed()); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.idx.Batch(b); err != nil {
		t.Fatal(err)
	}
}

// keyword matches value in a keyword field, scoring nothing.
func keyword(fieldName, value string) query.Query {
	q := bleve.NewTermQuery(value)
	q.SetField(fieldName)
	q.SetBoost(0)
	return q
}

// anyKeyword matches any of values in a keyword field, scoring nothing.
func anyKeyword(fieldName string, values []string) query.Query {
	qs := make([]query.Query, 0, len(values))
	for _, v := range values {
		qs = append(qs, keyword(fieldName, v))
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// openTestIndex opens an articles index in a temporary directory, closed
// when the test ends.
func openTestIndex(t *testing.T) *SearchIndex {
	t.Helper()
	s, err := OpenSearchIndex("t", "S", t.TempDir(), ArticleDocs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
