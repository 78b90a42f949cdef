// Package ports drives the knowledge-base application: NATS endpoints for
// the gateway, and the view counter.
package ports

import (
	"errors"
	"fmt"

	"helpdesk/contracts/kbapi"
	"helpdesk/infra/rpc"
	"helpdesk/services/knowledge/app"
)

// RegisterEndpoints adds every knowledge endpoint to svc.
func RegisterEndpoints(svc *rpc.Service, a app.Application) error {
	err := errors.Join(
		rpc.Register(svc, kbapi.EndpointCreateCategory, a.Commands.CreateCategory.Handle),
		rpc.Register(svc, kbapi.EndpointChangeCategory, a.Commands.ChangeCategory.Handle),
		rpc.Register(svc, kbapi.EndpointListCategories, a.Queries.Categories.Handle),
		rpc.Register(svc, kbapi.EndpointDraft, a.Commands.Draft.Handle),
		rpc.Register(svc, kbapi.EndpointEdit, a.Commands.Edit.Handle),
		rpc.Register(svc, kbapi.EndpointPublish, a.Commands.Publish.Handle),
		rpc.Register(svc, kbapi.EndpointArchive, a.Commands.Archive.Handle),
		rpc.Register(svc, kbapi.EndpointVote, a.Commands.Vote.Handle),
		rpc.Register(svc, kbapi.EndpointGet, a.Queries.Article.Handle),
		rpc.Register(svc, kbapi.EndpointList, a.Queries.List.Handle),
		rpc.Register(svc, kbapi.EndpointVersions, a.Queries.Versions.Handle),
		rpc.Register(svc, kbapi.EndpointSearch, a.Queries.Search.Handle),
		rpc.Register(svc, kbapi.EndpointSuggest, a.Queries.Suggest.Handle),
	)
	if err != nil {
		return fmt.Errorf("knowledge endpoints: %w", err)
	}
	return nil
}
