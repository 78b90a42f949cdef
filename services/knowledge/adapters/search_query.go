package adapters

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"helpdesk/contracts/kbapi"
	appquery "helpdesk/services/knowledge/app/query"
)

// Searcher answers searches and suggestions from the articles index and
// the questions index. It implements query.SearchIndex.
type Searcher struct {
	Articles  *SearchIndex
	Questions *SearchIndex
	// Now tells the time for recency; default time.Now.
	Now func() time.Time
	// Cache, if not nil, keeps recent results until an index changes.
	Cache *ResultCache
}

// computing bounds the searches and suggestions computed at once to the
// processors: they only use the CPU, so more at once would share it, each
// finishing later, and each would hold scratch arrays of its own (4 MB at
// 100,000 articles). The others wait their turn.
var computing = make(chan struct{}, runtime.GOMAXPROCS(0))

// cached answers from the cache, or computes and caches.
func (s *Searcher) cached(ctx context.Context, kind string, q appquery.SearchQuery, compute func() (appquery.Matches, error)) (appquery.Matches, error) {
	key, gen := cacheKey(kind, q), s.Articles.Changes()<<32+s.Questions.Changes()
	if m, ok := s.Cache.get(key, gen); ok {
		return m, nil
	}
	select {
	case computing <- struct{}{}:
		defer func() { <-computing }()
	case <-ctx.Done():
		return appquery.Matches{}, ctx.Err()
	}
	// The same query may have been answered while this one waited.
	if m, ok := s.Cache.recheck(key, gen); ok {
		return m, nil
	}
	m, err := compute()
	if err == nil {
		s.Cache.put(key, gen, m)
	}
	return m, err
}

// Boosts of the fields: a word in the title counts more than in the body.
const (
	titleBoost = 3.0
	bodyBoost  = 1.0
	// fuzzyWeight scales matches of misspelt words against exact ones.
	fuzzyWeight = 0.6
	// recencyHalfLife is the age at which a suggestion's recency bonus
	// has halved.
	recencyHalfLife = 30 * 24 * time.Hour
)

// field is a text field to match and its boost.
type field struct {
	name  string
	boost float64
}

// Search ranks published articles by title and body, with per-category
// counts of all matches.
func (s *Searcher) Search(ctx context.Context, q appquery.SearchQuery) (appquery.Matches, error) {
	return s.cached(ctx, "search", q, func() (appquery.Matches, error) { return s.search(ctx, q) })
}

func (s *Searcher) search(ctx context.Context, q appquery.SearchQuery) (appquery.Matches, error) {
	var out appquery.Matches
	err := s.Articles.Index(func(idx bleve.Index) error {
		// Only published articles have indexed text (see indexedDoc).
		var filters []keywordFilter
		if len(q.CategoryIDs) > 0 {
			filters = append(filters, keywordFilter{categoryField: q.CategoryIDs})
		}
		if q.Tag != "" {
			filters = append(filters, keywordFilter{"tags": {q.Tag}})
		}
		in, err := openSource(ctx, s.Articles, idx, filters)
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		defer in.Close()
		fields := []field{{"title", titleBoost}, {"body", bodyBoost}}
		terms, err := analyze(ctx, idx.Mapping(), in.snap, q.Text, fields)
		if err != nil || len(terms) == 0 {
			return err
		}
		var found collected
		err = firstEnough(q.Limit, terms, fields, false, func(st stage) (int, error) {
			var err error
			found, err = in.collect(ctx, st, fields, q.Offset+q.Limit)
			return found.total, err
		})
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		out.Total, out.CategoryCounts = found.total, found.counts
		hs := make([]hit, 0, q.Limit)
		for _, b := range found.best[min(q.Offset, len(found.best)):] {
			id, doc, err := in.load(b.id)
			if err != nil {
				return fmt.Errorf("search: %w", err)
			}
			hs = append(hs, newHit(id, b.score, doc))
		}
		out.Items = withSnippets(hs, terms)
		return nil
	})
	return out, err
}

