package adapters

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"
)

// A search's words are common in a help desk's library: a product name is
// in thousands of articles, and a search counts every match for its
// category facets. bleve's searchers spend about half a microsecond on each
// posting they read; a two-product query ("考试系统 single sign-on") read
// 120,000 of them in its loose stage, 12 ms at 100,000 articles.
// collectByPostings finds the same matches with the same scores by reading
// each term's postings once from decoded copies (a postingsCache keeps
// those of common terms: a segment of the index never changes) and adding
// up scores in arrays indexed by document number.
//
// The scores are bleve's tf-idf, computed in bleve's order, so that they
// are equal to the last bit and ties break the same way:
//   - a term in a field scores sqrt(freq)·norm·idf · boost·idf·queryNorm,
//     idf = 1 + ln(docs/(df+1)), queryNorm = 1/sqrt(Σ (boost·idf)²) over
//     every term and field of the query;
//   - a conjunction sums the scores of its children; a disjunction sums
//     those of its matching children and multiplies by matching/children;
//     both take their children in the order of their document counts;
//   - the candidates' score and the ranking terms' score add up.
//
// TestCollect_agrees_with_bleve holds this to bleve's results.

// scoresItself tells whether collectByPostings can search stage st: its
// terms are matched exactly (no typos, no prefixes), and there are no more
// of them than bleve sums in the order of their counts (beyond, it sums
// them in another order, and the last bits of a score differ).
func (st stage) scoresItself() bool {
	if len(st.need) == 0 || st.prefix != "" ||
		len(st.need) > searcher.DisjunctionHeapTakeover || len(st.rest) > searcher.DisjunctionHeapTakeover {
		return false
	}
	for _, ts := range [][]term{st.need, st.rest} {
		for _, t := range ts {
			if t.fuzzy() {
				return false
			}
		}
	}
	return true
}

// leaf is one term in one field: its document count and score factors.
type leaf struct {
	term, field string
	count       uint64
	idf         float64
	weight      float64 // boost·idf·queryNorm, once the norm is known
}

// termLeaves is one term over the fields, the fields in the order of their
// document counts.
type termLeaves struct {
	leaves []leaf
	count  uint64
}

// postingsScratch holds the per-document arrays of one collectByPostings
// call. Every entry is zero between calls.
type postingsScratch struct {
	fieldSum []float64 // one term's score over the fields matched so far
	fieldHit []uint8   // how many of that term's fields matched
	sum      []float64 // the candidate terms' score
	hit      []uint8   // how many candidate terms matched
	restSum  []float64 // the ranking terms' score
	restHit  []uint8
}

var postingsScratches = sync.Pool{New: func() any { return &postingsScratch{} }}

// grow makes the arrays cover document number d.
func (s *postingsScratch) grow(d int) {
	if d < len(s.sum) {
		return
	}
	size := max(d+1, 2*len(s.sum))
	s.fieldSum = append(s.fieldSum, make([]float64, size-len(s.fieldSum))...)
	s.fieldHit = append(s.fieldHit, make([]uint8, size-len(s.fieldHit))...)
	s.sum = append(s.sum, make([]float64, size-len(s.sum))...)
	s.hit = append(s.hit, make([]uint8, size-len(s.hit))...)
	s.restSum = append(s.restSum, make([]float64, size-len(s.restSum))...)
	s.restHit = append(s.restHit, make([]uint8, size-len(s.restHit))...)
}

