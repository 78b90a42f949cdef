// Package adapters connects the knowledge-base service to infrastructure:
// the SQL catalog (categories, article lists, feedback counts), the bleve
// search indexes, the ticket reaction and the identity service.
package adapters

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/sqlstore"
	"helpdesk/services/knowledge/app/query"
)

// Catalog is the SQL read model of the knowledge base: the category tree,
// article summaries and feedback counts. It is a projection of the
// knowledge stream (it implements projection.Handler) and the query side of
// lists and of the category tree. It works on SQLite and PostgreSQL.
type Catalog struct {
	db *sqlstore.DB

	// tree is the category tree, counts the published articles per
	// category: every search, suggestion and category list reads them.
	tree   readCache[query.Tree]
	counts readCache[map[string]int]
}

// cacheTTL bounds how long a cached read is served: an event applied, but
// not yet committed, when the read was made leaves it stale.
const cacheTTL = time.Second

// readCache keeps a value read from the read model until an event that
// changes it is applied (changed), and for at most cacheTTL. One caller
// reloads it while the others wait.
type readCache[T any] struct {
	mu       sync.Mutex
	value    T
	loadedAt time.Time
	changes  uint64 // changes applied; a value loaded at fewer is stale
	of       uint64
}

// changed marks the cached value stale.
func (c *readCache[T]) changed() {
	c.mu.Lock()
	c.changes++
	c.mu.Unlock()
}

// get returns the cached value, or load's, which it then keeps.
func (c *readCache[T]) get(load func() (T, error)) (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.of == c.changes && time.Since(c.loadedAt) < cacheTTL {
		return c.value, nil
	}
	changes := c.changes
	v, err := load()
	if err != nil {
		var zero T
		return zero, err
	}
	c.value, c.of, c.loadedAt = v, changes, time.Now()
	return v, nil
}

// NewCatalog returns the read model stored in db.
func NewCatalog(db *sqlstore.DB) *Catalog { return &Catalog{db: db} }

// Name is the projection's durable name; it never changes.
func (*Catalog) Name() string { return "kb_catalog" }

// Stream is the stream the projection reads.
func (*Catalog) Stream() string { return subjects.Stream(subjects.ServiceKnowledge) }

// Migrations create the read model's tables.
func (*Catalog) Migrations() []string {
	return []string{`
CREATE TABLE kb_categories (
	id         TEXT PRIMARY KEY,
	version    BIGINT NOT NULL,
	name       TEXT NOT NULL,
	parent_id  TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE TABLE kb_articles (
	id          TEXT PRIMARY KEY,
	version     BIGINT NOT NULL,
	status      TEXT NOT NULL,
	title       TEXT NOT NULL,
	category_id TEXT NOT NULL DEFAULT '',
	tags        TEXT NOT NULL DEFAULT '[]',
	author      TEXT NOT NULL,
	source_kind TEXT NOT NULL DEFAULT '',
	source_id   TEXT NOT NULL DEFAULT '',
	helpful     BIGINT NOT NULL DEFAULT 0,
	not_helpful BIGINT NOT NULL DEFAULT 0,
	views       BIGINT NOT NULL DEFAULT 0,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);
CREATE INDEX kb_articles_updated ON kb_articles (updated_at DESC, id DESC);
CREATE INDEX kb_articles_status ON kb_articles (status, updated_at DESC);
CREATE INDEX kb_articles_category ON kb_articles (category_id, updated_at DESC);
CREATE INDEX kb_articles_source ON kb_articles (source_id);
`, `
CREATE INDEX kb_articles_status_category ON kb_articles (status, category_id);
`}
}

// Reset empties the read model before a rebuild.
func (c *Catalog) Reset(ctx context.Context, tx *sql.Tx) error {
	c.tree.changed()
	c.counts.changed()
	for _, table := range []string{"kb_categories", "kb_articles"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table); err != nil {
			return fmt.Errorf("reset %s: %w", table, err)
		}
	}
	return nil
}

