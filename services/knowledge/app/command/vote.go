package command

import (
	"context"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/problem"
	"helpdesk/infra/rpc"
	"helpdesk/services/knowledge/domain/kb"
)

// VoteHandler records readers' votes.
type VoteHandler struct{ d Deps }

// NewVoteHandler returns the handler.
func NewVoteHandler(d Deps) VoteHandler {
	d.mustBeComplete("NewVoteHandler")
	return VoteHandler{d: d}
}

// Handle records the caller's vote and returns the article's counts.
func (h VoteHandler) Handle(ctx context.Context, cmd kbapi.VoteArticle) (kbapi.Feedback, error) {
	who := actorOf(ctx)
	a, _, err := h.d.Articles.Load(ctx, cmd.ArticleID)
	if err != nil {
		return kbapi.Feedback{}, err
	}
	if !a.CanRead(who) {
		return kbapi.Feedback{}, problem.NotFound("article", cmd.ArticleID)
	}
	published := a.Status() == kbapi.StatusPublished
	f, err := h.d.changeFeedback(ctx, a.ID(), func(f *kb.Feedback) ([]events.Payload, error) {
		return f.Vote(who, cmd.Helpful, published)
	})
	if err != nil {
		return kbapi.Feedback{}, err
	}
	return f.Counts(), nil
}

// changeFeedback updates an article's feedback, creating it on the first
// vote or view; two first writers race safely, the slower retries.
func (d Deps) changeFeedback(ctx context.Context, articleID string, fn func(*kb.Feedback) ([]events.Payload, error)) (*kb.Feedback, error) {
	for attempt := 0; ; attempt++ {
		f, err := d.Feedback.Update(ctx, articleID, 0, fn)
		if !isNotFound(err) {
			return f, err
		}
		f, err = d.Feedback.Create(ctx, articleID, func() ([]events.Payload, error) {
			empty, _ := kb.FeedbackFromEvents(nil)
			return fn(empty)
		})
		if !isConflict(err) || attempt > 2 {
			return f, err
		}
	}
}

// RecordViewsHandler stores counted views.
type RecordViewsHandler struct{ d Deps }

// NewRecordViewsHandler returns the handler.
func NewRecordViewsHandler(d Deps) RecordViewsHandler {
	d.mustBeComplete("NewRecordViewsHandler")
	return RecordViewsHandler{d: d}
}

// Handle records views of one article counted up to until, as the
// system: the views are many readers'.
func (h RecordViewsHandler) Handle(ctx context.Context, articleID string, views int, until time.Time) error {
	system := kb.SystemActor("views")
	ctx = rpc.WithCaller(ctx, rpc.Caller{ID: system.ID, Role: system.Role})
	_, err := h.d.changeFeedback(ctx, articleID, func(f *kb.Feedback) ([]events.Payload, error) {
		return f.CountViews(views, until), nil
	})
	return err
}
