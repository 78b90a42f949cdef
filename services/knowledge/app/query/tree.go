package query

import (
	"context"
	"slices"
	"strings"

	"helpdesk/contracts/kbapi"
)

// CategoryTree gives the current category tree.
type CategoryTree interface {
	Tree(ctx context.Context) (Tree, error)
}

// Tree is the category tree at one moment. The zero Tree is empty.
type Tree struct {
	byID     map[string]kbapi.Category
	children map[string][]string
	byName   map[string][]string
}

// NewTree builds a tree from its categories in any order; Path and the
// order of Items are computed here.
func NewTree(cats []kbapi.Category) Tree {
	t := Tree{byID: map[string]kbapi.Category{}, children: map[string][]string{}, byName: map[string][]string{}}
	for _, c := range cats {
		t.byID[c.ID] = c
		t.byName[c.Name] = append(t.byName[c.Name], c.ID)
	}
	for _, c := range cats {
		parent := c.ParentID
		if _, ok := t.byID[parent]; !ok {
			parent = ""
		}
		t.children[parent] = append(t.children[parent], c.ID)
	}
	for _, ids := range t.children {
		slices.SortFunc(ids, func(a, b string) int { return strings.Compare(t.byID[a].Name, t.byID[b].Name) })
	}
	return t
}

// Name is a category's name, "" when unknown.
func (t Tree) Name(id string) string { return t.byID[id].Name }

// Exists tells whether a category exists.
func (t Tree) Exists(id string) bool {
	_, ok := t.byID[id]
	return ok
}

// IDByName is the id of the one category with that name, "" when there is
// none or more than one.
func (t Tree) IDByName(name string) string {
	if ids := t.byName[strings.TrimSpace(name)]; len(ids) == 1 {
		return ids[0]
	}
	return ""
}

// Subtree lists a category and all its descendants; nil when unknown.
func (t Tree) Subtree(id string) []string {
	if !t.Exists(id) {
		return nil
	}
	out := []string{id}
	for i := 0; i < len(out); i++ {
		out = append(out, t.children[out[i]]...)
	}
	return out
}

// Path lists the names from the top level down to the category.
func (t Tree) Path(id string) []string {
	var names []string
	for seen := 0; t.Exists(id) && seen <= len(t.byID); seen++ {
		c := t.byID[id]
		names = append(names, c.Name)
		id = c.ParentID
	}
	slices.Reverse(names)
	return names
}

// Items lists every category, parents before children, siblings by name,
// each with its Path.
func (t Tree) Items() []kbapi.Category {
	out := make([]kbapi.Category, 0, len(t.byID))
	var walk func(parent string)
	walk = func(parent string) {
		for _, id := range t.children[parent] {
			c := t.byID[id]
			c.Path = t.Path(id)
			out = append(out, c)
			walk(id)
		}
	}
	walk("")
	return out
}

// CategoryCounts counts published articles per category.
type CategoryCounts interface {
	PublishedCounts(ctx context.Context) (map[string]int, error)
}

// CategoriesHandler lists the category tree.
type CategoriesHandler struct {
	tree   CategoryTree
	counts CategoryCounts
}

// NewCategoriesHandler returns a handler reading tree and counts.
func NewCategoriesHandler(tree CategoryTree, counts CategoryCounts) CategoriesHandler {
	if tree == nil || counts == nil {
		panic("query: nil dependency of CategoriesHandler")
	}
	return CategoriesHandler{tree: tree, counts: counts}
}

// Handle returns every category, parents before children, with its
// published article count.
func (h CategoriesHandler) Handle(ctx context.Context, _ kbapi.ListCategories) (kbapi.Categories, error) {
	t, err := h.tree.Tree(ctx)
	if err != nil {
		return kbapi.Categories{}, err
	}
	counts, err := h.counts.PublishedCounts(ctx)
	if err != nil {
		return kbapi.Categories{}, err
	}
	items := t.Items()
	for i := range items {
		items[i].Articles = counts[items[i].ID]
	}
	return kbapi.Categories{Items: items}, nil
}
