// Package command holds the knowledge base's command handlers, one use
// case a file.
package command

import (
	"context"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/problem"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/rpc"
	"helpdesk/services/knowledge/domain/kb"
)

// Deps are what the command handlers share: a repository per aggregate
// and the clock.
type Deps struct {
	Categories *aggregate.Repository[*kb.Category]
	Articles   *aggregate.Repository[*kb.Article]
	Feedback   *aggregate.Repository[*kb.Feedback]
	Clock      func() time.Time
}

func (d Deps) mustBeComplete(name string) {
	if d.Categories == nil || d.Articles == nil || d.Feedback == nil || d.Clock == nil {
		panic(name + ": nil dependency")
	}
}

// actorOf returns the domain actor of the request in ctx.
func actorOf(ctx context.Context) kb.Actor {
	c := rpc.CallerFrom(ctx)
	return kb.Actor{ID: c.ID, Role: c.Role}
}

// categoryExists tells whether id names a category, from its events.
func (d Deps) categoryExists(ctx context.Context, id string) (bool, error) {
	if id == "" {
		return false, nil
	}
	_, _, err := d.Categories.Load(ctx, id)
	if p := problem.As(err); p != nil && p.Code == problem.CodeNotFound {
		return false, nil
	}
	return err == nil, err
}

// articleView is the article as the caller may see it after a change.
func articleView(a *kb.Article) kbapi.Article {
	v := a.View()
	if v.Tags == nil {
		v.Tags = []string{}
	}
	return v
}

// ArticleChange runs one command that changes an existing article: it
// loads the article, checks the caller may see it, runs the domain method
// and stores the events, honouring If-Match and idempotency.
type ArticleChange[C any] struct {
	d      Deps
	target func(C) kbapi.ArticleTarget
	run    func(ctx context.Context, a *kb.Article, who kb.Actor, cmd C) ([]events.Payload, error)
}

// Handle runs the command and returns the article.
func (h ArticleChange[C]) Handle(ctx context.Context, cmd C) (kbapi.Article, error) {
	who := actorOf(ctx)
	t := h.target(cmd)
	a, err := h.d.Articles.Update(ctx, t.ArticleID, t.ExpectedVersion, func(a *kb.Article) ([]events.Payload, error) {
		if !a.CanRead(who) {
			return nil, problem.NotFound("article", t.ArticleID)
		}
		return h.run(ctx, a, who, cmd)
	})
	if err != nil {
		return kbapi.Article{}, err
	}
	return articleView(a), nil
}

// NewEditArticleHandler changes an article's content.
func NewEditArticleHandler(d Deps) ArticleChange[kbapi.EditArticle] {
	d.mustBeComplete("NewEditArticleHandler")
	return ArticleChange[kbapi.EditArticle]{d: d,
		target: func(c kbapi.EditArticle) kbapi.ArticleTarget { return c.ArticleTarget },
		run: func(ctx context.Context, a *kb.Article, who kb.Actor, c kbapi.EditArticle) ([]events.Payload, error) {
			exists := false
			if c.CategoryID != nil {
				var err error
				if exists, err = d.categoryExists(ctx, *c.CategoryID); err != nil {
					return nil, err
				}
			}
			return a.Edit(who, kb.Patch{Title: c.Title, Body: c.Body, CategoryID: c.CategoryID, Tags: c.Tags}, exists)
		}}
}

// NewPublishArticleHandler publishes an article.
func NewPublishArticleHandler(d Deps) ArticleChange[kbapi.PublishArticle] {
	d.mustBeComplete("NewPublishArticleHandler")
	return ArticleChange[kbapi.PublishArticle]{d: d,
		target: func(c kbapi.PublishArticle) kbapi.ArticleTarget { return c.ArticleTarget },
		run: func(_ context.Context, a *kb.Article, who kb.Actor, _ kbapi.PublishArticle) ([]events.Payload, error) {
			return a.Publish(who)
		}}
}

// NewArchiveArticleHandler archives an article.
func NewArchiveArticleHandler(d Deps) ArticleChange[kbapi.ArchiveArticle] {
	d.mustBeComplete("NewArchiveArticleHandler")
	return ArticleChange[kbapi.ArchiveArticle]{d: d,
		target: func(c kbapi.ArchiveArticle) kbapi.ArticleTarget { return c.ArticleTarget },
		run: func(_ context.Context, a *kb.Article, who kb.Actor, c kbapi.ArchiveArticle) ([]events.Payload, error) {
			return a.Archive(who, c.Reason)
		}}
}

// isNotFound tells whether err is a not_found problem.
func isNotFound(err error) bool {
	p := problem.As(err)
	return p != nil && p.Code == problem.CodeNotFound
}

// isConflict tells whether err is a conflict problem.
func isConflict(err error) bool {
	p := problem.As(err)
	return p != nil && p.Code == problem.CodeConflict
}
