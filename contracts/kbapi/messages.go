package kbapi

import "time"

// Endpoint names of the knowledge-base service (see subjects.Endpoint).
const (
	EndpointCreateCategory = "category.create"
	EndpointChangeCategory = "category.change"
	EndpointListCategories = "category.list"
	EndpointDraft          = "article.draft"
	EndpointEdit           = "article.edit"
	EndpointPublish        = "article.publish"
	EndpointArchive        = "article.archive"
	EndpointVote           = "article.vote"
	EndpointGet            = "article.get"
	EndpointList           = "article.list"
	EndpointVersions       = "article.versions"
	EndpointSearch         = "search"
	EndpointSuggest        = "suggest"
)

// Article statuses.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
	StatusArchived  = "archived"
)

// Kinds of suggestion items.
const (
	KindArticle  = "article"
	KindQuestion = "question"
)

// Limits of search input, shared by the gateway's OpenAPI document and the
// service.
const (
	MaxQueryRunes = 200
	MaxLimit      = 50
	DefaultLimit  = 10
)

// CreateCategory adds a category under ParentID (top-level when empty).
type CreateCategory struct {
	Name     string `json:"name"`
	ParentID string `json:"parent_id,omitempty"`
}

// ChangeCategory renames and/or moves a category. A nil field is left as
// it is; an empty ParentID moves the category to the top level.
type ChangeCategory struct {
	CategoryID      string  `json:"category_id"`
	ExpectedVersion uint64  `json:"expected_version,omitempty"`
	Name            *string `json:"name,omitempty"`
	ParentID        *string `json:"parent_id,omitempty"`
}

// ListCategories asks for the whole category tree.
type ListCategories struct{}

// Category is one category of the tree. Path holds the names from the top
// level down to this category.
type Category struct {
	ID        string    `json:"id"`
	Version   uint64    `json:"version"`
	Name      string    `json:"name"`
	ParentID  string    `json:"parent_id"`
	Path      []string  `json:"path"`
	Articles  int       `json:"published_articles"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Categories is the category tree, flat, parents before children.
type Categories struct {
	Items []Category `json:"items"`
}

// DraftArticle creates a draft article written by the caller.
type DraftArticle struct {
	Title      string   `json:"title"`
	Body       string   `json:"body"`
	CategoryID string   `json:"category_id,omitempty"`
	Tags       []string `json:"tags,omitempty"`
}

// ArticleTarget names the article a command applies to and, optionally, the
// version the client last saw (from If-Match); zero means "whatever is
// current".
type ArticleTarget struct {
	ArticleID       string `json:"article_id"`
	ExpectedVersion uint64 `json:"expected_version,omitempty"`
}

// EditArticle changes an article's content; nil fields stay as they are.
type EditArticle struct {
	ArticleTarget
	Title      *string   `json:"title,omitempty"`
	Body       *string   `json:"body,omitempty"`
	CategoryID *string   `json:"category_id,omitempty"`
	Tags       *[]string `json:"tags,omitempty"`
}

// PublishArticle publishes a draft or archived article.
type PublishArticle struct {
	ArticleTarget
}

// ArchiveArticle withdraws an article from readers.
type ArchiveArticle struct {
	ArticleTarget
	Reason string `json:"reason,omitempty"`
}

// VoteArticle records the caller's vote on a published article.
type VoteArticle struct {
	ArticleID string `json:"article_id"`
	Helpful   bool   `json:"helpful"`
}

// Feedback is an article's votes and views.
type Feedback struct {
	Helpful    int `json:"helpful"`
	NotHelpful int `json:"not_helpful"`
	Views      int `json:"views"`
}

// GetArticle asks for one article, read from its events (always current).
type GetArticle struct {
	ArticleID string `json:"article_id"`
}

// Article is the full view of one article.
type Article struct {
	ID             string         `json:"id"`
	Version        uint64         `json:"version"`
	Status         string         `json:"status"`
	Title          string         `json:"title"`
	Body           string         `json:"body"`
	CategoryID     string         `json:"category_id"`
	Tags           []string       `json:"tags"`
	Author         string         `json:"author"`
	Source         *ArticleSource `json:"source,omitempty"`
	ContentVersion int            `json:"content_version"`
	Feedback       Feedback       `json:"feedback"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
	PublishedAt    *time.Time     `json:"published_at,omitempty"`
}

// ListArticles asks for a page of articles from the catalog read model.
type ListArticles struct {
	Status       string `json:"status,omitempty"`
	CategoryID   string `json:"category_id,omitempty"`
	SourceTicket string `json:"source_ticket,omitempty"`
	SourceCall   string `json:"source_call,omitempty"`
	Limit        int    `json:"limit,omitempty"`
	Cursor       string `json:"cursor,omitempty"`
}

// ArticleSummary is one row of an article list.
type ArticleSummary struct {
	ID         string         `json:"id"`
	Version    uint64         `json:"version"`
	Status     string         `json:"status"`
	Title      string         `json:"title"`
	CategoryID string         `json:"category_id"`
	Tags       []string       `json:"tags"`
	Author     string         `json:"author"`
	Source     *ArticleSource `json:"source,omitempty"`
	Feedback   Feedback       `json:"feedback"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

// ArticlePage is a page of articles; NextCursor is empty on the last page.
type ArticlePage struct {
	Items      []ArticleSummary `json:"items"`
	NextCursor string           `json:"next_cursor"`
}

// GetVersions asks for every content version of an article.
type GetVersions struct {
	ArticleID string `json:"article_id"`
}

// Version is one content version of an article. Diff is a unified diff of
// the title, category, tags and body against the previous version (empty
// for version 1).
type Version struct {
	ContentVersion int       `json:"content_version"`
	Title          string    `json:"title"`
	Body           string    `json:"body"`
	CategoryID     string    `json:"category_id"`
	Tags           []string  `json:"tags"`
	Editor         string    `json:"editor"`
	CreatedAt      time.Time `json:"created_at"`
	Diff           string    `json:"diff"`
}

// Versions is an article's content history, oldest first.
type Versions struct {
	ArticleID string    `json:"article_id"`
	Versions  []Version `json:"versions"`
}

// Search asks for published articles matching Q.
type Search struct {
	Q        string `json:"q"`
	Category string `json:"category,omitempty"`
	Tag      string `json:"tag,omitempty"`
	Limit    int    `json:"limit,omitempty"`
	Cursor   string `json:"cursor,omitempty"`
}

// Suggest asks for articles and answered questions related to what a user
// is typing.
type Suggest struct {
	Q        string `json:"q"`
	Category string `json:"category,omitempty"`
	Limit    int    `json:"limit,omitempty"`
}

// Hit is one search or suggestion result. Snippet is HTML-escaped text with
// the matched words in <mark> elements.
type Hit struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind,omitempty"`
	Title      string    `json:"title"`
	Snippet    string    `json:"snippet"`
	CategoryID string    `json:"category_id"`
	Score      float64   `json:"score"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// FacetCount is the number of results in one category.
type FacetCount struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Facets groups result counts.
type Facets struct {
	Category []FacetCount `json:"category"`
}

// Results are search or suggestion results. Total is the number of matches;
// NextCursor is empty on the last page (suggestions have one page).
type Results struct {
	Items      []Hit  `json:"items"`
	Facets     Facets `json:"facets"`
	Total      int    `json:"total"`
	NextCursor string `json:"next_cursor,omitempty"`
}
