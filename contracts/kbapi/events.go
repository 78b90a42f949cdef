// Package kbapi is the knowledge-base service's published language: the
// payloads of its events, the requests its NATS endpoints accept, and the
// views they return.
package kbapi

import "time"

// Source is the CloudEvents source of knowledge-base events.
const Source = "/helpdesk/knowledge"

// Event types of the category, article and article_feedback aggregates.
const (
	EventCategoryCreated = "category.created"
	EventCategoryRenamed = "category.renamed"
	EventCategoryMoved   = "category.moved"

	EventArticleDrafted   = "article.drafted"
	EventArticleEdited    = "article.edited"
	EventArticlePublished = "article.published"
	EventArticleArchived  = "article.archived"

	EventFeedbackVoted  = "article_feedback.voted"
	EventFeedbackViewed = "article_feedback.viewed"
)

// CategoryCreated is the payload of category.created. ParentID is empty
// for a top-level category.
type CategoryCreated struct {
	Name     string `json:"name" jsonschema:"maxLength=100,minLength=1"`
	ParentID string `json:"parent_id,omitempty"`
}

// CategoryRenamed is the payload of category.renamed.
type CategoryRenamed struct {
	Name         string `json:"name" jsonschema:"maxLength=100,minLength=1"`
	PreviousName string `json:"previous_name"`
}

// CategoryMoved is the payload of category.moved. ParentID is empty when the
// category becomes top-level.
type CategoryMoved struct {
	ParentID         string `json:"parent_id,omitempty"`
	PreviousParentID string `json:"previous_parent_id,omitempty"`
}

// Source kinds: where a draft article came from.
const (
	SourceTicket = "ticket"
	SourceCall   = "call"
)

// ArticleSource links an article drafted from a ticket or a call to it.
type ArticleSource struct {
	Kind string `json:"kind" jsonschema:"enum=ticket,enum=call"`
	ID   string `json:"id"`
}

// Content is an article's editable content. Every version of an article is
// one full Content, so any two versions can be compared.
type Content struct {
	Title      string   `json:"title" jsonschema:"maxLength=200,minLength=1"`
	Body       string   `json:"body" jsonschema:"maxLength=100000"`
	CategoryID string   `json:"category_id,omitempty"`
	Tags       []string `json:"tags"`
}

// ArticleDrafted is the payload of article.drafted: a new article, status
// draft, at version 1 of its content.
type ArticleDrafted struct {
	Content
	Author string         `json:"author"`
	Source *ArticleSource `json:"source,omitempty"`
}

// ArticleEdited is the payload of article.edited: the whole new content.
type ArticleEdited struct {
	Content
	Editor string `json:"editor"`
	// ContentVersion numbers the article's content versions from 1.
	ContentVersion int `json:"content_version" jsonschema:"minimum=2"`
}

// ArticlePublished is the payload of article.published.
type ArticlePublished struct {
	Publisher string `json:"publisher"`
}

// ArticleArchived is the payload of article.archived.
type ArticleArchived struct {
	Reason string `json:"reason,omitempty" jsonschema:"maxLength=2000"`
}

// FeedbackVoted is the payload of article_feedback.voted: a user's vote,
// replacing the user's earlier vote on the article if any.
type FeedbackVoted struct {
	Voter   string `json:"voter"`
	Helpful bool   `json:"helpful"`
	// Changed is true when the voter had voted the other way before.
	Changed bool `json:"changed,omitempty"`
}

// FeedbackViewed is the payload of article_feedback.viewed: views counted
// since the previous such event, flushed periodically.
type FeedbackViewed struct {
	Views int       `json:"views" jsonschema:"minimum=1"`
	Until time.Time `json:"until"`
}

// EventType implements events.Payload.
func (CategoryCreated) EventType() string { return EventCategoryCreated }

// EventType implements events.Payload.
func (CategoryRenamed) EventType() string { return EventCategoryRenamed }

// EventType implements events.Payload.
func (CategoryMoved) EventType() string { return EventCategoryMoved }

// EventType implements events.Payload.
func (ArticleDrafted) EventType() string { return EventArticleDrafted }

// EventType implements events.Payload.
func (ArticleEdited) EventType() string { return EventArticleEdited }

// EventType implements events.Payload.
func (ArticlePublished) EventType() string { return EventArticlePublished }

// EventType implements events.Payload.
func (ArticleArchived) EventType() string { return EventArticleArchived }

// EventType implements events.Payload.
func (FeedbackVoted) EventType() string { return EventFeedbackVoted }

// EventType implements events.Payload.
func (FeedbackViewed) EventType() string { return EventFeedbackViewed }

// SchemaVersion implements events.Payload.
func (CategoryCreated) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (CategoryRenamed) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (CategoryMoved) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (ArticleDrafted) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (ArticleEdited) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (ArticlePublished) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (ArticleArchived) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (FeedbackVoted) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (FeedbackViewed) SchemaVersion() int { return 1 }
