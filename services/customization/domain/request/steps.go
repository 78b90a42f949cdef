package request

import (
	"fmt"
	"slices"
	"strings"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/custapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
)

// Version is the stream sequence of the request's last event.
func (r *Request) Version() uint64 { return r.version }

// Requester is who submitted the request.
func (r *Request) Requester() string { return r.requester }

// CanView tells whether the actor may see the request: its requester,
// roles the matrix lets see every request (staff) and internal components.
func (r *Request) CanView(a Actor) bool {
	return authz.Allowed(a.Role, authz.CustomizationReadAll) || a.IsSystem() || a.ID != "" && a.ID == r.requester
}

// may tells whether the actor is who the rule names.
func (r *Request) may(a Actor, ru rule) bool {
	if ru.by == staff {
		return authz.Allowed(a.Role, authz.CustomizationWork)
	}
	return a.ID == r.requester
}

// Steps are the steps the actor may take now, in workflow order.
func (r *Request) Steps(a Actor) []string {
	out := []string{}
	for _, step := range custapi.Steps {
		if ru := workflow[step]; slices.Contains(ru.from, r.status) && r.may(a, ru) && !(step == custapi.StepCancel && r.developed) {
			out = append(out, step)
		}
	}
	return out
}

// Take takes a step of the workflow: the actor must be who the step is
// for (403), the request in a status the step leaves (409), and the
// step's fields valid (422).
func (r *Request) Take(a Actor, s custapi.Step) ([]events.Payload, error) {
	ru, ok := workflow[s.Step]
	if !ok {
		return nil, problem.InvalidArgument("step", "must be one of "+strings.Join(custapi.Steps, ", "))
	}
	if !r.may(a, ru) {
		whom := "staff"
		if ru.by == requester {
			whom = "the requester"
		}
		return nil, problem.New(problem.CodePermissionDenied, "only %s may %s a request", whom, s.Step)
	}
	bad := problem.CheckText(nil, "comment", s.Comment, MaxComment, false, true)
	payload, bad := r.payload(s, bad)
	if len(bad) > 0 {
		return nil, problem.Validation(bad...)
	}
	if s.Step == custapi.StepCancel && r.developed {
		return nil, problem.New(problem.CodeConflict, "development has started: the request can no longer be cancelled")
	}
	if !slices.Contains(ru.from, r.status) {
		return nil, problem.New(problem.CodeConflict, "a request that is %s cannot %s (it can from %s)",
			r.status, s.Step, strings.Join(ru.from, ", "))
	}
	return []events.Payload{payload}, nil
}

// payload builds the step's event, checking its own fields.
func (r *Request) payload(s custapi.Step, bad []problem.FieldError) (events.Payload, []problem.FieldError) {
	c := strings.TrimSpace(s.Comment)
	switch s.Step {
	case custapi.StepAssess:
		return custapi.AssessmentStarted{Comment: c}, bad
	case custapi.StepReject:
		bad = problem.CheckText(bad, "reason", s.Reason, MaxReason, true, true)
		return custapi.Rejected{Reason: strings.TrimSpace(s.Reason), Comment: c}, bad
	case custapi.StepEstimate:
		if s.EffortDays <= 0 || s.EffortDays > 10000 {
			bad = append(bad, problem.FieldError{Field: "effort_days", Message: "must be more than 0 (and at most 10000) person-days"})
		}
		if s.Cost < 0 {
			bad = append(bad, problem.FieldError{Field: "cost", Message: "must not be negative"})
		}
		bad = checkDate(bad, "planned_start", s.PlannedStart, true)
		bad = checkDate(bad, "planned_end", s.PlannedEnd, true)
		if s.PlannedEnd < s.PlannedStart {
			bad = append(bad, problem.FieldError{Field: "planned_end", Message: "must not be before planned_start"})
		}
		return custapi.Estimated{EffortDays: s.EffortDays, Cost: s.Cost, PlannedStart: s.PlannedStart, PlannedEnd: s.PlannedEnd, Comment: c}, bad
	case custapi.StepApprove:
		return custapi.Approved{Comment: c}, bad
	case custapi.StepRequestReestimate:
		return custapi.ReestimateRequested{Comment: c}, bad
	case custapi.StepChangeScope:
		p := custapi.ScopeChanged{Comment: c}
		if s.Description != nil {
			p.Description = strings.TrimSpace(*s.Description)
			bad = problem.CheckText(bad, "description", p.Description, MaxDescription, true, true)
		}
		if s.Justification != nil {
			p.Justification = strings.TrimSpace(*s.Justification)
			bad = problem.CheckText(bad, "justification", p.Justification, MaxJustification, true, true)
		}
		return p, bad
	case custapi.StepSchedule:
		bad = problem.CheckText(bad, "milestone", s.Milestone, MaxTitle, true, false)
		return custapi.Scheduled{Milestone: strings.TrimSpace(s.Milestone), Comment: c}, bad
	case custapi.StepStartDevelopment:
		return custapi.DevelopmentStarted{Comment: c}, bad
	case custapi.StepStartTesting:
		return custapi.TestingStarted{Comment: c}, bad
	case custapi.StepDeliver:
		return custapi.Delivered{Comment: c}, bad
	case custapi.StepAccept:
		return custapi.Accepted{Comment: c}, bad
	case custapi.StepRework:
		bad = problem.CheckText(bad, "reason", s.Reason, MaxReason, true, true)
		return custapi.ReworkRequested{Reason: strings.TrimSpace(s.Reason), Comment: c}, bad
	case custapi.StepCancel:
		return custapi.Cancelled{Comment: c}, bad
	}
	panic(fmt.Sprintf("request: step %q has a rule but no payload", s.Step))
}

// View is the request as the actor sees it.
func (r *Request) View(a Actor) custapi.Request {
	v := custapi.Request{
		ID: r.id, Version: r.version, Kind: r.kind, Title: r.title, Description: r.description,
		Justification: r.justification, DesiredDate: r.desiredDate, TicketIDs: slices.Clone(r.ticketIDs),
		Requester: r.requester, Assignee: r.assignee, Status: r.status, Milestone: r.milestone,
		RejectReason: r.rejectReason, ReworkCount: r.reworkCount, CreatedAt: r.createdAt, UpdatedAt: r.updatedAt,
		StatusSince: r.statusSince, Steps: r.Steps(a),
	}
	if v.TicketIDs == nil {
		v.TicketIDs = []string{}
	}
	if r.estimate != nil {
		e := *r.estimate
		v.Estimate = &e
	}
	return v
}
