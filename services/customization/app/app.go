// Package app is the customization service's application layer: the
// handlers of its commands and queries.
package app

import (
	"context"
	"time"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/custapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/rpc"
	"helpdesk/services/customization/domain/request"
)

// Repository stores requests.
type Repository = *aggregate.Repository[*request.Request]

// Tickets tells whether the caller may see a ticket (the tickets a request
// is raised from must be theirs to see).
type Tickets interface {
	Visible(ctx context.Context, ticketID string) (bool, error)
}

// ReadModel is the requests read model.
type ReadModel interface {
	List(ctx context.Context, q custapi.ListRequests) (custapi.RequestPage, error)
	Board(ctx context.Context, kind, requester string, perStatus int) (custapi.Board, error)
	Stats(ctx context.Context, q custapi.GetStats, now time.Time) (custapi.Stats, error)
}

// Application is everything the ports of the customization service may
// call.
type Application struct {
	repo    Repository
	tickets Tickets
	model   ReadModel
	clock   func() time.Time
}

// New returns the application.
func New(repo Repository, tickets Tickets, model ReadModel, clock func() time.Time) Application {
	if repo == nil || tickets == nil || model == nil || clock == nil {
		panic("app.New: nil dependency")
	}
	return Application{repo: repo, tickets: tickets, model: model, clock: clock}
}

func actorOf(ctx context.Context) request.Actor {
	c := rpc.CallerFrom(ctx)
	return identityapi.Actor{ID: c.ID, Role: c.Role}
}

// Submit submits a request as the caller; a retry with the same
// idempotency key returns the first request.
func (a Application) Submit(ctx context.Context, cmd custapi.Submit) (custapi.Request, error) {
	actor := actorOf(ctx)
	if !authz.Allowed(actor.Role, authz.CustomizationSubmit) {
		return custapi.Request{}, problem.New(problem.CodePermissionDenied, "your role (%s) may not submit custom-development requests", actor.Role)
	}
	for _, id := range cmd.TicketIDs {
		if ok, err := a.tickets.Visible(ctx, id); err != nil || !ok {
			return custapi.Request{}, problem.Or(err, problem.Validation(problem.FieldError{Field: "ticket_ids", Message: "ticket " + id + " is not one you can see"}))
		}
	}
	id := aggregate.IDFor(ctx)
	r, err := a.repo.Create(ctx, id, func() ([]events.Payload, error) { return request.Submit(actor, cmd) })
	if err != nil {
		return custapi.Request{}, err
	}
	return r.View(actor), nil
}

// Step takes a step of a request's workflow, honouring If-Match. A request
// the caller may not see is not found, whatever version the command
// expects: a stale version reveals nothing about it.
func (a Application) Step(ctx context.Context, cmd custapi.Step) (custapi.Request, error) {
	actor := actorOf(ctx)
	r, err := a.repo.UpdateVisible(ctx, cmd.RequestID, cmd.ExpectedVersion,
		func(r *request.Request) bool { return r.CanView(actor) },
		func(r *request.Request) ([]events.Payload, error) { return r.Take(actor, cmd) })
	if err != nil {
		return custapi.Request{}, err
	}
	return r.View(actor), nil
}

// Get returns one request, read from its events (always current).
func (a Application) Get(ctx context.Context, q custapi.RequestTarget) (custapi.Request, error) {
	actor := actorOf(ctx)
	r, _, err := a.visible(ctx, actor, q.RequestID)
	if err != nil {
		return custapi.Request{}, err
	}
	return r.View(actor), nil
}

// History returns every event of a request, in order.
func (a Application) History(ctx context.Context, q custapi.RequestTarget) (custapi.History, error) {
	_, evs, err := a.visible(ctx, actorOf(ctx), q.RequestID)
	if err != nil {
		return custapi.History{}, err
	}
	out := custapi.History{RequestID: q.RequestID, Events: make([]custapi.Event, 0, len(evs))}
	for _, e := range evs {
		out.Events = append(out.Events, e.Entry())
	}
	return out, nil
}

func (a Application) visible(ctx context.Context, actor request.Actor, id string) (*request.Request, []events.Envelope, error) {
	r, evs, err := a.repo.Load(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if !r.CanView(actor) {
		return nil, nil, problem.NotFound("customization request", id)
	}
	return r, evs, nil
}

// List lists requests; customers see only their own.
func (a Application) List(ctx context.Context, q custapi.ListRequests) (custapi.RequestPage, error) {
	if actor := actorOf(ctx); !authz.Allowed(actor.Role, authz.CustomizationReadAll) {
		q.Requester = actor.ID
	}
	return a.model.List(ctx, q)
}

// Board returns the requests by status; customers see only their own.
func (a Application) Board(ctx context.Context, q custapi.GetBoard) (custapi.Board, error) {
	requester := ""
	if actor := actorOf(ctx); !authz.Allowed(actor.Role, authz.CustomizationReadAll) {
		requester = actor.ID
	}
	if q.PerStatus < 0 || q.PerStatus > 100 {
		return custapi.Board{}, problem.Validation(problem.FieldError{Field: "per_status", Message: "must be 1 to 100"})
	}
	return a.model.Board(ctx, q.Kind, requester, q.PerStatus)
}

// MaxStatsRange bounds the period of one figures query.
const MaxStatsRange = 3 * 366 * 24 * time.Hour

// Stats returns the lead-time figures (staff).
func (a Application) Stats(ctx context.Context, q custapi.GetStats) (custapi.Stats, error) {
	if !authz.Allowed(actorOf(ctx).Role, authz.CustomizationStats) {
		return custapi.Stats{}, problem.New(problem.CodePermissionDenied, "the figures are for staff only")
	}
	if !q.From.IsZero() && !q.To.IsZero() { // either may be left open
		if bad := problem.CheckPeriod(nil, q.From, q.To, MaxStatsRange, "three years"); len(bad) > 0 {
			return custapi.Stats{}, problem.Validation(bad...)
		}
	}
	st, err := a.model.Stats(ctx, q, a.clock())
	if err != nil {
		return custapi.Stats{}, err
	}
	st.Board, err = a.model.Board(ctx, "", "", 0)
	return st, err
}
