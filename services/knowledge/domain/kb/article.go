package kb

import (
	"slices"
	"strings"
	"time"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/events"
	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/problem"
)

// Limits of article content, in characters.
const (
	MaxTitle = 200
	MaxBody  = 100000
	MaxTag   = 50
	MaxTags  = 20
)

// Article is a question and its answer in the problem library. Its content
// is versioned: every draft or edit records the whole content.
type Article struct {
	id             string
	version        uint64
	status         string
	content        kbapi.Content
	contentVersion int
	author         string
	source         *kbapi.ArticleSource
	createdAt      time.Time
	updatedAt      time.Time
	publishedAt    *time.Time
}

// Draft validates a new article written by a staff member (or drafted by
// the system from a source) and returns its article.drafted event.
// categoryExists tells whether content.CategoryID, if set, names a category.
func Draft(a Actor, c kbapi.Content, categoryExists bool, source *kbapi.ArticleSource) ([]events.Payload, error) {
	if !authz.Allowed(a.Role, authz.KBArticleDraft) && !a.IsSystem() {
		return nil, denied("only agents, supervisors and admins can write articles")
	}
	c, err := checkContent(c, categoryExists)
	if err != nil {
		return nil, err
	}
	return []events.Payload{kbapi.ArticleDrafted{Content: c, Author: a.ID, Source: source}}, nil
}