// reader opens a snapshot of the index for reading; close it after use.
// Every index here is a scorch index (see newMemIndex and create), whose
// segments and document numbers the searches read directly.
func reader(idx bleve.Index) (*scorch.IndexSnapshot, error) {
	adv, err := idx.Advanced()
	if err != nil {
		return nil, err
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, err
	}
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		_ = r.Close()
		return nil, fmt.Errorf("search index reader is a %T, not a scorch snapshot", r)
	}
	return snap, nil
}

// Suggest ranks published articles and answered questions by their titles
// (the last word may be unfinished), then favours recent ones: the score is
// multiplied by 1 + 2^(-age/30 days).
func (s *Searcher) Suggest(ctx context.Context, q appquery.SearchQuery) (appquery.Matches, error) {
	return s.cached(ctx, "suggest", q, func() (appquery.Matches, error) { return s.suggest(ctx, q) })
}

func (s *Searcher) suggest(ctx context.Context, q appquery.SearchQuery) (appquery.Matches, error) {
	var out appquery.Matches
	err := s.Articles.Index(func(articles bleve.Index) error {
		return s.Questions.Index(func(questions bleve.Index) error {
			fields := []field{{"title", titleBoost}}
			// Only published articles and answered questions have
			// indexed text (see indexedDoc).
			var filters []keywordFilter
			if len(q.CategoryIDs) > 0 {
				filters = append(filters, keywordFilter{categoryField: q.CategoryIDs, "category_name": q.CategoryNames})
			}
			var sources []*source
			for _, src := range []struct {
				idx   *SearchIndex
				bleve bleve.Index
			}{{s.Articles, articles}, {s.Questions, questions}} {
				in, err := openSource(ctx, src.idx, src.bleve, filters)
				if err != nil {
					return fmt.Errorf("suggest: %w", err)
				}
				defer in.Close()
				sources = append(sources, in)
			}
			terms, err := analyze(ctx, articles.Mapping(), sources[0].snap, q.Text, fields)
			if err != nil || len(terms) == 0 {
				return err
			}
			if last := &terms[len(terms)-1]; last.latin && last.df == 0 {
				for _, in := range sources {
					words, err := startingWith(in.snap, "title", last.text, 1)
					if err != nil {
						return fmt.Errorf("suggest: %w", err)
					}
					last.completed = last.completed || len(words) > 0
				}
			}
			// Take more than asked, then re-rank by recency.
			var best []sourceMatch
			err = firstEnough(q.Limit, terms, fields, true, func(st stage) (int, error) {
				total := 0
				best = best[:0]
				for _, in := range sources {
					found, err := in.collect(ctx, st, fields, 3*q.Limit)
					if err != nil {
						return 0, err
					}
					total += found.total
					for _, b := range found.best {
						best = append(best, sourceMatch{in, b})
					}
				}
				out.Total = total
				return total, nil
			})
			if err != nil {
				return fmt.Errorf("suggest: %w", err)
			}
			// Articles before questions on equal scores, as collected.
			slices.SortStableFunc(best, func(a, b sourceMatch) int { return cmp.Compare(b.score, a.score) })
			hs := make([]hit, 0, 3*q.Limit)
			for _, b := range best[:min(len(best), 3*q.Limit)] {
				id, doc, err := b.in.load(b.id)
				if err != nil {
					return fmt.Errorf("suggest: %w", err)
				}
				hs = append(hs, newHit(id, b.score, doc))
			}
			now := time.Now()
			if s.Now != nil {
				now = s.Now()
			}
			for i := range hs {
				age := max(now.Sub(hs[i].UpdatedAt), 0)
				hs[i].Score *= 1 + math.Exp2(-float64(age)/float64(recencyHalfLife))
			}
			slices.SortStableFunc(hs, func(a, b hit) int {
				switch {
				case a.Score > b.Score:
					return -1
				case a.Score < b.Score:
					return 1
				}
				return b.UpdatedAt.Compare(a.UpdatedAt)
			})
			out.Items = withSnippets(hs[:min(len(hs), q.Limit)], terms)
			return nil
		})
	})
	return out, err
}

