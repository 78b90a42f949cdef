// Package ports drives the ticket application: NATS endpoints for the
// gateway, and the deadline scheduler.
package ports

import (
	"errors"
	"fmt"

	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/rpc"
	"helpdesk/services/ticket/app"
)

// RegisterEndpoints adds every ticket endpoint to svc.
func RegisterEndpoints(svc *rpc.Service, a app.Application) error {
	err := errors.Join(
		rpc.Register(svc, ticketapi.EndpointOpen, a.Commands.Open.Handle),
		rpc.Register(svc, ticketapi.EndpointAssign, a.Commands.Assign.Handle),
		rpc.Register(svc, ticketapi.EndpointStart, a.Commands.StartWork.Handle),
		rpc.Register(svc, ticketapi.EndpointReply, a.Commands.Reply.Handle),
		rpc.Register(svc, ticketapi.EndpointResolve, a.Commands.Resolve.Handle),
		rpc.Register(svc, ticketapi.EndpointClose, a.Commands.Close.Handle),
		rpc.Register(svc, ticketapi.EndpointReopen, a.Commands.Reopen.Handle),
		rpc.Register(svc, ticketapi.EndpointGet, a.Queries.Ticket.Handle),
		rpc.Register(svc, ticketapi.EndpointList, a.Queries.List.Handle),
		rpc.Register(svc, ticketapi.EndpointEvents, a.Queries.History.Handle),
	)
	if err != nil {
		return fmt.Errorf("ticket endpoints: %w", err)
	}
	return nil
}