// checkContent trims and validates content and returns it normalised: tags
// trimmed, without duplicates, never nil.
func checkContent(c kbapi.Content, categoryExists bool) (kbapi.Content, error) {
	c.Title = strings.TrimSpace(c.Title)
	c.CategoryID = strings.TrimSpace(c.CategoryID)
	var bad []problem.FieldError
	bad = problem.CheckText(bad, "title", c.Title, MaxTitle, true, false)
	bad = problem.CheckText(bad, "body", c.Body, MaxBody, false, true)
	if c.CategoryID != "" && !categoryExists {
		bad = append(bad, problem.FieldError{Field: "category_id", Message: "names no category"})
	}
	tags := make([]string, 0, len(c.Tags))
	for _, t := range c.Tags {
		t = strings.TrimSpace(t)
		if tagBad := problem.CheckText(nil, "tags", t, MaxTag, true, false); len(tagBad) > 0 {
			bad = append(bad, tagBad...)
			break
		}
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	if len(tags) > MaxTags {
		bad = append(bad, problem.FieldError{Field: "tags", Message: "must have at most 20 tags"})
	}
	c.Tags = tags
	if len(bad) > 0 {
		return c, problem.Validation(bad...)
	}
	return c, nil
}

// Patch is a partial change of an article's content: nil fields stay.
type Patch struct {
	Title      *string
	Body       *string
	CategoryID *string
	Tags       *[]string
}

// Edit changes the article's content and records the whole new content as
// the next version. An edit that changes nothing records nothing. Archived
// articles cannot be edited: publish (restore) them first.
func (ar *Article) Edit(a Actor, p Patch, categoryExists bool) ([]events.Payload, error) {
	if !authz.Allowed(a.Role, authz.KBArticleEdit) {
		return nil, denied("only agents, supervisors and admins can edit articles")
	}
	if ar.status == kbapi.StatusArchived {
		return nil, ar.invalid("edit")
	}
	c := ar.content
	c.Tags = slices.Clone(c.Tags)
	if p.Title != nil {
		c.Title = *p.Title
	}
	if p.Body != nil {
		c.Body = *p.Body
	}
	if p.CategoryID != nil {
		c.CategoryID = *p.CategoryID
	} else {
		categoryExists = true // unchanged: it existed when it was set
	}
	if p.Tags != nil {
		c.Tags = *p.Tags
	}
	c, err := checkContent(c, categoryExists)
	if err != nil {
		return nil, err
	}
	if ar.status == kbapi.StatusPublished {
		if err := checkPublishable(c); err != nil {
			return nil, err
		}
	}
	if sameContent(c, ar.content) {
		return nil, nil
	}
	return ar.record(kbapi.ArticleEdited{Content: c, Editor: a.ID, ContentVersion: ar.contentVersion + 1}), nil
}

func sameContent(a, b kbapi.Content) bool {
	return a.Title == b.Title && a.Body == b.Body && a.CategoryID == b.CategoryID && slices.Equal(a.Tags, b.Tags)
}

// checkPublishable requires what readers need: a category and an answer.
func checkPublishable(c kbapi.Content) error {
	var bad []problem.FieldError
	if c.CategoryID == "" {
		bad = append(bad, problem.FieldError{Field: "category_id", Message: "is required to publish"})
	}
	if strings.TrimSpace(c.Body) == "" {
		bad = append(bad, problem.FieldError{Field: "body", Message: "is required to publish"})
	}
	if len(bad) > 0 {
		return problem.Validation(bad...)
	}
	return nil
}

// Publish makes a draft (or an archived article, again) visible to every
// reader. Nothing is published without a person: the system cannot.
func (ar *Article) Publish(a Actor) ([]events.Payload, error) {
	if !authz.Allowed(a.Role, authz.KBArticlePublish) {
		return nil, denied("only agents, supervisors and admins can publish articles")
	}
	if ar.status == kbapi.StatusPublished {
		return nil, ar.invalid("publish")
	}
	if err := checkPublishable(ar.content); err != nil {
		return nil, err
	}
	return ar.record(kbapi.ArticlePublished{Publisher: a.ID}), nil
}

// Archive withdraws a draft or published article from readers.
func (ar *Article) Archive(a Actor, reason string) ([]events.Payload, error) {
	if !authz.Allowed(a.Role, authz.KBArticleArchive) {
		return nil, denied("only agents, supervisors and admins can archive articles")
	}
	if bad := problem.CheckText(nil, "reason", reason, 2000, false, true); len(bad) > 0 {
		return nil, problem.Validation(bad...)
	}
	if ar.status == kbapi.StatusArchived {
		return nil, ar.invalid("archive")
	}
	return ar.record(kbapi.ArticleArchived{Reason: strings.TrimSpace(reason)}), nil
}

// ArticleFromEvents rebuilds an article from its events in order.
func ArticleFromEvents(evs []events.Envelope) (*Article, error) {
	ar := &Article{}
	for _, e := range evs {
		p, err := decodeArticleEvent(e)
		if err != nil {
			return nil, err
		}
		ar.apply(p, e.OccurredAt)
		ar.id, ar.version = e.AggregateID, e.AggregateVersion
	}
	return ar, nil
}

func decodeArticleEvent(e events.Envelope) (events.Payload, error) {
	switch e.Type {
	case kbapi.EventArticleDrafted:
		return decodeAs[kbapi.ArticleDrafted](e)
	case kbapi.EventArticleEdited:
		return decodeAs[kbapi.ArticleEdited](e)
	case kbapi.EventArticlePublished:
		return decodeAs[kbapi.ArticlePublished](e)
	case kbapi.EventArticleArchived:
		return decodeAs[kbapi.ArticleArchived](e)
	}
	return nil, unknown(e)
}

func (ar *Article) apply(p events.Payload, at time.Time) {
	ar.updatedAt = at
	switch e := p.(type) {
	case kbapi.ArticleDrafted:
		ar.status, ar.content, ar.contentVersion = kbapi.StatusDraft, e.Content, 1
		ar.author, ar.source, ar.createdAt = e.Author, e.Source, at
	case kbapi.ArticleEdited:
		ar.content, ar.contentVersion = e.Content, e.ContentVersion
	case kbapi.ArticlePublished:
		ar.status = kbapi.StatusPublished
		if ar.publishedAt == nil {
			ar.publishedAt = &at
		}
	case kbapi.ArticleArchived:
		ar.status = kbapi.StatusArchived
	}
}

func (ar *Article) record(p events.Payload) []events.Payload {
	ar.apply(p, ar.updatedAt)
	return []events.Payload{p}
}

func (ar *Article) invalid(what string) error {
	return problem.New(problem.CodeConflict, "cannot %s an article that is %s", what, ar.status)
}

// Version is the stream sequence of the article's last event (its ETag).
func (ar *Article) Version() uint64 { return ar.version }

// ID is the article's id.
func (ar *Article) ID() string { return ar.id }

// Status is draft, published or archived.
func (ar *Article) Status() string { return ar.status }

// CanRead tells whether a reader may see the article: everyone sees
// published articles, only staff see drafts and archived ones.
func (ar *Article) CanRead(a Actor) bool {
	return ar.status == kbapi.StatusPublished || authz.Allowed(a.Role, authz.KBArticleReadDrafts) || a.IsSystem()
}

// View is the article as clients see it; feedback comes from the read model.
func (ar *Article) View() kbapi.Article {
	return kbapi.Article{
		ID: ar.id, Version: ar.version, Status: ar.status,
		Title: ar.content.Title, Body: ar.content.Body, CategoryID: ar.content.CategoryID,
		Tags: slices.Clone(ar.content.Tags), Author: ar.author, Source: ar.source,
		ContentVersion: ar.contentVersion, CreatedAt: ar.createdAt, UpdatedAt: ar.updatedAt,
		PublishedAt: ar.publishedAt,
	}
}