// collectByPostings is collect for a stage that scoresItself, over
// snapshot r, with the documents that pass.
func collectByPostings(ctx context.Context, snap *scorch.IndexSnapshot, cache *postingsCache, st stage, fields []field, pass passed, keep int, tables *snapshotTables) (collected, error) {
	docs, err := snap.DocCount()
	if err != nil {
		return collected{}, fmt.Errorf("search postings: %w", err)
	}
	openTerms := func(ts []term) ([]termLeaves, float64, error) {
		out := make([]termLeaves, 0, len(ts))
		for _, t := range ts {
			var tl termLeaves
			for _, f := range fields {
				count, err := docCount(ctx, snap, f.name, t.text)
				if err != nil {
					return nil, 0, fmt.Errorf("search postings of %q: %w", t.text, err)
				}
				idf := 1 + math.Log(float64(docs)/float64(count+1))
				tl.leaves = append(tl.leaves, leaf{term: t.text, field: f.name, count: count, idf: idf, weight: f.boost * idf})
				tl.count += count
			}
			slices.SortStableFunc(tl.leaves, func(a, b leaf) int { return cmp.Compare(a.count, b.count) })
			out = append(out, tl)
		}
		slices.SortStableFunc(out, func(a, b termLeaves) int { return cmp.Compare(a.count, b.count) })
		var squares float64
		for _, tl := range out {
			var sum float64
			for _, l := range tl.leaves {
				sum += l.weight * l.weight
			}
			squares += sum
		}
		return out, squares, nil
	}
	need, needSquares, err := openTerms(st.need)
	if err != nil {
		return collected{}, err
	}
	rest, restSquares, err := openTerms(st.rest)
	if err != nil {
		return collected{}, err
	}
	var squares float64
	squares += needSquares
	squares += restSquares
	norm := 1 / math.Sqrt(squares)
	for _, tls := range [][]termLeaves{need, rest} {
		for _, tl := range tls {
			for i := range tl.leaves {
				tl.leaves[i].weight *= norm
			}
		}
	}

	s := postingsScratches.Get().(*postingsScratch)
	s.grow(tables.docs)
	read := func(l leaf, want func(d int) bool, posting func(d int, tfNorm float64)) error {
		return cache.each(ctx, snap, tables, l.field, l.term, want, posting)
	}
	var touched []int // every document whose entries are set
	defer func() {
		for _, d := range touched {
			s.sum[d], s.hit[d], s.restSum[d], s.restHit[d] = 0, 0, 0, 0
		}
		postingsScratches.Put(s)
	}()

	// The candidates: documents with every needed term, or any of them.
	for i, tl := range need {
		var want func(d int) bool
		if i > 0 && !st.loose {
			want = func(d int) bool { return int(s.hit[d]) == i }
		}
		err := s.addTerm(tl, len(fields), read, want, func(d int, score float64) {
			if s.hit[d] == 0 {
				touched = append(touched, d)
			}
			s.sum[d] += score
			s.hit[d]++
		})
		if err != nil {
			return collected{}, err
		}
	}
	var candidates []int
	for _, d := range touched {
		if (st.loose || int(s.hit[d]) == len(need)) && pass.has(d) {
			candidates = append(candidates, d)
		} else {
			s.hit[d] = 0 // not a candidate: no rest scores
		}
	}
	if len(rest) > 0 {
		want := func(d int) bool { return s.hit[d] > 0 }
		for _, tl := range rest {
			err := s.addTerm(tl, len(fields), read, want, func(d int, score float64) {
				s.restSum[d] += score
				s.restHit[d]++
			})
			if err != nil {
				return collected{}, err
			}
		}
	}

	perOrd := make([]int, len(tables.ids)+1)
	best := &minScores{}
	for _, d := range candidates {
		score := s.sum[d]
		if st.loose {
			score *= float64(s.hit[d]) / float64(len(need))
		}
		if s.restHit[d] > 0 {
			score += s.restSum[d] * (float64(s.restHit[d]) / float64(len(rest)))
		}
		if d < len(tables.of) {
			perOrd[tables.of[d]]++
		}
		switch {
		case keep <= 0:
		case best.Len() < keep:
			heap.Push(best, scored{index.NewIndexInternalID(nil, uint64(d)), score})
		case better(score, d, (*best)[0]):
			(*best)[0] = scored{index.NewIndexInternalID(nil, uint64(d)), score}
			heap.Fix(best, 0)
		}
	}
	return finish(len(candidates), perOrd, *best, tables), nil
}

// better tells whether a match of score on document d ranks above m: a
// higher score, or an equal one on an earlier document.
func better(score float64, d int, m scored) bool {
	return score > m.score || (score == m.score && uint64(d) < m.id.Value())
}

// addTerm reads one term's postings in every field (of the documents
// want, if not nil) and calls add with each document's score for the
// term, once its fields' scores are summed.
func (s *postingsScratch) addTerm(tl termLeaves, fields int, read func(leaf, func(int) bool, func(int, float64)) error, want func(int) bool, add func(d int, score float64)) error {
	var scoredDocs []int
	for _, l := range tl.leaves {
		err := read(l, want, func(d int, tfNorm float64) {
			score := tfNorm * l.idf
			if l.weight != 1 {
				score *= l.weight
			}
			if s.fieldHit[d] == 0 {
				scoredDocs = append(scoredDocs, d)
			}
			s.fieldSum[d] += score
			s.fieldHit[d]++
		})
		if err != nil {
			for _, d := range scoredDocs {
				s.fieldSum[d], s.fieldHit[d] = 0, 0
			}
			return fmt.Errorf("search postings: %w", err)
		}
	}
	for _, d := range scoredDocs {
		add(d, s.fieldSum[d]*(float64(s.fieldHit[d])/float64(fields)))
		s.fieldSum[d], s.fieldHit[d] = 0, 0
	}
	return nil
}

// docCount is the number of live documents of snapshot snap with term in
// field, as bleve counts them for idf.
func docCount(ctx context.Context, snap *scorch.IndexSnapshot, field, term string) (uint64, error) {
	tfr, err := snap.TermFieldReader(ctx, []byte(term), field, false, false, false)
	if err != nil {
		return 0, err
	}
	defer tfr.Close()
	return tfr.Count(), nil
}
