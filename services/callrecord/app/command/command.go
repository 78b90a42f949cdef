// Package command holds the call-record service's command handlers, one use
// case per file, and what they share.
package command

import (
	"context"
	"time"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/rpc"
	"helpdesk/services/callrecord/domain/call"
)

// CallRepository stores the record of each call (aggregate id
// callapi.CallAggregateID of the PBX's call id).
type CallRepository = *aggregate.Repository[*call.Call]

// Clock tells the time; tests pass a fake one.
type Clock func() time.Time

// CallDirectory tells which calls the hotline knows: offered to the board
// or reported by a CDR.
type CallDirectory interface {
	Known(ctx context.Context, callID string) (bool, error)
}

// Deps are what the handlers of a call's record need.
type Deps struct {
	Calls CallRepository
	Known CallDirectory
	Clock Clock
}

func (d Deps) mustBeComplete(name string) {
	if d.Calls == nil || d.Known == nil || d.Clock == nil {
		panic(name + ": nil dependency")
	}
}

// changeCall runs do on the record of a call the hotline knows and stores
// the events it returns.
func (d Deps) changeCall(ctx context.Context, callID string, do func(c *call.Call) ([]events.Payload, error)) (*call.Call, error) {
	known, err := d.Known.Known(ctx, callID)
	if err != nil {
		return nil, err
	}
	if !known {
		return nil, notFoundCall(callID)
	}
	return d.Calls.Update(ctx, callapi.CallAggregateID(callID), 0, do)
}

// mayAct refuses callers whose role is not one of roles.
func mayAct(ctx context.Context, what string, roles ...string) error {
	role := rpc.CallerFrom(ctx).Role
	for _, r := range roles {
		if role == r {
			return nil
		}
	}
	return problem.New(problem.CodePermissionDenied, "%s is for %v only", what, roles)
}

// Roles that report what happens on the phone: the PBX, and admins to
// repair. Agents do not: they would rate their own calls or replace a
// call's recording.
var pbxOrAdmin = []string{callapi.RolePBX, identityapi.RoleAdmin}

func notFoundCall(callID string) error { return problem.NotFound("call", callID) }
