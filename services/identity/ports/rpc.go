// Package ports exposes the identity service's application over NATS.
package ports

import (
	"fmt"

	"helpdesk/contracts/identityapi"
	"helpdesk/infra/rpc"
	"helpdesk/services/identity/app"
)

// RegisterEndpoints adds every identity endpoint to svc.
func RegisterEndpoints(svc *rpc.Service, a app.Application) error {
	for _, err := range []error{
		rpc.Register(svc, identityapi.EndpointRegister, a.Commands.Register.Handle),
		rpc.Register(svc, identityapi.EndpointAuthenticate, a.Queries.Authenticate.Handle),
		rpc.Register(svc, identityapi.EndpointGet, a.Queries.User.Handle),
	} {
		if err != nil {
			return fmt.Errorf("identity endpoints: %w", err)
		}
	}
	return nil
}
