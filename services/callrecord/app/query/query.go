// Package query holds the call-record service's query handlers and the
// read-model interfaces they need.
package query

import (
	"context"
	"time"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/callapi"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/infra/rpc"
	"helpdesk/services/callrecord/domain/acd"
)

// CallRecords is the calls read model.
type CallRecords interface {
	Get(ctx context.Context, callID string, admin bool) (callapi.Call, bool, error)
	List(ctx context.Context, q callapi.ListCalls, admin bool) (callapi.CallPage, error)
	Stats(ctx context.Context, q callapi.GetStats) (callapi.Stats, error)
	PBXKeys(ctx context.Context) (callapi.PBXKeys, error)
}

// Freshness lets a query read what was written before it: CatchUp returns
// once the read model holds every event stored so far.
type Freshness interface {
	CatchUp(ctx context.Context) error
}

// HotlineBoard runs operations on the hotline board (see
// command.HotlineBoard).
type HotlineBoard interface {
	Do(ctx context.Context, run func(b *acd.Board, now time.Time) (any, error)) (any, error)
}

// Handlers answer the call-record service's queries.
type Handlers struct {
	records CallRecords
	fresh   Freshness
	board   HotlineBoard
}

// NewHandlers returns the query handlers.
func NewHandlers(records CallRecords, fresh Freshness, board HotlineBoard) Handlers {
	if records == nil || fresh == nil || board == nil {
		panic("query.NewHandlers: nil dependency")
	}
	return Handlers{records: records, fresh: fresh, board: board}
}

// mayRead refuses callers whose role the authorization matrix does not
// allow op; internal components may read. admin tells whether the caller
// sees callers' full numbers.
func mayRead(ctx context.Context, op authz.Operation) (admin bool, err error) {
	role := rpc.CallerFrom(ctx).Role
	if authz.Allowed(role, op) || role == identityapi.RoleSystem {
		return authz.Allowed(role, authz.CallNumbersRead), nil
	}
	rule, _ := authz.Lookup(op)
	return false, problem.New(problem.CodePermissionDenied, "your role (%s) may not %s", role, rule.Summary)
}

// Agents lists the agents signed in to the hotline.
func (h Handlers) Agents(ctx context.Context, _ callapi.ListAgents) (callapi.Agents, error) {
	if _, err := mayRead(ctx, authz.HotlineAgentList); err != nil {
		return callapi.Agents{}, err
	}
	v, err := h.board.Do(ctx, func(b *acd.Board, _ time.Time) (any, error) {
		out := callapi.Agents{Items: []callapi.Agent{}}
		for _, a := range b.Agents() {
			out.Items = append(out.Items, a.View())
		}
		return out, nil
	})
	if err != nil {
		return callapi.Agents{}, err
	}
	return v.(callapi.Agents), nil
}

// Call returns one call, current: a waiting call's place in the queue is
// where it is now.
func (h Handlers) Call(ctx context.Context, q callapi.CallTarget) (callapi.Call, error) {
	admin, err := mayRead(ctx, authz.CallRead)
	if err != nil {
		return callapi.Call{}, err
	}
	if err := h.fresh.CatchUp(ctx); err != nil {
		return callapi.Call{}, err
	}
	c, ok, err := h.records.Get(ctx, q.CallID, admin)
	if err != nil {
		return callapi.Call{}, err
	}
	if !ok {
		return callapi.Call{}, problem.NotFound("call", q.CallID)
	}
	if !authz.Allowed(rpc.CallerFrom(ctx).Role, authz.CallNoteRead) {
		c.Question, c.Resolution = "", "" // the agent's note is for staff
	}
	if c.Status != callapi.StatusQueued {
		return c, nil
	}
	v, err := h.board.Do(ctx, func(b *acd.Board, _ time.Time) (any, error) {
		d, _ := b.Where(q.CallID)
		return d, nil
	})
	if err != nil {
		return callapi.Call{}, err
	}
	if d := v.(acd.Decision); d.Agent == nil && d.Position > 0 {
		c.QueuePosition = d.Position
	}
	return c, nil
}

// List returns a page of calls, newest first.
func (h Handlers) List(ctx context.Context, q callapi.ListCalls) (callapi.CallPage, error) {
	admin, err := mayRead(ctx, authz.CallList)
	if err != nil {
		return callapi.CallPage{}, err
	}
	if q.Limit < 0 || q.Limit > callapi.MaxListLimit {
		return callapi.CallPage{}, problem.Validation(problem.FieldError{Field: "limit", Message: "must be 1 to 200"})
	}
	return h.records.List(ctx, q, admin)
}

// MaxStatsRange bounds the period of one figures query.
const MaxStatsRange = 366 * 24 * time.Hour

// Stats returns the hotline figures.
func (h Handlers) Stats(ctx context.Context, q callapi.GetStats) (callapi.Stats, error) {
	if _, err := mayRead(ctx, authz.CallStats); err != nil {
		return callapi.Stats{}, err
	}
	bad := problem.CheckPeriod(nil, q.From, q.To, MaxStatsRange, "366 days")
	switch q.GroupBy {
	case "":
		q.GroupBy = callapi.GroupByDay
	case callapi.GroupByHour, callapi.GroupByDay, callapi.GroupByAgent:
	default:
		bad = append(bad, problem.FieldError{Field: "group_by", Message: "must be hour, day or agent"})
	}
	if len(bad) > 0 {
		return callapi.Stats{}, problem.Validation(bad...)
	}
	if err := h.fresh.CatchUp(ctx); err != nil {
		return callapi.Stats{}, err
	}
	return h.records.Stats(ctx, q)
}

// PBXKeys lists the PBX keys (admins).
func (h Handlers) PBXKeys(ctx context.Context, _ struct{}) (callapi.PBXKeys, error) {
	if !authz.Allowed(rpc.CallerFrom(ctx).Role, authz.PBXKeyList) {
		return callapi.PBXKeys{}, problem.New(problem.CodePermissionDenied, "PBX keys are for admins only")
	}
	if err := h.fresh.CatchUp(ctx); err != nil {
		return callapi.PBXKeys{}, err
	}
	return h.records.PBXKeys(ctx)
}
