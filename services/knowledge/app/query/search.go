package query

import (
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/problem"
)

// SearchQuery is a search as the index sees it: text, and filters already
// resolved against the category tree.
type SearchQuery struct {
	Text string
	// CategoryIDs, when not empty, limit results to these categories (a
	// category and its descendants).
	CategoryIDs []string
	// CategoryNames are the names of those categories, which questions from
	// tickets carry instead of ids.
	CategoryNames []string
	Tag           string
	Limit         int
	Offset        int
}

// Match is one result of the index. Questions carry the category name
// their ticket gave; articles the category id.
type Match struct {
	kbapi.Hit
	CategoryName string
}

// Matches are the index's results: Total matches in all, and the number of
// matches per category id (searches only).
type Matches struct {
	Items          []Match
	Total          int
	CategoryCounts map[string]int
}

// SearchIndex finds published articles and answered questions.
type SearchIndex interface {
	// Search ranks published articles, with counts per category.
	Search(ctx context.Context, q SearchQuery) (Matches, error)
	// Suggest ranks published articles and answered questions by their
	// titles, favouring recent ones.
	Suggest(ctx context.Context, q SearchQuery) (Matches, error)
}

// MaxOffset is how deep search pages go.
const MaxOffset = 1000

// SearchHandler answers searches.
type SearchHandler struct {
	index SearchIndex
	tree  CategoryTree
}

// NewSearchHandler returns a handler that searches index.
func NewSearchHandler(index SearchIndex, tree CategoryTree) SearchHandler {
	if index == nil || tree == nil {
		panic("query: nil search index or category tree")
	}
	return SearchHandler{index: index, tree: tree}
}

// Handle searches published articles.
func (h SearchHandler) Handle(ctx context.Context, req kbapi.Search) (kbapi.Results, error) {
	offset, err := decodeOffset(req.Cursor)
	if err != nil {
		return kbapi.Results{}, err
	}
	q, cats, err := prepare(ctx, h.tree, req.Q, req.Category, req.Limit)
	if err != nil || q.Text == "" {
		return emptyResults(), err
	}
	q.Tag, q.Offset = strings.TrimSpace(req.Tag), offset
	m, err := h.index.Search(ctx, q)
	if err != nil {
		return kbapi.Results{}, err
	}
	res := results(m, cats)
	res.Facets.Category = facets(m.CategoryCounts, cats)
	if next := offset + len(m.Items); next < m.Total && next < MaxOffset && len(m.Items) > 0 {
		res.NextCursor = encodeOffset(next)
	}
	return res, nil
}

// SuggestHandler answers suggestions while a user types.
type SuggestHandler struct {
	index SearchIndex
	tree  CategoryTree
}

// NewSuggestHandler returns a handler that suggests from index.
func NewSuggestHandler(index SearchIndex, tree CategoryTree) SuggestHandler {
	if index == nil || tree == nil {
		panic("query: nil search index or category tree")
	}
	return SuggestHandler{index: index, tree: tree}
}

// Handle suggests published articles and answered questions; its facets
// count the returned items per category, in the order of their best item.
func (h SuggestHandler) Handle(ctx context.Context, req kbapi.Suggest) (kbapi.Results, error) {
	q, cats, err := prepare(ctx, h.tree, req.Q, req.Category, req.Limit)
	if err != nil || q.Text == "" {
		return emptyResults(), err
	}
	m, err := h.index.Suggest(ctx, q)
	if err != nil {
		return kbapi.Results{}, err
	}
	res := results(m, cats)
	var order []string
	counts := map[string]int{}
	for _, it := range res.Items {
		if counts[it.CategoryID] == 0 {
			order = append(order, it.CategoryID)
		}
		counts[it.CategoryID]++
	}
	for _, id := range order {
		res.Facets.Category = append(res.Facets.Category, kbapi.FacetCount{ID: id, Name: cats.Name(id), Count: counts[id]})
	}
	return res, nil
}

// prepare checks the query text and limit and resolves the category filter.
// A text without letters or digits gives an empty query, not an error.
func prepare(ctx context.Context, tree CategoryTree, text, category string, limit int) (SearchQuery, Tree, error) {
	var q SearchQuery
	text = strings.TrimSpace(text)
	switch {
	case !utf8.ValidString(text):
		return q, Tree{}, problem.InvalidArgument("q", "is not valid UTF-8")
	case text == "":
		return q, Tree{}, problem.InvalidArgument("q", "is required")
	case utf8.RuneCountInString(text) > kbapi.MaxQueryRunes:
		return q, Tree{}, problem.InvalidArgument("q", "must be at most 200 characters")
	case limit < 0 || limit > kbapi.MaxLimit:
		return q, Tree{}, problem.InvalidArgument("limit", "must be between 1 and 50")
	}
	if limit == 0 {
		limit = kbapi.DefaultLimit
	}
	cats, err := tree.Tree(ctx)
	if err != nil {
		return q, Tree{}, err
	}
	q.Limit = limit
	if category = strings.TrimSpace(category); category != "" {
		ids := cats.Subtree(category)
		if len(ids) == 0 {
			return q, Tree{}, problem.InvalidArgument("category", "names no category")
		}
		q.CategoryIDs = ids
		for _, id := range ids {
			q.CategoryNames = append(q.CategoryNames, cats.Name(id))
		}
	}
	if strings.IndexFunc(text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
		q.Text = text
	}
	return q, cats, nil
}

func emptyResults() kbapi.Results {
	return kbapi.Results{Items: []kbapi.Hit{}, Facets: kbapi.Facets{Category: []kbapi.FacetCount{}}}
}

// results turns matches into hits, giving questions the id of the category
// their ticket named when one category has that name.
func results(m Matches, cats Tree) kbapi.Results {
	res := emptyResults()
	res.Total = m.Total
	for _, it := range m.Items {
		if it.CategoryID == "" && it.CategoryName != "" {
			it.CategoryID = cats.IDByName(it.CategoryName)
		}
		res.Items = append(res.Items, it.Hit)
	}
	return res
}

// facets lists the categories with matches, most matches first.
func facets(counts map[string]int, cats Tree) []kbapi.FacetCount {
	out := []kbapi.FacetCount{}
	for id, n := range counts {
		out = append(out, kbapi.FacetCount{ID: id, Name: cats.Name(id), Count: n})
	}
	slices.SortFunc(out, func(a, b kbapi.FacetCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

func encodeOffset(n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o" + strconv.Itoa(n)))
}

func decodeOffset(cursor string) (int, error) {
	if cursor == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil && len(b) > 1 && b[0] == 'o' {
		if n, err := strconv.Atoi(string(b[1:])); err == nil && n >= 0 && n <= MaxOffset {
			return n, nil
		}
	}
	return 0, problem.InvalidArgument("cursor", "is not a cursor this API returned")
}
