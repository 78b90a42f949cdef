package ports

import (
	"errors"
	"fmt"

	"helpdesk/contracts/satapi"
	"helpdesk/infra/rpc"
	"helpdesk/services/satisfaction/app"
)

// RegisterEndpoints adds every satisfaction endpoint to svc.
func RegisterEndpoints(svc *rpc.Service, a app.Application) error {
	err := errors.Join(
		rpc.Register(svc, satapi.EndpointListSurveys, a.Queries.ListSurveys),
		rpc.Register(svc, satapi.EndpointGetSurvey, a.Respond.Survey),
		rpc.Register(svc, satapi.EndpointRespond, a.Respond.Respond),
		rpc.Register(svc, satapi.EndpointStats, a.Queries.Stats),
		rpc.Register(svc, satapi.EndpointListFollowUps, a.Queries.ListFollowUps),
		rpc.Register(svc, satapi.EndpointCompleteFollowUp, a.Respond.CompleteFollowUp),
	)
	if err != nil {
		return fmt.Errorf("satisfaction endpoints: %w", err)
	}
	return nil
}