// sourceMatch is a match and the source it came from.
type sourceMatch struct {
	in *source
	scored
}

// term is one analysed word of a query: a Chinese bigram (or single
// character) or a Latin-script word, lower-cased, with the number of
// documents that have it in the searched field where it is commonest.
type term struct {
	text  string
	latin bool
	df    uint64
	// completed tells that the term is the last of a query being typed
	// and that words of the index start with it: "micropho" is not a typo.
	completed bool
}

// analyze runs the query text through the index's analyzer, so the query
// and the documents agree on words, and counts the documents of each term
// in snapshot r.
// Duplicates are dropped, and so are the bigrams of a run of Chinese
// characters that overlap the one kept before them, except the run's last:
// every character stays covered (打印机 → 打印 印机, 无法连接网络 → 无法 连接
// 网络) and a query has about half the terms, each a pass over its postings.
func analyze(ctx context.Context, m mapping.IndexMapping, r index.IndexReader, text string, fields []field) ([]term, error) {
	a := m.AnalyzerNamed(Analyzer)
	var out []term
	seen := map[string]bool{}
	toks := a.Analyze([]byte(text))
	keptEnd := -1 // where the last bigram kept ends
	for i, tok := range toks {
		if tok.Type == analysis.Double {
			lastOfRun := i+1 == len(toks) || toks[i+1].Type != analysis.Double || toks[i+1].Start >= tok.End
			if tok.Start < keptEnd && !lastOfRun {
				continue
			}
			keptEnd = tok.End
		}
		t := string(tok.Term)
		if seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, term{text: t, latin: isLatin(t)})
	}
	if len(out) == 0 {
		return nil, nil
	}
	for i := range out {
		for _, f := range fields {
			tfr, err := r.TermFieldReader(ctx, []byte(out[i].text), f.name, false, false, false)
			if err != nil {
				return nil, err
			}
			out[i].df = max(out[i].df, tfr.Count())
			_ = tfr.Close()
		}
	}
	return out, nil
}

func isLatin(s string) bool {
	for _, r := range s {
		if r > unicode.MaxLatin1 && !unicode.Is(unicode.Latin, r) {
			return false
		}
	}
	return true
}

// fuzzy tells whether a term is matched with typos too: a Latin word of
// four letters or more that no document has, and that is not the start of
// words while it is being typed.
func (t term) fuzzy() bool {
	return t.latin && t.df == 0 && !t.completed && utf8.RuneCountInString(t.text) >= 4
}

// prefix tells whether the last term of a query being typed is also
// matched as the start of a word: a single Chinese character, or a Latin
// word of three letters or more (shorter ones would expand to most of the
// dictionary).
func (t term) prefix() bool {
	n := utf8.RuneCountInString(t.text)
	return (n == 1 && !t.latin) || (t.latin && n >= 3)
}

// A stage is one search of firstEnough.
type stage struct {
	// text finds the stage's candidates and ranks them by every usable
	// term.
	text query.Query
	// need are the terms a candidate has: every one, or in a loose stage
	// any one; rest are the usable terms that only rank.
	need, rest []term
	loose      bool
	// prefix is the term also matched as a word's start, if any.
	prefix string
}

