package gateway

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v5"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
)

// kbRoutes adds the knowledge-base API under /api/v1/kb.
func (s *Server) kbRoutes(authed *echo.Group) {
	kb := authed.Group("/kb")
	handle(kb, http.MethodGet, "/categories", authz.KBCategoryList, s.listCategories)
	handle(kb, http.MethodPost, "/categories", authz.KBCategoryManage, s.createCategory)
	handle(kb, http.MethodPatch, "/categories/:id", authz.KBCategoryManage, versionedCommand(s, subjects.ServiceKnowledge, kbapi.EndpointChangeCategory,
		func(c kbapi.Category) uint64 { return c.Version },
		func(id string, expected uint64, c *echo.Context) (any, error) {
			var body struct {
				Name     *string `json:"name"`
				ParentID *string `json:"parent_id"`
			}
			err := decode(c, &body)
			return kbapi.ChangeCategory{CategoryID: id, ExpectedVersion: expected, Name: body.Name, ParentID: body.ParentID}, err
		}))
	handle(kb, http.MethodPost, "/articles", authz.KBArticleDraft, s.draftArticle)
	handle(kb, http.MethodGet, "/articles", authz.KBArticleList, s.listArticles)
	handle(kb, http.MethodGet, "/articles/:id", authz.KBArticleRead, s.getArticle)
	handle(kb, http.MethodPatch, "/articles/:id", authz.KBArticleEdit, articleCommand(s, kbapi.EndpointEdit, func(t kbapi.ArticleTarget, c *echo.Context) (any, error) {
		var body struct {
			Title      *string   `json:"title"`
			Body       *string   `json:"body"`
			CategoryID *string   `json:"category_id"`
			Tags       *[]string `json:"tags"`
		}
		err := decode(c, &body)
		return kbapi.EditArticle{ArticleTarget: t, Title: body.Title, Body: body.Body, CategoryID: body.CategoryID, Tags: body.Tags}, err
	}))
	handle(kb, http.MethodPost, "/articles/:id/publish", authz.KBArticlePublish, articleCommand(s, kbapi.EndpointPublish, func(t kbapi.ArticleTarget, c *echo.Context) (any, error) {
		return kbapi.PublishArticle{ArticleTarget: t}, decodeOptional(c, &struct{}{})
	}))
	handle(kb, http.MethodPost, "/articles/:id/archive", authz.KBArticleArchive, articleCommand(s, kbapi.EndpointArchive, func(t kbapi.ArticleTarget, c *echo.Context) (any, error) {
		var body struct {
			Reason string `json:"reason"`
		}
		err := decodeOptional(c, &body)
		return kbapi.ArchiveArticle{ArticleTarget: t, Reason: body.Reason}, err
	}))
	handle(kb, http.MethodPost, "/articles/:id/vote", authz.KBArticleVote, s.voteArticle)
	handle(kb, http.MethodGet, "/articles/:id/versions", authz.KBArticleVersions, s.articleVersions)
	handle(kb, http.MethodGet, "/search", authz.KBSearch, s.searchKB)
	handle(kb, http.MethodGet, "/suggestions", authz.KBSuggest, s.suggestKB)
}

// decodeOptional decodes a JSON body when there is one.
func decodeOptional(c *echo.Context, v any) error {
	if c.Request().ContentLength == 0 {
		return nil
	}
	return decode(c, v)
}

func writeArticle(c *echo.Context, status int, a kbapi.Article) error {
	c.Response().Header().Set("ETag", etag(a.Version))
	return c.JSON(status, a)
}

// articleCommand handles a command on /kb/articles/:id.
func articleCommand(s *Server, endpoint string, build func(kbapi.ArticleTarget, *echo.Context) (any, error)) echo.HandlerFunc {
	return versionedCommand(s, subjects.ServiceKnowledge, endpoint, func(a kbapi.Article) uint64 { return a.Version },
		func(id string, expected uint64, c *echo.Context) (any, error) {
			return build(kbapi.ArticleTarget{ArticleID: id, ExpectedVersion: expected}, c)
		})
}

