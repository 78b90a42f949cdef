// Package ports drives the customization application: the NATS endpoints
// for the gateway.
package ports

import (
	"errors"
	"fmt"

	"helpdesk/contracts/custapi"
	"helpdesk/infra/rpc"
	"helpdesk/services/customization/app"
)

// RegisterEndpoints adds every customization endpoint to svc.
func RegisterEndpoints(svc *rpc.Service, a app.Application) error {
	err := errors.Join(
		rpc.Register(svc, custapi.EndpointSubmit, a.Submit),
		rpc.Register(svc, custapi.EndpointStep, a.Step),
		rpc.Register(svc, custapi.EndpointGet, a.Get),
		rpc.Register(svc, custapi.EndpointHistory, a.History),
		rpc.Register(svc, custapi.EndpointList, a.List),
		rpc.Register(svc, custapi.EndpointBoard, a.Board),
		rpc.Register(svc, custapi.EndpointStats, a.Stats),
	)
	if err != nil {
		return fmt.Errorf("customization endpoints: %w", err)
	}
	return nil
}
