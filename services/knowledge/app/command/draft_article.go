package command

import (
	"context"

	"helpdesk/contracts/events"
	"helpdesk/contracts/kbapi"
	"helpdesk/infra/aggregate"
	"helpdesk/services/knowledge/domain/kb"
)

// DraftArticleHandler creates draft articles written by staff.
type DraftArticleHandler struct{ d Deps }

// NewDraftArticleHandler returns the handler.
func NewDraftArticleHandler(d Deps) DraftArticleHandler {
	d.mustBeComplete("NewDraftArticleHandler")
	return DraftArticleHandler{d: d}
}

// Handle drafts the article; with an Idempotency-Key a retry returns the
// same article.
func (h DraftArticleHandler) Handle(ctx context.Context, cmd kbapi.DraftArticle) (kbapi.Article, error) {
	who := actorOf(ctx)
	exists, err := h.d.categoryExists(ctx, cmd.CategoryID)
	if err != nil {
		return kbapi.Article{}, err
	}
	a, err := h.d.Articles.Create(ctx, aggregate.IDFor(ctx), func() ([]events.Payload, error) {
		return kb.Draft(who, kbapi.Content(cmd), exists, nil)
	})
	if err != nil {
		return kbapi.Article{}, err
	}
	return articleView(a), nil
}
