package command

import (
	"context"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/services/callrecord/domain/call"
)

// RateHandler records what is said of a call after it: the caller's
// rating and the agent's note of its resolution.
type RateHandler struct {
	d Deps
}

// NewRateHandler returns the handler.
func NewRateHandler(d Deps) RateHandler {
	d.mustBeComplete("NewRateHandler")
	return RateHandler{d: d}
}

// Resolve records the agent's note of what the caller asked and how it
// was resolved (staff only).
func (h RateHandler) Resolve(ctx context.Context, cmd callapi.Resolve) (callapi.CallTarget, error) {
	if err := mayAct(ctx, "noting a call's resolution", authz.CallResolutionNote); err != nil {
		return callapi.CallTarget{}, err
	}
	_, err := h.d.changeCall(ctx, cmd.CallID, func(c *call.Call) ([]events.Payload, error) {
		return c.Resolve(callapi.CallResolved(cmd))
	})
	return callapi.CallTarget{CallID: cmd.CallID}, err
}

// Handle records the rating of a call the hotline knows.
func (h RateHandler) Handle(ctx context.Context, cmd callapi.Rate) (callapi.CallTarget, error) {
	if err := mayAct(ctx, "rating a call", authz.CallRate); err != nil {
		return callapi.CallTarget{}, err
	}
	_, err := h.d.changeCall(ctx, cmd.CallID, func(c *call.Call) ([]events.Payload, error) {
		return c.Rate(cmd.CallID, cmd.Score)
	})
	return callapi.CallTarget{CallID: cmd.CallID}, err
}
