package adapters

import (
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
func ArticleDocs(env events.Envelope, current func(string) (*SearchDoc, error)) (string, *SearchDoc, error) {
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

// QuestionDocs maps ticket events to question documents: a ticket's title
// and, once resolved, its resolution, both scrubbed of personal data. A
// reopened ticket is no longer an answered question. The description is
// left out: it is where requesters write about themselves.
func QuestionDocs(env events.Envelope, current func(string) (*SearchDoc, error)) (string, *SearchDoc, error) {
	if env.AggregateType != subjects.AggregateTicket {
		return "", nil, nil
	}
	id := env.AggregateID
	if env.Type == ticketapi.EventOpened {
		var p ticketapi.Opened
		if err := env.Decode(&p); err != nil {
			return "", nil, err
		}
		return id, &SearchDoc{
			Kind: kbapi.KindQuestion, Title: kb.Scrub(p.Title), CategoryName: p.Category,
			Tags: []string{}, Status: QuestionOpen, UpdatedAt: env.OccurredAt,
		}, nil
	}
	var status, answer string
	switch env.Type {
	case ticketapi.EventResolved:
		var p ticketapi.Resolved
		if err := env.Decode(&p); err != nil {
			return "", nil, err
		}
		status, answer = QuestionAnswered, kb.Scrub(p.Resolution)
	case ticketapi.EventReopened:
		status = QuestionOpen
	default:
		return "", nil, nil
	}
	doc, err := current(id)
	if err != nil || doc == nil {
		return "", nil, err
	}
	doc.Status, doc.UpdatedAt = status, env.OccurredAt
	if status == QuestionAnswered {
		doc.Body = answer
	}
	return id, doc, nil
}