// Apply folds one knowledge event into the read model.
func (c *Catalog) Apply(ctx context.Context, tx *sql.Tx, env events.Envelope) error {
	id, at := env.AggregateID, sqlstore.Micros(env.OccurredAt)
	exec := func(q string, args ...any) error {
		if _, err := tx.ExecContext(ctx, c.db.Rebind(q), args...); err != nil {
			return fmt.Errorf("apply %s to kb_catalog: %w", env.Type, err)
		}
		return nil
	}
	touch := func(set string, args ...any) error {
		args = append([]any{env.AggregateVersion, at}, args...)
		return exec(`UPDATE kb_articles SET version = ?, updated_at = ?, `+set+` WHERE id = ?`, append(args, id)...)
	}
	switch env.Type {
	case kbapi.EventCategoryCreated:
		var p kbapi.CategoryCreated
		if err := env.Decode(&p); err != nil {
			return err
		}
		c.tree.changed()
		return exec(`INSERT INTO kb_categories (id, version, name, parent_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, id, env.AggregateVersion, p.Name, p.ParentID, at, at)
	case kbapi.EventCategoryRenamed:
		var p kbapi.CategoryRenamed
		if err := env.Decode(&p); err != nil {
			return err
		}
		c.tree.changed()
		return exec(`UPDATE kb_categories SET version = ?, updated_at = ?, name = ? WHERE id = ?`, env.AggregateVersion, at, p.Name, id)
	case kbapi.EventCategoryMoved:
		var p kbapi.CategoryMoved
		if err := env.Decode(&p); err != nil {
			return err
		}
		c.tree.changed()
		return exec(`UPDATE kb_categories SET version = ?, updated_at = ?, parent_id = ? WHERE id = ?`, env.AggregateVersion, at, p.ParentID, id)
	case kbapi.EventArticleDrafted:
		var p kbapi.ArticleDrafted
		if err := env.Decode(&p); err != nil {
			return err
		}
		tags, _ := json.Marshal(p.Tags)
		var kind, src string
		if p.Source != nil {
			kind, src = p.Source.Kind, p.Source.ID
		}
		return exec(`INSERT INTO kb_articles (id, version, status, title, category_id, tags, author, source_kind, source_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			id, env.AggregateVersion, kbapi.StatusDraft, p.Title, p.CategoryID, string(tags), p.Author, kind, src, at, at)
	case kbapi.EventArticleEdited:
		var p kbapi.ArticleEdited
		if err := env.Decode(&p); err != nil {
			return err
		}
		tags, _ := json.Marshal(p.Tags)
		c.counts.changed() // the category may change
		return touch(`title = ?, category_id = ?, tags = ?`, p.Title, p.CategoryID, string(tags))
	case kbapi.EventArticlePublished:
		c.counts.changed()
		return touch(`status = ?`, kbapi.StatusPublished)
	case kbapi.EventArticleArchived:
		c.counts.changed()
		return touch(`status = ?`, kbapi.StatusArchived)
	case kbapi.EventFeedbackVoted:
		var p kbapi.FeedbackVoted
		if err := env.Decode(&p); err != nil {
			return err
		}
		set := `helpful = helpful + 1`
		switch {
		case p.Helpful && p.Changed:
			set = `helpful = helpful + 1, not_helpful = not_helpful - 1`
		case !p.Helpful && p.Changed:
			set = `helpful = helpful - 1, not_helpful = not_helpful + 1`
		case !p.Helpful:
			set = `not_helpful = not_helpful + 1`
		}
		return exec(`UPDATE kb_articles SET `+set+` WHERE id = ?`, id)
	case kbapi.EventFeedbackViewed:
		var p kbapi.FeedbackViewed
		if err := env.Decode(&p); err != nil {
			return err
		}
		return exec(`UPDATE kb_articles SET views = views + ? WHERE id = ?`, p.Views, id)
	}
	return nil
}

// Tree implements query.CategoryTree, cached (see readCache): every search
// and suggestion asks for the tree.
func (c *Catalog) Tree(ctx context.Context) (query.Tree, error) {
	return c.tree.get(func() (query.Tree, error) {
		cats, err := c.categories(ctx)
		if err != nil {
			return query.Tree{}, err
		}
		return query.NewTree(cats), nil
	})
}

func (c *Catalog) categories(ctx context.Context) ([]kbapi.Category, error) {
	rows, err := c.db.Read.QueryContext(ctx, `SELECT id, version, name, parent_id, created_at, updated_at FROM kb_categories`)
	if err != nil {
		return nil, fmt.Errorf("categories: %w", err)
	}
	defer rows.Close()
	var cats []kbapi.Category
	for rows.Next() {
		var k kbapi.Category
		var created, updated int64
		if err := rows.Scan(&k.ID, &k.Version, &k.Name, &k.ParentID, &created, &updated); err != nil {
			return nil, fmt.Errorf("categories: %w", err)
		}
		k.CreatedAt, k.UpdatedAt = sqlstore.FromMicros(created), sqlstore.FromMicros(updated)
		cats = append(cats, k)
	}
	return cats, rows.Err()
}

// PublishedCounts implements query.CategoryCounts: published articles per
// category id, cached (see readCache), as counting them reads every
// published article. Callers must not change the map.
func (c *Catalog) PublishedCounts(ctx context.Context) (map[string]int, error) {
	return c.counts.get(func() (map[string]int, error) { return c.publishedCounts(ctx) })
}

func (c *Catalog) publishedCounts(ctx context.Context) (map[string]int, error) {
	rows, err := c.db.Read.QueryContext(ctx, `SELECT category_id, COUNT(*) FROM kb_articles WHERE status = 'published' GROUP BY category_id`)
	if err != nil {
		return nil, fmt.Errorf("published counts: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("published counts: %w", err)
		}
		counts[id] = n
	}
	return counts, rows.Err()
}

// Feedback implements query.FeedbackCounts.
func (c *Catalog) Feedback(ctx context.Context, articleID string) (kbapi.Feedback, error) {
	var f kbapi.Feedback
	err := c.db.Read.QueryRowContext(ctx, c.db.Rebind(`SELECT helpful, not_helpful, views FROM kb_articles WHERE id = ?`), articleID).
		Scan(&f.Helpful, &f.NotHelpful, &f.Views)
	if err != nil && err != sql.ErrNoRows {
		return f, fmt.Errorf("feedback of %s: %w", articleID, err)
	}
	return f, nil
}

const articleColumns = `id, version, status, title, category_id, tags, author, source_kind, source_id,
	helpful, not_helpful, views, created_at, updated_at`

// List implements query.ArticleList: most recently changed first, keyset
// pagination. CategoryIDs, when set, is the subtree to list.
func (c *Catalog) List(ctx context.Context, f query.ArticleFilter) (kbapi.ArticlePage, error) {
	var where []string
	var args []any
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.SourceTicket != "" {
		where, args = append(where, "source_kind = ? AND source_id = ?"), append(args, kbapi.SourceTicket, f.SourceTicket)
	}
	if f.SourceCall != "" {
		where, args = append(where, "source_kind = ? AND source_id = ?"), append(args, kbapi.SourceCall, f.SourceCall)
	}
	if len(f.CategoryIDs) > 0 {
		where = append(where, "category_id IN (?"+strings.Repeat(", ?", len(f.CategoryIDs)-1)+")")
		for _, id := range f.CategoryIDs {
			args = append(args, id)
		}
	}
	q, args, err := sqlstore.Keyset{Column: "updated_at"}.Query(articleColumns, "kb_articles", where, args, f.Cursor, f.Limit)
	if err != nil {
		return kbapi.ArticlePage{}, problem.InvalidArgument("cursor", "is not a cursor this API returned")
	}
	rows, err := c.db.Read.QueryContext(ctx, c.db.Rebind(q), args...)
	if err != nil {
		return kbapi.ArticlePage{}, fmt.Errorf("list articles: %w", err)
	}
	var page kbapi.ArticlePage
	page.Items, page.NextCursor, err = sqlstore.ReadPage(rows, f.Limit, scanArticleSummary, func(s kbapi.ArticleSummary) string { return s.ID })
	if err != nil {
		return kbapi.ArticlePage{}, fmt.Errorf("list articles: %w", err)
	}
	return page, nil
}

// scanArticleSummary reads a row of articleColumns, and its update time in
// microseconds (the list's sort key).
func scanArticleSummary(rows *sql.Rows) (kbapi.ArticleSummary, int64, error) {
	var s kbapi.ArticleSummary
	var tags, kind, src string
	var created, updated int64
	if err := rows.Scan(&s.ID, &s.Version, &s.Status, &s.Title, &s.CategoryID, &tags, &s.Author, &kind, &src,
		&s.Feedback.Helpful, &s.Feedback.NotHelpful, &s.Feedback.Views, &created, &updated); err != nil {
		return s, 0, err
	}
	if err := json.Unmarshal([]byte(tags), &s.Tags); err != nil {
		return s, 0, fmt.Errorf("tags of %s: %w", s.ID, err)
	}
	if kind != "" {
		s.Source = &kbapi.ArticleSource{Kind: kind, ID: src}
	}
	s.CreatedAt, s.UpdatedAt = sqlstore.FromMicros(created), sqlstore.FromMicros(updated)
	return s, updated, nil
}

// CategoryIDByName implements command.CategoryByName: the id of the one
// category with the name, "" when none or several have it.
func (c *Catalog) CategoryIDByName(ctx context.Context, name string) (string, error) {
	if strings.TrimSpace(name) == "" {
		return "", nil
	}
	t, err := c.Tree(ctx)
	if err != nil {
		return "", err
	}
	return t.IDByName(name), nil
}
