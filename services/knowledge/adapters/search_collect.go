package adapters

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// The articles search collects its matches itself rather than with bleve's
// top-N collector: bleve counts a facet by reading each match's category
// from doc values, a third of a search's cost; here it is an array lookup,
// the array built once per index snapshot from the postings of the
// category_id keywords.

// categoryField is the keyword field the search counts matches by.
const categoryField = "category_id"

// categoryOrdinals tells the category of each document of one index
// snapshot. snapshot is kept only to be compared with: it may be closed.
type categoryOrdinals struct {
	snapshot index.IndexReader
	of       []uint32 // document number → 1 + index into ids; 0 for none
	ids      []string
}

// categoryCache keeps the categoryOrdinals of the latest snapshot read.
type categoryCache struct {
	mu  sync.Mutex
	cur *categoryOrdinals
}

// get returns the ordinals of snapshot r, building them when r is not the
// snapshot they were built from. A snapshot is the same reader value until
// the index changes, by a batch or a merge.
func (c *categoryCache) get(ctx context.Context, r index.IndexReader) (*categoryOrdinals, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != nil && c.cur.snapshot == r {
		return c.cur, nil
	}
	o, err := buildOrdinals(ctx, r)
	if err != nil {
		return nil, err
	}
	c.cur = o
	return o, nil
}

func buildOrdinals(ctx context.Context, r index.IndexReader) (*categoryOrdinals, error) {
	o := &categoryOrdinals{snapshot: r}
	fd, err := r.FieldDict(categoryField)
	if err != nil {
		return nil, fmt.Errorf("categories of the index: %w", err)
	}
	defer fd.Close()
	for {
		e, err := fd.Next()
		if err != nil {
			return nil, fmt.Errorf("categories of the index: %w", err)
		}
		if e == nil {
			return o, nil
		}
		o.ids = append(o.ids, e.Term)
		if err := o.mark(ctx, r, e.Term, uint32(len(o.ids))); err != nil {
			return nil, err
		}
	}
}

// mark records ord as the category of every document with the term.
func (o *categoryOrdinals) mark(ctx context.Context, r index.IndexReader, term string, ord uint32) error {
	tfr, err := r.TermFieldReader(ctx, []byte(term), categoryField, false, false, false)
	if err != nil {
		return fmt.Errorf("documents of category %s: %w", term, err)
	}
	defer tfr.Close()
	for {
		d, err := tfr.Next(nil)
		if err != nil {
			return fmt.Errorf("documents of category %s: %w", term, err)
		}
		if d == nil {
			return nil
		}
		n := int(d.ID.Value())
		if n >= len(o.of) {
			o.of = append(o.of, make([]uint32, n+1-len(o.of))...)
		}
		o.of[n] = ord
	}
}

// scored is a match's document and score.
type scored struct {
	id    index.IndexInternalID
	score float64
}

// collected is what collect found: how many documents matched, how many of
// them per category, and the best, best first.
type collected struct {
	total  int
	counts map[string]int
	best   []scored
}

// collect runs q over snapshot r, counts every match and its category,
// and keeps the keep best by score (on equal scores, the earlier document).
func collect(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, q query.Query, keep int, cats *categoryOrdinals) (collected, error) {
	s, err := q.Searcher(ctx, r, m, search.SearcherOptions{})
	if err != nil {
		return collected{}, err
	}
	defer s.Close()
	sctx := &search.SearchContext{DocumentMatchPool: search.NewDocumentMatchPool(s.DocumentMatchPoolSize()+1, 0), IndexReader: r}
	perOrd := make([]int, len(cats.ids)+1)
	best := &minScores{}
	total := 0
	for {
		if total%1024 == 0 && ctx.Err() != nil {
			return collected{}, ctx.Err()
		}
		dm, err := s.Next(sctx)
		if err != nil {
			return collected{}, err
		}
		if dm == nil {
			break
		}
		total++
		if n := dm.IndexInternalID.Value(); n < uint64(len(cats.of)) {
			perOrd[cats.of[n]]++
		}
		switch {
		case keep <= 0:
		case best.Len() < keep:
			heap.Push(best, scored{slices.Clone(dm.IndexInternalID), dm.Score})
		case dm.Score > (*best)[0].score:
			(*best)[0] = scored{slices.Clone(dm.IndexInternalID), dm.Score}
			heap.Fix(best, 0)
		}
		sctx.DocumentMatchPool.Put(dm)
	}
	out := collected{total: total, counts: map[string]int{}, best: *best}
	for i, n := range perOrd[1:] {
		if n > 0 {
			out.counts[cats.ids[i]] = n
		}
	}
	slices.SortFunc(out.best, func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return a.id.Compare(b.id)
	})
	return out, nil
}

// minScores is a heap of matches, the lowest score (and, on equal scores,
// the later document) on top: the first to give way to a better match.
type minScores []scored

func (h minScores) Len() int { return len(h) }
func (h minScores) Less(i, j int) bool {
	if h[i].score != h[j].score {
		return h[i].score < h[j].score
	}
	return h[i].id.Compare(h[j].id) > 0
}
func (h minScores) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *minScores) Push(x any)   { *h = append(*h, x.(scored)) }
func (h *minScores) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