func (s *Server) listCategories(c *echo.Context) error {
	return relay(s, c, subjects.ServiceKnowledge, kbapi.EndpointListCategories, kbapi.ListCategories{})
}

func (s *Server) createCategory(c *echo.Context) error {
	if err := withIdempotencyKey(c); err != nil {
		return err
	}
	var cmd kbapi.CreateCategory
	if err := decode(c, &cmd); err != nil {
		return err
	}
	cat, err := call[kbapi.Category](s, c, subjects.ServiceKnowledge, kbapi.EndpointCreateCategory, cmd)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/kb/categories/"+cat.ID)
	c.Response().Header().Set("ETag", etag(cat.Version))
	return c.JSON(http.StatusCreated, cat)
}

func (s *Server) draftArticle(c *echo.Context) error {
	if err := withIdempotencyKey(c); err != nil {
		return err
	}
	var cmd kbapi.DraftArticle
	if err := decode(c, &cmd); err != nil {
		return err
	}
	a, err := call[kbapi.Article](s, c, subjects.ServiceKnowledge, kbapi.EndpointDraft, cmd)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/kb/articles/"+a.ID)
	return writeArticle(c, http.StatusCreated, a)
}

func (s *Server) getArticle(c *echo.Context) error {
	a, err := call[kbapi.Article](s, c, subjects.ServiceKnowledge, kbapi.EndpointGet, kbapi.GetArticle{ArticleID: c.Param("id")})
	if err != nil {
		return err
	}
	return writeArticle(c, http.StatusOK, a)
}

func (s *Server) listArticles(c *echo.Context) error {
	limit, err := intParam(c, "limit")
	if err != nil {
		return err
	}
	return relay(s, c, subjects.ServiceKnowledge, kbapi.EndpointList, kbapi.ListArticles{
		Status: c.QueryParam("status"), CategoryID: c.QueryParam("category_id"), SourceTicket: c.QueryParam("source_ticket"),
		SourceCall: c.QueryParam("source_call"), Limit: limit, Cursor: c.QueryParam("cursor"),
	})
}

func (s *Server) voteArticle(c *echo.Context) error {
	if err := withIdempotencyKey(c); err != nil {
		return err
	}
	var body struct {
		Helpful *bool `json:"helpful"`
	}
	if err := decode(c, &body); err != nil {
		return err
	}
	if body.Helpful == nil {
		return problem.Validation(problem.FieldError{Field: "helpful", Message: "is required"})
	}
	f, err := call[kbapi.Feedback](s, c, subjects.ServiceKnowledge, kbapi.EndpointVote, kbapi.VoteArticle{ArticleID: c.Param("id"), Helpful: *body.Helpful})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, f)
}

func (s *Server) articleVersions(c *echo.Context) error {
	return relay(s, c, subjects.ServiceKnowledge, kbapi.EndpointVersions, kbapi.GetVersions{ArticleID: c.Param("id")})
}

func (s *Server) searchKB(c *echo.Context) error {
	limit, err := intParam(c, "limit")
	if err != nil {
		return err
	}
	return relay(s, c, subjects.ServiceKnowledge, kbapi.EndpointSearch, kbapi.Search{
		Q: c.QueryParam("q"), Category: c.QueryParam("category"), Tag: c.QueryParam("tag"), Limit: limit, Cursor: c.QueryParam("cursor"),
	})
}

func (s *Server) suggestKB(c *echo.Context) error {
	limit, err := intParam(c, "limit")
	if err != nil {
		return err
	}
	return relay(s, c, subjects.ServiceKnowledge, kbapi.EndpointSuggest, kbapi.Suggest{
		Q: c.QueryParam("q"), Category: c.QueryParam("category"), Limit: limit,
	})
}

// intParam reads an optional integer query parameter (0 when absent).
func intParam(c *echo.Context, name string) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, problem.InvalidArgument(name, "must be a number")
	}
	return n, nil
}
