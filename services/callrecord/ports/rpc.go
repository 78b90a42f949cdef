// Package ports drives the call-record application: NATS endpoints for the
// gateway and the PBXs behind it, and the schedulers that re-route
// unanswered calls and purge expired recordings.
package ports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"helpdesk/contracts/callapi"
	"helpdesk/infra/rpc"
	"helpdesk/services/callrecord/adapters/cdr"
	"helpdesk/services/callrecord/app"
)

// RegisterEndpoints adds every call-record endpoint to svc. loc is the
// zone of the times in Asterisk CDRs (the PBX's local time).
func RegisterEndpoints(svc *rpc.Service, a app.Application, loc *time.Location) error {
	c, q := a.Commands, a.Queries
	err := errors.Join(
		rpc.Register(svc, callapi.EndpointAgentLogin, c.Hotline.Login),
		rpc.Register(svc, callapi.EndpointAgentState, c.Hotline.SetState),
		rpc.Register(svc, callapi.EndpointAgentList, q.Agents),
		rpc.Register(svc, callapi.EndpointOffer, c.Hotline.Offer),
		rpc.Register(svc, callapi.EndpointAnswered, c.Hotline.Answered),
		rpc.Register(svc, callapi.EndpointEnded, c.Hotline.Ended),
		rpc.Register(svc, callapi.EndpointTransfer, c.Hotline.Transfer),
		// A rating answers with the call as it stands after it.
		rpc.Register(svc, callapi.EndpointRate, func(ctx context.Context, cmd callapi.Rate) (callapi.Call, error) {
			target, err := c.Rate.Handle(ctx, cmd)
			if err != nil {
				return callapi.Call{}, err
			}
			return q.Call(ctx, target)
		}),
		rpc.Register(svc, callapi.EndpointOpenTicket, c.OpenTicket.Handle),
		rpc.Register(svc, callapi.EndpointResolve, func(ctx context.Context, cmd callapi.Resolve) (callapi.Call, error) {
			target, err := c.Rate.Resolve(ctx, cmd)
			if err != nil {
				return callapi.Call{}, err
			}
			return q.Call(ctx, target)
		}),
		rpc.Register(svc, callapi.EndpointGet, q.Call),
		rpc.Register(svc, callapi.EndpointList, q.List),
		rpc.Register(svc, callapi.EndpointStats, q.Stats),
		rpc.Register(svc, callapi.EndpointCDRFreeSWITCH, func(ctx context.Context, req callapi.IngestCDR) (callapi.CDRResult, error) {
			rec, err := cdr.ParseFreeSWITCH(req.ContentType, req.Body)
			if err != nil {
				return callapi.CDRResult{}, err
			}
			return c.IngestCDR.Handle(ctx, []callapi.CDRIngested{rec.Event()})
		}),
		rpc.Register(svc, callapi.EndpointCDRAsterisk, func(ctx context.Context, req callapi.IngestCDR) (callapi.CDRResult, error) {
			recs, err := cdr.ParseAsterisk(bytes.NewReader(req.Body), loc)
			if err != nil {
				return callapi.CDRResult{}, err
			}
			evs := make([]callapi.CDRIngested, len(recs))
			for i, r := range recs {
				evs[i] = r.Event()
			}
			return c.IngestCDR.Handle(ctx, evs)
		}),
		// A stored recording answers with the call as it stands after it.
		rpc.Register(svc, callapi.EndpointStoreRecord, func(ctx context.Context, cmd callapi.StoreRecording) (callapi.Call, error) {
			if _, err := c.StoreRecording.Handle(ctx, cmd); err != nil {
				return callapi.Call{}, err
			}
			return q.Call(ctx, callapi.CallTarget{CallID: cmd.CallID})
		}),
		rpc.Register(svc, callapi.EndpointPlayRecord, c.PlayRecording.Handle),
		rpc.Register(svc, callapi.EndpointCreateKey, c.PBXKeys.Create),
		rpc.Register(svc, callapi.EndpointRevokeKey, c.PBXKeys.Revoke),
		rpc.Register(svc, callapi.EndpointVerifyKey, c.PBXKeys.Verify),
		rpc.Register(svc, callapi.EndpointListKeys, q.PBXKeys),
	)
	if err != nil {
		return fmt.Errorf("call-record endpoints: %w", err)
	}
	return nil
}
