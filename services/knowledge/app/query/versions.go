package query

import (
	"context"
	"strconv"
	"strings"

	"github.com/pmezard/go-difflib/difflib"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/problem"
)

// VersionsHandler lists an article's content versions.
type VersionsHandler struct{ store ArticleStore }

// NewVersionsHandler returns a handler reading from store.
func NewVersionsHandler(store ArticleStore) VersionsHandler {
	if store == nil {
		panic("query: nil article store")
	}
	return VersionsHandler{store: store}
}

// Handle returns every content version, oldest first, each with a unified
// diff of title and body against the one before. Staff only: readers see
// the current published text.
func (h VersionsHandler) Handle(ctx context.Context, req kbapi.GetVersions) (kbapi.Versions, error) {
	a, evs, err := h.store.Load(ctx, req.ArticleID)
	if err != nil {
		return kbapi.Versions{}, err
	}
	if who := actor(ctx); !authz.Allowed(who.Role, authz.KBArticleVersions) {
		if !a.CanRead(who) {
			return kbapi.Versions{}, problem.NotFound("article", req.ArticleID)
		}
		return kbapi.Versions{}, problem.New(problem.CodePermissionDenied, "only agents, supervisors and admins can see an article's versions")
	}
	out := kbapi.Versions{ArticleID: a.ID(), Versions: []kbapi.Version{}}
	for _, e := range evs {
		var v kbapi.Version
		switch e.Type {
		case kbapi.EventArticleDrafted:
			var p kbapi.ArticleDrafted
			if err := e.Decode(&p); err != nil {
				return kbapi.Versions{}, err
			}
			v = kbapi.Version{ContentVersion: 1, Title: p.Title, Body: p.Body, CategoryID: p.CategoryID, Tags: p.Tags, Editor: p.Author}
		case kbapi.EventArticleEdited:
			var p kbapi.ArticleEdited
			if err := e.Decode(&p); err != nil {
				return kbapi.Versions{}, err
			}
			v = kbapi.Version{ContentVersion: p.ContentVersion, Title: p.Title, Body: p.Body, CategoryID: p.CategoryID, Tags: p.Tags, Editor: p.Editor}
		default:
			continue
		}
		v.CreatedAt = e.OccurredAt
		if n := len(out.Versions); n > 0 {
			v.Diff = diff(out.Versions[n-1], v)
		}
		out.Versions = append(out.Versions, v)
	}
	return out, nil
}

// diff is a unified diff of two versions: title, category, tags and body.
func diff(a, b kbapi.Version) string {
	text := func(v kbapi.Version) []string {
		return difflib.SplitLines("# " + v.Title + "\ncategory: " + v.CategoryID + "\ntags: " + strings.Join(v.Tags, ", ") +
			"\n\n" + strings.TrimRight(v.Body, "\n") + "\n")
	}
	d, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: text(a), B: text(b), Context: 3,
		FromFile: "v" + itoa(a.ContentVersion), ToFile: "v" + itoa(b.ContentVersion),
	})
	if err != nil {
		return ""
	}
	return d
}

func itoa(n int) string { return strconv.Itoa(n) }
