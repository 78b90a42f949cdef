package command

import (
	"context"

	"helpdesk/contracts/events"
	"helpdesk/contracts/kbapi"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/rpc"
	"helpdesk/services/knowledge/domain/kb"
)

// DraftFromSource asks for a draft article from a resolved ticket or an
// ended call. It is sent by the service's own reactions, never by users.
type DraftFromSource struct {
	Source   kbapi.ArticleSource
	Question string
	Details  string
	Answer   string
	// Category is the source's category name; the draft goes into the
	// category of that name when exactly one has it.
	Category string
	// Names are the asking person's names, kept out of the draft.
	Names []string
}

// CategoryByName finds the one category with a name.
type CategoryByName interface {
	CategoryIDByName(ctx context.Context, name string) (string, error)
}

// DraftFromSourceHandler drafts articles from sources.
type DraftFromSourceHandler struct {
	d    Deps
	cats CategoryByName
}

// NewDraftFromSourceHandler returns the handler.
func NewDraftFromSourceHandler(d Deps, cats CategoryByName) DraftFromSourceHandler {
	d.mustBeComplete("NewDraftFromSourceHandler")
	if cats == nil {
		panic("NewDraftFromSourceHandler: nil category lookup")
	}
	return DraftFromSourceHandler{d: d, cats: cats}
}

// Handle drafts the article and returns its id. There is one draft per
// source: its id derives from the source, so a second request (a
// redelivered event, a ticket resolved again after reopening) returns the
// first draft and changes nothing.
func (h DraftFromSourceHandler) Handle(ctx context.Context, cmd DraftFromSource) (string, error) {
	system := kb.SystemActor("drafts")
	ctx = rpc.WithCaller(ctx, rpc.Caller{
		ID: system.ID, Role: system.Role, CorrelationID: rpc.CallerFrom(ctx).CorrelationID,
		IdempotencyKey: "kb-draft:" + cmd.Source.Kind + ":" + cmd.Source.ID,
	})
	catID, err := h.cats.CategoryIDByName(ctx, cmd.Category)
	if err != nil {
		return "", err
	}
	id := aggregate.IDFor(ctx)
	_, err = h.d.Articles.Create(ctx, id, func() ([]events.Payload, error) {
		return kb.DraftFromSource(system, kb.SourceText{
			Source: cmd.Source, Question: cmd.Question, Details: cmd.Details, Answer: cmd.Answer,
			CategoryID: catID, Names: cmd.Names,
		})
	})
	if isConflict(err) {
		return id, nil // drafted before under another key: still one draft
	}
	return id, err
}
