// Package command holds the call-record service's command handlers, one use
// case per file, and what they share.
package command

import (
	"context"
	"time"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
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

// mayAct refuses callers whose role the authorization matrix does not
// allow op. What happens on the phone (calls offered, answered, ended,
// rated, recorded) is reported by the PBX, and by admins to repair; agents
// do not: they would rate their own calls or replace a call's recording.
func mayAct(ctx context.Context, what string, op authz.Operation) error {
	role := rpc.CallerFrom(ctx).Role
	if authz.Allowed(role, op) {
		return nil
	}
	return problem.New(problem.CodePermissionDenied, "%s is not for your role (%s)", what, role)
}

func notFoundCall(callID string) error { return problem.NotFound("call", callID) }
