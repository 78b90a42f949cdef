package adapters

import (
	"context"
	"fmt"

	"helpdesk/contracts/events"
	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/subjects"
	"helpdesk/contracts/ticketapi"
	"helpdesk/services/knowledge/domain/kb"
)

// Question statuses in the questions index.
const (
	QuestionOpen     = "open"
	QuestionAnswered = "answered"
)

// ArticleDocs maps knowledge events to article documents: every article is
// indexed with its status, and queries ask for published ones.
func ArticleDocs(_ context.Context, env events.Envelope, current func(string) (*SearchDoc, error)) (string, *SearchDoc, error) {
	if env.AggregateType != subjects.AggregateArticle {
		return "", nil, nil
	}
	id := env.AggregateID
	if env.Type == kbapi.EventArticleDrafted {
		var p kbapi.ArticleDrafted
		if err := env.Decode(&p); err != nil {
			return "", nil, err
		}
		return id, SearchDoc{Kind: kbapi.KindArticle, Status: kbapi.StatusDraft, UpdatedAt: env.OccurredAt}.withContent(p.Content), nil
	}
	doc, err := current(id)
	if err != nil {
		return "", nil, err
	}
	if doc == nil {
		return "", nil, fmt.Errorf("article %s: %s before article.drafted", id, env.Type)
	}
	doc.UpdatedAt = env.OccurredAt
	switch env.Type {
	case kbapi.EventArticleEdited:
		var p kbapi.ArticleEdited
		if err := env.Decode(&p); err != nil {
			return "", nil, err
		}
		return id, doc.withContent(p.Content), nil
	case kbapi.EventArticlePublished:
		doc.Status = kbapi.StatusPublished
	case kbapi.EventArticleArchived:
		doc.Status = kbapi.StatusArchived
	default:
		return "", nil, nil
	}
	return id, doc, nil
}

func (d SearchDoc) withContent(c kbapi.Content) *SearchDoc {
	d.Title, d.Body, d.CategoryID, d.Tags = c.Title, c.Body, c.CategoryID, c.Tags
	return &d
}

// QuestionDocs maps ticket events to question documents: when a ticket is
// resolved, its title (from its history) and its resolution, both scrubbed
// of personal data; a reopened ticket is no longer an answered question.
// Opened tickets cost the index nothing, since only answered questions are
// ever found. The description is left out: it is where requesters write
// about themselves.
type QuestionDocs struct {
	Questions *TicketQuestions
}

// Map implements Mapper.
func (q QuestionDocs) Map(ctx context.Context, env events.Envelope, current func(string) (*SearchDoc, error)) (string, *SearchDoc, error) {
	if env.AggregateType != subjects.AggregateTicket {
		return "", nil, nil
	}
	id := env.AggregateID
	switch env.Type {
	case ticketapi.EventResolved:
		var p ticketapi.Resolved
		if err := env.Decode(&p); err != nil {
			return "", nil, err
		}
		o, ok, err := q.Questions.Question(ctx, id)
		if err != nil || !ok {
			return "", nil, err
		}
		return id, &SearchDoc{
			Kind: kbapi.KindQuestion, Title: kb.Scrub(o.Title), Body: kb.Scrub(p.Resolution), CategoryName: o.Category,
			Tags: []string{}, Status: QuestionAnswered, UpdatedAt: env.OccurredAt,
		}, nil
	case ticketapi.EventReopened:
		doc, err := current(id)
		if err != nil || doc == nil {
			return "", nil, err
		}
		doc.Status, doc.UpdatedAt = QuestionOpen, env.OccurredAt
		return id, doc, nil
	}
	return "", nil, nil
}
