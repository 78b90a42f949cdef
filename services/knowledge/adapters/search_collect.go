package adapters

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
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

// snapshotTables are the arrays a search of one index snapshot looks
// documents up in: their category, where each segment's documents start
// and which are deleted. snapshot is kept only to be compared with: it may
// be closed.
type snapshotTables struct {
	snapshot *scorch.IndexSnapshot
	of       []uint32 // document number → 1 + index into ids; 0 for none
	ids      []string
	offsets  []int    // per segment, its first document number
	docs     int      // document numbers run from 0 to docs-1
	deleted  []uint64 // a bit per document number
}

// isDeleted tells whether document number d is deleted.
func (t *snapshotTables) isDeleted(d int) bool {
	return d>>6 < len(t.deleted) && t.deleted[d>>6]&(1<<(d&63)) != 0
}

// tablesCache keeps the snapshotTables of the latest snapshot read.
type tablesCache struct {
	mu  sync.Mutex
	cur *snapshotTables
}

// get returns the tables of snapshot r, building them when r is not the
// snapshot they were built from. A snapshot is the same reader value until
// the index changes, by a batch or a merge.
func (c *tablesCache) get(ctx context.Context, r *scorch.IndexSnapshot) (*snapshotTables, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != nil && c.cur.snapshot == r {
		return c.cur, nil
	}
	o, err := buildTables(ctx, r)
	if err != nil {
		return nil, err
	}
	c.cur = o
	return o, nil
}

func buildTables(ctx context.Context, r *scorch.IndexSnapshot) (*snapshotTables, error) {
	o := &snapshotTables{snapshot: r}
	for _, ss := range r.Segments() {
		o.offsets = append(o.offsets, o.docs)
		if del := ss.Deleted(); del != nil {
			it := del.Iterator()
			for it.HasNext() {
				d := o.docs + int(it.Next())
				for d>>6 >= len(o.deleted) {
					o.deleted = append(o.deleted, 0)
				}
				o.deleted[d>>6] |= 1 << (d & 63)
			}
		}
		o.docs += int(ss.Segment().Count())
	}
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
func (o *snapshotTables) mark(ctx context.Context, r index.IndexReader, term string, ord uint32) error {
	err := eachDoc(ctx, r, categoryField, term, func(n int) {
		if n >= len(o.of) {
			o.of = append(o.of, make([]uint32, n+1-len(o.of))...)
		}
		o.of[n] = ord
	})
	if err != nil {
		return fmt.Errorf("documents of category %s: %w", term, err)
	}
	return nil
}

// eachDoc calls fn with the number of every document of snapshot r that
// has term in field.
func eachDoc(ctx context.Context, r index.IndexReader, field, term string, fn func(doc int)) error {
	tfr, err := r.TermFieldReader(ctx, []byte(term), field, false, false, false)
	if err != nil {
		return err
	}
	defer tfr.Close()
	var pre index.TermFieldDoc
	for {
		d, err := tfr.Next(&pre)
		if err != nil {
			return err
		}
		if d == nil {
			return nil
		}
		fn(int(d.ID.Value()))
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

// keywordFilter passes documents that have, in any of its fields, any of
// the field's values.
type keywordFilter map[string][]string

// passed tells which documents of a snapshot pass a search's filters. The
// search applies them to its matches itself, not as a conjunction with
// its query: there, bleve (v2.6.3) loses the score of a boolean query's
// optional terms for some documents (one scored 0.61 alone and 0.14 under
// a category filter), so a filter changed ranks.
type passed struct {
	filters int
	count   []uint8 // per document number: how many filters in a row it passed
}

// passing finds the documents of snapshot r that pass every filter.
func passing(ctx context.Context, r index.IndexReader, filters []keywordFilter) (passed, error) {
	p := passed{filters: len(filters)}
	for i, f := range filters {
		for field, values := range f {
			for _, v := range values {
				err := eachDoc(ctx, r, field, v, func(d int) {
					if d >= len(p.count) {
						p.count = append(p.count, make([]uint8, d+1-len(p.count))...)
					}
					if p.count[d] == uint8(i) {
						p.count[d]++
					}
				})
				if err != nil {
					return passed{}, fmt.Errorf("filter %s: %w", field, err)
				}
			}
		}
	}
	return p, nil
}

// has tells whether document number d passes.
func (p passed) has(d int) bool {
	return p.filters == 0 || (d < len(p.count) && int(p.count[d]) == p.filters)
}

// collect runs q over snapshot r, counts every match and its category,
// and keeps the keep best by score (on equal scores, the earlier document).
func collect(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, q query.Query, pass passed, keep int, tables *snapshotTables) (collected, error) {
	s, err := q.Searcher(ctx, r, m, search.SearcherOptions{})
	if err != nil {
		return collected{}, err
	}
	defer s.Close()
	sctx := &search.SearchContext{DocumentMatchPool: search.NewDocumentMatchPool(s.DocumentMatchPoolSize()+1, 0), IndexReader: r}
	t := newTally(keep, tables)
	for n := 0; ; n++ {
		if n%1024 == 0 && ctx.Err() != nil {
			return collected{}, ctx.Err()
		}
		dm, err := s.Next(sctx)
		if err != nil {
			return collected{}, err
		}
		if dm == nil {
			break
		}
		if d := int(dm.IndexInternalID.Value()); pass.has(d) {
			t.add(d, dm.Score)
		}
		sctx.DocumentMatchPool.Put(dm)
	}
	return t.collected(), nil
}

// tally counts the matches of a search, and per category, and keeps the
// keep best of them.
type tally struct {
	keep   int
	total  int
	perOrd []int // matches by category ordinal (see snapshotTables)
	best   minScores
	tables *snapshotTables
}

func newTally(keep int, tables *snapshotTables) *tally {
	return &tally{keep: keep, perOrd: make([]int, len(tables.ids)+1), tables: tables}
}

// add counts a match on document number d.
func (t *tally) add(d int, score float64) {
	t.total++
	if d < len(t.tables.of) {
		t.perOrd[t.tables.of[d]]++
	}
	switch {
	case t.keep <= 0:
	case t.best.Len() < t.keep:
		heap.Push(&t.best, scored{index.NewIndexInternalID(nil, uint64(d)), score})
	case better(score, d, t.best[0]):
		t.best[0] = scored{index.NewIndexInternalID(nil, uint64(d)), score}
		heap.Fix(&t.best, 0)
	}
}

// better tells whether a match of score on document d ranks above m: a
// higher score, or an equal one on an earlier document.
func better(score float64, d int, m scored) bool {
	return score > m.score || (score == m.score && uint64(d) < m.id.Value())
}

// collected is what the tally found, the best first.
func (t *tally) collected() collected {
	out := collected{total: t.total, counts: map[string]int{}, best: t.best}
	for i, n := range t.perOrd[1:] {
		if n > 0 {
			out.counts[t.tables.ids[i]] = n
		}
	}
	slices.SortFunc(out.best, func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return a.id.Compare(b.id)
	})
	return out
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
