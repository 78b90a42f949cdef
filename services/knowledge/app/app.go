// Package app is the knowledge-base service's application layer: the
// command and query handlers that its ports call.
package app

import (
	"helpdesk/contracts/kbapi"
	"helpdesk/services/knowledge/app/command"
	"helpdesk/services/knowledge/app/query"
)

// Application is everything the ports of the knowledge service may call.
type Application struct {
	Commands Commands
	Queries  Queries
}

// Commands change categories, articles and feedback.
type Commands struct {
	CreateCategory  command.CreateCategoryHandler
	ChangeCategory  command.ChangeCategoryHandler
	Draft           command.DraftArticleHandler
	DraftFromSource command.DraftFromSourceHandler
	Edit            command.ArticleChange[kbapi.EditArticle]
	Publish         command.ArticleChange[kbapi.PublishArticle]
	Archive         command.ArticleChange[kbapi.ArchiveArticle]
	Vote            command.VoteHandler
	RecordViews     command.RecordViewsHandler
}

// Queries read the knowledge base.
type Queries struct {
	Categories query.CategoriesHandler
	Article    query.ArticleHandler
	List       query.ListArticlesHandler
	Versions   query.VersionsHandler
	Search     query.SearchHandler
	Suggest    query.SuggestHandler
}
