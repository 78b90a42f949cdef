// Package query holds the satisfaction service's query handlers and the
// read-model interface they need.
package query

import (
	"context"
	"time"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/satapi"
	"helpdesk/infra/rpc"
)

// SurveyFilter selects the surveys ListSurveys lists.
type SurveyFilter struct {
	// Respondent lists only this user's surveys; "" lists everyone's.
	Respondent string
	// Status is open, answered or expired; "" lists all.
	Status string
	// Limit is the page size: satapi.DefaultListLimit when not positive,
	// at most satapi.MaxListLimit.
	Limit int
	// Cursor is the NextCursor of the previous page; "" for the first.
	Cursor string
}

// ReadModel is the satisfaction read model.
type ReadModel interface {
	// ListSurveys lists surveys, newest first.
	ListSurveys(ctx context.Context, f SurveyFilter) (satapi.SurveyPage, error)
	ListFollowUps(ctx context.Context, status string, now time.Time, limit int, cursor string) (satapi.FollowUpPage, error)
	Stats(ctx context.Context, q satapi.GetStats, now time.Time) (satapi.Stats, error)
}

// MaxStatsRange bounds the period of one figures query: a year answers
// in under 20 ms from a million responses (BenchmarkStats_1M).
const MaxStatsRange = 366 * 24 * time.Hour

// Handlers answer the satisfaction service's queries from the read model.
type Handlers struct {
	model ReadModel
	clock func() time.Time
}

// NewHandlers returns the handlers.
func NewHandlers(model ReadModel, clock func() time.Time) Handlers {
	if model == nil || clock == nil {
		panic("query.NewHandlers: nil dependency")
	}
	return Handlers{model: model, clock: clock}
}

// ListSurveys lists surveys: a customer's own always, staff's own with
// Mine, everyone's otherwise.
func (h Handlers) ListSurveys(ctx context.Context, q satapi.ListSurveys) (satapi.SurveyPage, error) {
	c := rpc.CallerFrom(ctx)
	switch q.Status {
	case "", satapi.StatusOpen, satapi.StatusAnswered, satapi.StatusExpired:
	default:
		return satapi.SurveyPage{}, problem.Validation(problem.FieldError{Field: "status", Message: "must be open, answered or expired"})
	}
	if err := checkLimit(q.Limit); err != nil {
		return satapi.SurveyPage{}, err
	}
	respondent := ""
	if q.Mine || !authz.Allowed(c.Role, authz.SurveyReadAll) {
		respondent = c.ID
	}
	return h.model.ListSurveys(ctx, SurveyFilter{Respondent: respondent, Status: q.Status, Limit: q.Limit, Cursor: q.Cursor})
}

// ListFollowUps lists follow-ups (staff).
func (h Handlers) ListFollowUps(ctx context.Context, q satapi.ListFollowUps) (satapi.FollowUpPage, error) {
	if err := may(ctx, authz.SatisfactionFollowUpList); err != nil {
		return satapi.FollowUpPage{}, err
	}
	switch q.Status {
	case "", satapi.FollowUpOpen, satapi.FollowUpOverdue, satapi.FollowUpDone:
	default:
		return satapi.FollowUpPage{}, problem.Validation(problem.FieldError{Field: "status", Message: "must be open, overdue or done"})
	}
	if err := checkLimit(q.Limit); err != nil {
		return satapi.FollowUpPage{}, err
	}
	return h.model.ListFollowUps(ctx, q.Status, h.clock(), q.Limit, q.Cursor)
}

// Stats returns the satisfaction figures (staff).
func (h Handlers) Stats(ctx context.Context, q satapi.GetStats) (satapi.Stats, error) {
	if err := may(ctx, authz.SatisfactionStats); err != nil {
		return satapi.Stats{}, err
	}
	bad := problem.CheckPeriod(nil, q.From, q.To, MaxStatsRange, "366 days")
	switch q.GroupBy {
	case "", satapi.GroupByAgent, satapi.GroupByCategory, satapi.GroupByChannel, satapi.GroupByDay, satapi.GroupByWeek:
	default:
		bad = append(bad, problem.FieldError{Field: "group_by", Message: "must be agent, category, channel, day or week"})
	}
	if len(bad) > 0 {
		return satapi.Stats{}, problem.Validation(bad...)
	}
	return h.model.Stats(ctx, q, h.clock())
}

// may refuses a caller whose role the authorization matrix does not allow op.
func may(ctx context.Context, op authz.Operation) error {
	role := rpc.CallerFrom(ctx).Role
	if !authz.Allowed(role, op) {
		rule, _ := authz.Lookup(op)
		return problem.New(problem.CodePermissionDenied, "your role (%s) may not %s", role, rule.Summary)
	}
	return nil
}

func checkLimit(limit int) error {
	if limit < 0 || limit > satapi.MaxListLimit {
		return problem.Validation(problem.FieldError{Field: "limit", Message: "must be 1 to 200"})
	}
	return nil
}