// firstEnough searches for candidates in stages of growing cost and stops
// at the first whose search finds want results (the last search's results
// are the answer): every usable term required; then only the
// rarer half of them; then, loosely, any of the three rarest. Terms no
// document has (a Chinese bigram spanning two words, say) are never
// required, so a typo or a stray bigram does not empty the results. A
// later stage ranks its candidates by the usable terms it did not require
// too. The cost of a search is so bounded by its rarest terms, not by its
// commonest.
func firstEnough(want int, terms []term, fields []field, typing bool, search func(stage) (found int, err error)) error {
	var usable []term
	for i, t := range terms {
		if t.df > 0 || t.fuzzy() || (typing && i == len(terms)-1 && t.prefix()) {
			usable = append(usable, t)
		}
	}
	if len(usable) == 0 {
		_, err := search(stage{text: bleve.NewMatchNoneQuery()})
		return err
	}
	rarest := slices.Clone(usable)
	slices.SortStableFunc(rarest, func(a, b term) int { return cmp.Compare(a.df, b.df) })
	var prefix string
	if last := terms[len(terms)-1]; typing && last.prefix() {
		prefix = last.text
	}
	clauses := func(ts []term) []query.Query {
		qs := make([]query.Query, 0, len(ts))
		for _, t := range ts {
			qs = append(qs, termQuery(t, fields, t.text == prefix))
		}
		return qs
	}
	ranked := func(candidates query.Query, rest []term) query.Query {
		if len(rest) == 0 {
			return candidates
		}
		q := bleve.NewBooleanQuery()
		q.AddMust(candidates)
		q.AddShould(clauses(rest)...)
		return q
	}
	stages := []stage{{text: bleve.NewConjunctionQuery(clauses(usable)...), need: usable, prefix: prefix}}
	if n := (len(rarest) + 1) / 2; n < len(rarest) && n > 1 {
		need, rest := rarest[:n], rarest[n:]
		stages = append(stages, stage{text: ranked(bleve.NewConjunctionQuery(clauses(need)...), rest), need: need, rest: rest, prefix: prefix})
	}
	if len(usable) > 1 {
		n := min(3, len(rarest))
		need, rest := rarest[:n], rarest[n:]
		stages = append(stages, stage{text: ranked(bleve.NewDisjunctionQuery(clauses(need)...), rest), need: need, rest: rest, loose: true, prefix: prefix})
	}
	for _, st := range stages {
		if found, err := search(st); err != nil || found >= want {
			return err
		}
	}
	return nil
}

// termQuery matches one term in the fields: exactly, with typos when the
// term is fuzzy, and as a word's start when asPrefix.
func termQuery(t term, fields []field, asPrefix bool) query.Query {
	n := utf8.RuneCountInString(t.text)
	var qs []query.Query
	for _, f := range fields {
		tq := bleve.NewTermQuery(t.text)
		tq.SetField(f.name)
		tq.SetBoost(f.boost)
		qs = append(qs, tq)
		if t.fuzzy() {
			fq := bleve.NewFuzzyQuery(t.text)
			fq.SetField(f.name)
			fq.SetFuzziness(1 + min(1, n/8))
			fq.SetPrefix(1)
			fq.SetBoost(f.boost * fuzzyWeight)
			qs = append(qs, fq)
		}
		if asPrefix && t.prefix() {
			pq := bleve.NewPrefixQuery(t.text)
			pq.SetField(f.name)
			pq.SetBoost(f.boost * fuzzyWeight)
			qs = append(qs, pq)
		}
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// hit is a match and the document it came from, whose text makes the
// snippet once the matches to return are known.
type hit struct {
	appquery.Match
	doc *SearchDoc
}

func newHit(id string, score float64, doc *SearchDoc) hit {
	return hit{
		Match: appquery.Match{
			Hit: kbapi.Hit{
				ID: id, Kind: doc.Kind, Title: doc.Title,
				CategoryID: doc.CategoryID, Score: score, UpdatedAt: doc.UpdatedAt,
			},
			CategoryName: doc.CategoryName,
		},
		doc: doc,
	}
}

// withSnippets returns the matches with their snippets: the body's matches
// make the snippet; when only the title matched (or there is no body), the
// highlighted title does.
func withSnippets(hs []hit, terms []term) []appquery.Match {
	out := make([]appquery.Match, len(hs))
	for i, h := range hs {
		snippet := Snippet(h.doc.Body, terms, snippetRunes)
		if !strings.Contains(snippet, "<mark>") {
			if t := Snippet(h.doc.Title, terms, snippetRunes); h.doc.Body == "" || strings.Contains(t, "<mark>") {
				snippet = t
			}
		}
		out[i] = h.Match
		out[i].Snippet = snippet
	}
	return out
}
