// Package query holds the knowledge base's query handlers and the read
// models they need, declared here beside them.
package query

import (
	"context"
	"strings"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/events"
	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/problem"
	"helpdesk/infra/rpc"
	"helpdesk/services/knowledge/domain/kb"
)

// ArticleStore loads articles from their events.
type ArticleStore interface {
	Load(ctx context.Context, id string) (*kb.Article, []events.Envelope, error)
}

// FeedbackCounts gives an article's votes and views.
type FeedbackCounts interface {
	Feedback(ctx context.Context, articleID string) (kbapi.Feedback, error)
}

// ViewCounter counts a view of an article.
type ViewCounter interface {
	CountView(articleID string)
}

// actor is the caller of the request in ctx.
func actor(ctx context.Context) kb.Actor {
	c := rpc.CallerFrom(ctx)
	return kb.Actor{ID: c.ID, Role: c.Role}
}

// ArticleHandler reads one article.
type ArticleHandler struct {
	store    ArticleStore
	feedback FeedbackCounts
	views    ViewCounter
}

// NewArticleHandler returns a handler reading from store and counts.
func NewArticleHandler(store ArticleStore, feedback FeedbackCounts, views ViewCounter) ArticleHandler {
	if store == nil || feedback == nil || views == nil {
		panic("query: nil dependency of ArticleHandler")
	}
	return ArticleHandler{store: store, feedback: feedback, views: views}
}

// Handle returns the article; customers get published articles only (any
// other is "not found" to them) and each read of a published article by a
// reader counts as a view.
func (h ArticleHandler) Handle(ctx context.Context, req kbapi.GetArticle) (kbapi.Article, error) {
	a, _, err := h.store.Load(ctx, req.ArticleID)
	if err != nil {
		return kbapi.Article{}, err
	}
	who := actor(ctx)
	if !a.CanRead(who) {
		return kbapi.Article{}, problem.NotFound("article", req.ArticleID)
	}
	v := a.View()
	if v.Feedback, err = h.feedback.Feedback(ctx, a.ID()); err != nil {
		return kbapi.Article{}, err
	}
	if a.Status() == kbapi.StatusPublished && !authz.Allowed(who.Role, authz.KBArticleReadDrafts) {
		h.views.CountView(a.ID())
	}
	return v, nil
}

// ArticleFilter is a list request with the category resolved to its
// subtree and the limit set.
type ArticleFilter struct {
	Status       string
	CategoryIDs  []string
	SourceTicket string
	SourceCall   string
	Limit        int
	Cursor       string
}

// ArticleList is the read model of article lists.
type ArticleList interface {
	List(ctx context.Context, f ArticleFilter) (kbapi.ArticlePage, error)
}

// ListArticlesHandler lists articles.
type ListArticlesHandler struct {
	list ArticleList
	tree CategoryTree
}

// NewListArticlesHandler returns a handler reading list and tree.
func NewListArticlesHandler(list ArticleList, tree CategoryTree) ListArticlesHandler {
	if list == nil || tree == nil {
		panic("query: nil dependency of ListArticlesHandler")
	}
	return ListArticlesHandler{list: list, tree: tree}
}

// Handle lists articles, most recently changed first. Customers see
// published articles only, whatever status they ask for.
func (h ListArticlesHandler) Handle(ctx context.Context, req kbapi.ListArticles) (kbapi.ArticlePage, error) {
	f := ArticleFilter{Status: req.Status, SourceTicket: strings.TrimSpace(req.SourceTicket),
		SourceCall: strings.TrimSpace(req.SourceCall), Limit: req.Limit, Cursor: req.Cursor}
	switch f.Status {
	case "", kbapi.StatusDraft, kbapi.StatusPublished, kbapi.StatusArchived:
	default:
		return kbapi.ArticlePage{}, problem.InvalidArgument("status", "must be draft, published or archived")
	}
	if who := actor(ctx); !authz.Allowed(who.Role, authz.KBArticleReadDrafts) {
		if f.Status != "" && f.Status != kbapi.StatusPublished {
			return kbapi.ArticlePage{Items: []kbapi.ArticleSummary{}}, nil
		}
		f.Status = kbapi.StatusPublished
	}
	switch {
	case f.Limit == 0:
		f.Limit = 20
	case f.Limit < 0 || f.Limit > 100:
		return kbapi.ArticlePage{}, problem.InvalidArgument("limit", "must be between 1 and 100")
	}
	if id := strings.TrimSpace(req.CategoryID); id != "" {
		t, err := h.tree.Tree(ctx)
		if err != nil {
			return kbapi.ArticlePage{}, err
		}
		if f.CategoryIDs = t.Subtree(id); f.CategoryIDs == nil {
			return kbapi.ArticlePage{Items: []kbapi.ArticleSummary{}}, nil
		}
	}
	return h.list.List(ctx, f)
}
