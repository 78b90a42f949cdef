package adapters

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

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
//   - the candidates' score and the ranking terms' score add up;
//   - a word being typed is also matched as the start of words, a
//     disjunction of those words with their own boost (bleve's prefix
//     query). Beyond ten such words bleve sums them in another order, and
//     a score may differ in its last bit.
//
// TestCollect_agrees_with_bleve holds this to bleve's results.

// scoresItself tells whether collectByPostings can search stage st: no
// term is matched with typos, and there are no more terms than bleve sums
// in the order of their counts (beyond, it sums them in another order, and
// the last bits of a score differ).
func (st stage) scoresItself() bool {
	if len(st.need) == 0 || len(st.need) > searcher.DisjunctionHeapTakeover || len(st.rest) > searcher.DisjunctionHeapTakeover {
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

// leaf is one word in one field: its postings and score factors.
type leaf struct {
	postings termPostings
	count    uint64
	idf      float64
	weight   float64 // boost·idf·queryNorm, once the norm is known
}

// child is one of a clause's disjuncts: a word in a field, or the words a
// prefix starts in a field, themselves a disjunction. Its leaves are in
// the order of their document counts.
type child struct {
	leaves []leaf
	multi  bool
	count  uint64
}

// clause is one term of a query over the fields (termQuery): a
// disjunction of children, in the order of their document counts.
type clause struct {
	children []child
	count    uint64
}

// squares is the sum of the squared weights of the clause's leaves, summed
// as bleve sums them: by child, then by clause.
func (c clause) squares() float64 {
	var sum float64
	for _, ch := range c.children {
		var w float64
		for _, l := range ch.leaves {
			w += l.weight * l.weight
		}
		sum += w
	}
	return sum
}

// postingsScratch holds the per-document arrays of one collectByPostings
// call. Every entry is zero between calls.
type postingsScratch struct {
	wordSum  []float64 // one prefix's score over the words matched so far
	wordHit  []uint8   // how many of that prefix's words matched
	fieldSum []float64 // one clause's score over the children matched so far
	fieldHit []uint8   // how many of that clause's children matched
	sum      []float64 // the candidate terms' score
	hit      []uint8   // how many candidate terms matched
	restSum  []float64 // the ranking terms' score
	restHit  []uint8
	// Lists of document numbers: whose entries are set, the candidates,
	// those of a clause and of a prefix's words.
	touched, candidates, clauseDocs, wordDocs []int32
}

// postingsScratches keeps a scratch for each search computed at once (see
// computing) between searches. Not a sync.Pool: a garbage collection
// empties that, and a scratch for 100,000 documents is 4 MB to allocate
// and clear again.
var postingsScratches = make(chan *postingsScratch, cap(computing))

func getScratch() *postingsScratch {
	select {
	case s := <-postingsScratches:
		return s
	default:
		return &postingsScratch{}
	}
}

func putScratch(s *postingsScratch) {
	select {
	case postingsScratches <- s:
	default:
	}
}

// grow makes the arrays cover document number d.
func (s *postingsScratch) grow(d int) {
	if d < len(s.sum) {
		return
	}
	size := max(d+1, 2*len(s.sum))
	s.wordSum = append(s.wordSum, make([]float64, size-len(s.wordSum))...)
	s.wordHit = append(s.wordHit, make([]uint8, size-len(s.wordHit))...)
	s.fieldSum = append(s.fieldSum, make([]float64, size-len(s.fieldSum))...)
	s.fieldHit = append(s.fieldHit, make([]uint8, size-len(s.fieldHit))...)
	s.sum = append(s.sum, make([]float64, size-len(s.sum))...)
	s.hit = append(s.hit, make([]uint8, size-len(s.hit))...)
	s.restSum = append(s.restSum, make([]float64, size-len(s.restSum))...)
	s.restHit = append(s.restHit, make([]uint8, size-len(s.restHit))...)
}

// collectByPostings is collect for a stage that scoresItself, over source
// in, with the documents that pass its filters.
func collectByPostings(ctx context.Context, in *source, st stage, fields []field, keep int) (collected, error) {
	tables := in.tables
	docs, err := in.snap.DocCount()
	if err != nil {
		return collected{}, fmt.Errorf("search postings: %w", err)
	}
	newLeaf := func(word string, f field, boost float64) (leaf, error) {
		p, err := in.postings(f.name, word)
		if err != nil {
			return leaf{}, fmt.Errorf("search postings of %q: %w", word, err)
		}
		idf := 1 + math.Log(float64(docs)/float64(p.live+1))
		return leaf{postings: p, count: p.live, idf: idf, weight: boost * idf}, nil
	}
	byCount := func(a, b leaf) int { return cmp.Compare(a.count, b.count) }
	// openTerms makes the clauses of terms as termQuery does, and the sum
	// of their squared weights.
	openTerms := func(ts []term) ([]clause, float64, error) {
		out := make([]clause, 0, len(ts))
		for _, t := range ts {
			var c clause
			for _, f := range fields {
				l, err := newLeaf(t.text, f, f.boost)
				if err != nil {
					return nil, 0, err
				}
				c.children = append(c.children, child{leaves: []leaf{l}, count: l.count})
				if t.text != st.prefix || !t.prefix() {
					continue
				}
				words, err := in.startingWith(f.name, t.text)
				if err != nil {
					return nil, 0, err
				}
				// Like bleve's prefix searcher: one word, or a disjunction.
				ch := child{multi: len(words) > 1 || (len(words) == 1 && words[0] != t.text)}
				if !ch.multi {
					words = []string{t.text}
				}
				for _, w := range words {
					l, err := newLeaf(w, f, f.boost*fuzzyWeight)
					if err != nil {
						return nil, 0, err
					}
					ch.leaves = append(ch.leaves, l)
					ch.count += l.count
				}
				slices.SortStableFunc(ch.leaves, byCount)
				c.children = append(c.children, ch)
			}
			slices.SortStableFunc(c.children, func(a, b child) int { return cmp.Compare(a.count, b.count) })
			for _, ch := range c.children {
				c.count += ch.count
			}
			out = append(out, c)
		}
		slices.SortStableFunc(out, func(a, b clause) int { return cmp.Compare(a.count, b.count) })
		var squares float64
		for _, c := range out {
			squares += c.squares()
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
	for _, cs := range [][]clause{need, rest} {
		for _, c := range cs {
			for _, ch := range c.children {
				for i := range ch.leaves {
					ch.leaves[i].weight *= norm
				}
			}
		}
	}

	s := getScratch()
	s.grow(tables.docs)
	read := func(l leaf, want func(d int) bool, posting func(d int, tfNorm float64)) error {
		return l.postings.each(ctx, tables, want, posting)
	}
	s.touched, s.candidates = s.touched[:0], s.candidates[:0]
	defer func() {
		for _, d := range s.touched {
			s.sum[d], s.hit[d], s.restSum[d], s.restHit[d] = 0, 0, 0, 0
		}
		putScratch(s)
	}()

	// The candidates: documents with every needed term, or any of them.
	for i, c := range need {
		var want func(d int) bool
		if i > 0 && !st.loose {
			want = func(d int) bool { return int(s.hit[d]) == i }
		}
		err := s.addClause(c, read, want, func(d int, score float64) {
			if s.hit[d] == 0 {
				s.touched = append(s.touched, int32(d))
			}
			s.sum[d] += score
			s.hit[d]++
		})
		if err != nil {
			return collected{}, err
		}
	}
	for _, d := range s.touched {
		if (st.loose || int(s.hit[d]) == len(need)) && in.pass.has(int(d)) {
			s.candidates = append(s.candidates, d)
		} else {
			s.hit[d] = 0 // not a candidate: no rest scores
		}
	}
	if len(rest) > 0 {
		want := func(d int) bool { return s.hit[d] > 0 }
		for _, c := range rest {
			err := s.addClause(c, read, want, func(d int, score float64) {
				s.restSum[d] += score
				s.restHit[d]++
			})
			if err != nil {
				return collected{}, err
			}
		}
	}

	t := newTally(keep, tables)
	for _, d32 := range s.candidates {
		d := int(d32)
		score := s.sum[d]
		if st.loose {
			score *= float64(s.hit[d]) / float64(len(need))
		}
		if s.restHit[d] > 0 {
			score += s.restSum[d] * (float64(s.restHit[d]) / float64(len(rest)))
		}
		t.add(d, score)
	}
	return t.collected(), nil
}

// addClause reads the postings of a clause's words (of the documents
// want, if not nil) and calls add with each document's score for the
// clause, once its children's scores are summed.
func (s *postingsScratch) addClause(c clause, read func(leaf, func(int) bool, func(int, float64)) error, want func(int) bool, add func(d int, score float64)) error {
	s.clauseDocs, s.wordDocs = s.clauseDocs[:0], s.wordDocs[:0]
	defer func() { // clean after an error
		for _, d := range s.clauseDocs {
			s.fieldSum[d], s.fieldHit[d] = 0, 0
		}
		for _, d := range s.wordDocs {
			s.wordSum[d], s.wordHit[d] = 0, 0
		}
	}()
	toClause := func(d int, score float64) {
		if s.fieldHit[d] == 0 {
			s.clauseDocs = append(s.clauseDocs, int32(d))
		}
		s.fieldSum[d] += score
		s.fieldHit[d]++
	}
	toWords := func(d int, score float64) {
		if s.wordHit[d] == 0 {
			s.wordDocs = append(s.wordDocs, int32(d))
		}
		s.wordSum[d] += score
		s.wordHit[d]++
	}
	for _, ch := range c.children {
		to := toClause
		if ch.multi {
			to = toWords
		}
		for _, l := range ch.leaves {
			err := read(l, want, func(d int, tfNorm float64) {
				score := tfNorm * l.idf
				if l.weight != 1 {
					score *= l.weight
				}
				to(d, score)
			})
			if err != nil {
				return fmt.Errorf("search postings: %w", err)
			}
		}
		if ch.multi {
			for _, d := range s.wordDocs {
				toClause(int(d), s.wordSum[d]*(float64(s.wordHit[d])/float64(len(ch.leaves))))
				s.wordSum[d], s.wordHit[d] = 0, 0
			}
			s.wordDocs = s.wordDocs[:0]
		}
	}
	for _, d := range s.clauseDocs {
		add(int(d), s.fieldSum[d]*(float64(s.fieldHit[d])/float64(len(c.children))))
		s.fieldSum[d], s.fieldHit[d] = 0, 0
	}
	s.clauseDocs = s.clauseDocs[:0]
	return nil
}

// startingWith lists the words of field in snapshot r that start with
// prefix, at most limit of them unless limit is 0.
func startingWith(r index.IndexReader, field, prefix string, limit int) ([]string, error) {
	fd, err := r.FieldDictPrefix(field, []byte(prefix))
	if err != nil {
		return nil, fmt.Errorf("words starting with %q: %w", prefix, err)
	}
	defer fd.Close()
	var out []string
	for {
		e, err := fd.Next()
		if err != nil {
			return nil, fmt.Errorf("words starting with %q: %w", prefix, err)
		}
		if e == nil || (limit > 0 && len(out) == limit) {
			return out, nil
		}
		out = append(out, e.Term)
	}
}
