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
	c := a.Commands
	for _, err := range []error{
		rpc.Register(svc, identityapi.EndpointRegister, c.Register.Handle),
		rpc.Register(svc, identityapi.EndpointAuthenticate, c.Login.Handle),
		rpc.Register(svc, identityapi.EndpointRefresh, c.Refresh.Handle),
		rpc.Register(svc, identityapi.EndpointLogout, c.Logout.Handle),
		rpc.Register(svc, identityapi.EndpointChangePassword, c.ChangePassword.Handle),
		rpc.Register(svc, identityapi.EndpointResetPassword, c.ResetPassword.Handle),
		rpc.Register(svc, identityapi.EndpointUnlock, c.Unlock.Handle),
		rpc.Register(svc, identityapi.EndpointChangeRole, c.ChangeRole.Handle),
		rpc.Register(svc, identityapi.EndpointDisable, c.Disable.Handle),
		rpc.Register(svc, identityapi.EndpointEnable, c.Enable.Handle),
		rpc.Register(svc, identityapi.EndpointGet, a.Queries.User.Handle),
	} {
		if err != nil {
			return fmt.Errorf("identity endpoints: %w", err)
		}
	}
	return nil
}
