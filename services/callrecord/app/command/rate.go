package command

import (
	"context"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/services/callrecord/domain/call"
)

// RateHandler records callers' ratings.
type RateHandler struct {
	d Deps
}

// NewRateHandler returns the handler.
func NewRateHandler(d Deps) RateHandler {
	d.mustBeComplete("NewRateHandler")
	return RateHandler{d: d}
}

// Handle records the rating of a call the hotline knows.
func (h RateHandler) Handle(ctx context.Context, cmd callapi.Rate) (callapi.CallTarget, error) {
	if err := mayAct(ctx, "rating a call", pbxOrStaff...); err != nil {
		return callapi.CallTarget{}, err
	}
	_, err := h.d.changeCall(ctx, cmd.CallID, func(c *call.Call) ([]events.Payload, error) {
		return c.Rate(cmd.CallID, cmd.Score)
	})
	return callapi.CallTarget{CallID: cmd.CallID}, err
}
