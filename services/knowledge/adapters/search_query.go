package adapters

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

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
	var out appquery.Matches
	err := s.Articles.Index(func(idx bleve.Index) error {
		terms := analyze(idx, q.Text)
		text := textQuery(terms, []field{{"title", titleBoost}, {"body", bodyBoost}}, false)
		if text == nil {
			return nil
		}
		filters := []query.Query{text, keyword("status", kbapi.StatusPublished)}
		if len(q.CategoryIDs) > 0 {
			filters = append(filters, anyKeyword("category_id", q.CategoryIDs))
		}
		if q.Tag != "" {
			filters = append(filters, keyword("tags", q.Tag))
		}
		req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(filters...), q.Limit, q.Offset, false)
		req.Fields = []string{"_src"}
		req.AddFacet("category", bleve.NewFacetRequest("category_id", 200))
		res, err := idx.SearchInContext(ctx, req)
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		out.Total = int(res.Total)
		out.CategoryCounts = map[string]int{}
		if f := res.Facets["category"]; f != nil && f.Terms != nil {
			for _, t := range f.Terms.Terms() {
				out.CategoryCounts[t.Term] = t.Count
			}
		}
		out.Items, err = matches(res, terms)
		return err
	})
	return out, err
}

// Suggest ranks published articles and answered questions by their titles
// (the last word may be unfinished), then favours recent ones: the score is
// multiplied by 1 + 2^(-age/30 days).
func (s *Searcher) Suggest(ctx context.Context, q appquery.SearchQuery) (appquery.Matches, error) {
	var out appquery.Matches
	err := s.Articles.Index(func(articles bleve.Index) error {
		return s.Questions.Index(func(questions bleve.Index) error {
			terms := analyze(articles, q.Text)
			text := textQuery(terms, []field{{"title", titleBoost}}, true)
			if text == nil {
				return nil
			}
			kinds := bleve.NewDisjunctionQuery(
				bleve.NewConjunctionQuery(keyword("kind", kbapi.KindArticle), keyword("status", kbapi.StatusPublished)),
				bleve.NewConjunctionQuery(keyword("kind", kbapi.KindQuestion), keyword("status", QuestionAnswered)),
			)
			filters := []query.Query{text, kinds}
			if len(q.CategoryIDs) > 0 {
				filters = append(filters, bleve.NewDisjunctionQuery(
					anyKeyword("category_id", q.CategoryIDs), anyKeyword("category_name", q.CategoryNames)))
			}
			// Take more than asked, then re-rank by recency.
			req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(filters...), 3*q.Limit, 0, false)
			req.Fields = []string{"_src"}
			res, err := bleve.NewIndexAlias(articles, questions).SearchInContext(ctx, req)
			if err != nil {
				return fmt.Errorf("suggest: %w", err)
			}
			out.Total = int(res.Total)
			if out.Items, err = matches(res, terms); err != nil {
				return err
			}
			now := time.Now()
			if s.Now != nil {
				now = s.Now()
			}
			for i := range out.Items {
				age := max(now.Sub(out.Items[i].UpdatedAt), 0)
				out.Items[i].Score *= 1 + math.Exp2(-float64(age)/float64(recencyHalfLife))
			}
			slices.SortStableFunc(out.Items, func(a, b appquery.Match) int {
				switch {
				case a.Score > b.Score:
					return -1
				case a.Score < b.Score:
					return 1
				}
				return b.UpdatedAt.Compare(a.UpdatedAt)
			})
			out.Items = out.Items[:min(len(out.Items), q.Limit)]
			return nil
		})
	})
	return out, err
}

// term is one analysed word of a query: a Chinese bigram (or single
// character) or a Latin-script word, lower-cased.
type term struct {
	text  string
	latin bool
}

// analyze runs the query text through the index's analyzer, so the query
// and the documents agree on words. Duplicates are dropped.
func analyze(idx bleve.Index, text string) []term {
	a := idx.Mapping().AnalyzerNamed(Analyzer)
	var out []term
	seen := map[string]bool{}
	for _, tok := range a.Analyze([]byte(text)) {
		t := string(tok.Term)
		if seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, term{text: t, latin: isLatin(t)})
	}
	return out
}

func isLatin(s string) bool {
	for _, r := range s {
		if r > unicode.MaxLatin1 && !unicode.Is(unicode.Latin, r) {
			return false
		}
	}
	return true
}

// textQuery matches any of the terms in the fields: exactly, and Latin
// words of four letters or more also with one typo (two from eight
// letters). With prefixLast the last term may be the start of a word, as
// it is while someone types. It returns nil when there are no terms.
func textQuery(terms []term, fields []field, prefixLast bool) query.Query {
	var qs []query.Query
	for i, t := range terms {
		n := utf8.RuneCountInString(t.text)
		for _, f := range fields {
			tq := bleve.NewTermQuery(t.text)
			tq.SetField(f.name)
			tq.SetBoost(f.boost)
			qs = append(qs, tq)
			if t.latin && n >= 4 {
				fq := bleve.NewFuzzyQuery(t.text)
				fq.SetField(f.name)
				fq.SetFuzziness(1 + min(1, n/8))
				fq.SetPrefix(1)
				fq.SetBoost(f.boost * fuzzyWeight)
				qs = append(qs, fq)
			}
			if prefixLast && i == len(terms)-1 && (n == 1 || (t.latin && n >= 2)) {
				pq := bleve.NewPrefixQuery(t.text)
				pq.SetField(f.name)
				pq.SetBoost(f.boost * fuzzyWeight)
				qs = append(qs, pq)
			}
		}
	}
	if len(qs) == 0 {
		return nil
	}
	return bleve.NewDisjunctionQuery(qs...)
}

func keyword(fieldName, value string) query.Query {
	q := bleve.NewTermQuery(value)
	q.SetField(fieldName)
	q.SetBoost(0)
	return q
}

func anyKeyword(fieldName string, values []string) query.Query {
	qs := make([]query.Query, 0, len(values))
	for _, v := range values {
		qs = append(qs, keyword(fieldName, v))
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// matches turns hits into results with snippets.
func matches(res *bleve.SearchResult, terms []term) ([]appquery.Match, error) {
	out := make([]appquery.Match, 0, len(res.Hits))
	for _, h := range res.Hits {
		src, _ := h.Fields["_src"].(string)
		doc, err := decodeSrc(h.ID, []byte(src))
		if err != nil {
			return nil, err
		}
		// The body's matches make the snippet; when only the title matched
		// (or there is no body), the highlighted title does.
		snippet := Snippet(doc.Body, terms, snippetRunes)
		if !strings.Contains(snippet, "<mark>") {
			if t := Snippet(doc.Title, terms, snippetRunes); doc.Body == "" || strings.Contains(t, "<mark>") {
				snippet = t
			}
		}
		out = append(out, appquery.Match{
			Hit: kbapi.Hit{
				ID: h.ID, Kind: doc.Kind, Title: doc.Title, Snippet: snippet,
				CategoryID: doc.CategoryID, Score: h.Score, UpdatedAt: doc.UpdatedAt,
			},
			CategoryName: doc.CategoryName,
		})
	}
	return out, nil
}
