package request_test

import (
	"fmt"
	"testing"
	"time"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/custapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/services/customization/domain/request"
)

var (
	t0       = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	owner    = identityapi.Actor{ID: "cust", Role: identityapi.RoleCustomer}
	stranger = identityapi.Actor{ID: "other", Role: identityapi.RoleCustomer}
	agent    = identityapi.Actor{ID: "agent", Role: identityapi.RoleAgent}
	admin    = identityapi.Actor{ID: "boss", Role: identityapi.RoleAdmin}
	// supervisor works requests as staff do; auditor is no business user.
	supervisor = identityapi.Actor{ID: "sup", Role: identityapi.RoleSupervisor}
	auditor    = identityapi.Actor{ID: "aud", Role: identityapi.RoleAuditor}
	submitted  = custapi.Submitted{Kind: custapi.KindNewFeature, Title: "考试成绩导出为 Excel", Requester: "cust", TicketIDs: []string{}}
)

// valid is a step with the fields it needs.
func valid(step string) custapi.Step {
	s := custapi.Step{Step: step, Comment: "好的"}
	switch step {
	case custapi.StepReject, custapi.StepRework:
		s.Reason = "超出合同范围"
	case custapi.StepEstimate:
		s.EffortDays, s.Cost, s.PlannedStart, s.PlannedEnd = 12.5, 30000, "2026-12-01", "2026-12-20"
	case custapi.StepSchedule:
		s.Milestone = "2026年12月版本"
	}
	return s
}

// paths lead from submission to each status.
var paths = map[string][]string{
	custapi.StatusSubmitted:       {},
	custapi.StatusUnderAssessment: {custapi.StepAssess},
	custapi.StatusRejected:        {custapi.StepAssess, custapi.StepReject},
	custapi.StatusEstimated:       {custapi.StepAssess, custapi.StepEstimate},
	custapi.StatusApproved:        {custapi.StepAssess, custapi.StepEstimate, custapi.StepApprove},
	custapi.StatusScheduled:       {custapi.StepAssess, custapi.StepEstimate, custapi.StepApprove, custapi.StepSchedule},
	custapi.StatusInDevelopment:   {custapi.StepAssess, custapi.StepEstimate, custapi.StepApprove, custapi.StepSchedule, custapi.StepStartDevelopment},
	custapi.StatusInTesting:       {custapi.StepAssess, custapi.StepEstimate, custapi.StepApprove, custapi.StepSchedule, custapi.StepStartDevelopment, custapi.StepStartTesting},
	custapi.StatusDelivered:       {custapi.StepAssess, custapi.StepEstimate, custapi.StepApprove, custapi.StepSchedule, custapi.StepStartDevelopment, custapi.StepStartTesting, custapi.StepDeliver},
	custapi.StatusAccepted:        {custapi.StepAssess, custapi.StepEstimate, custapi.StepApprove, custapi.StepSchedule, custapi.StepStartDevelopment, custapi.StepStartTesting, custapi.StepDeliver, custapi.StepAccept},
	custapi.StatusCancelled:       {custapi.StepCancel},
}

// staffSteps are taken by staff; the rest by the requester.
var staffSteps = map[string]bool{custapi.StepAssess: true, custapi.StepReject: true, custapi.StepEstimate: true,
	custapi.StepSchedule: true, custapi.StepStartDevelopment: true, custapi.StepStartTesting: true, custapi.StepDeliver: true}

// inStatus folds a request that walked the path to status.
func inStatus(t *testing.T, status string) (*request.Request, []events.Envelope) {
	t.Helper()
	envs := []events.Envelope{envelope(t, submitted, owner, 1)}
	r := fold(t, envs)
	for _, step := range paths[status] {
		by := agent
		if !staffSteps[step] {
			by = owner
		}
		evs, err := r.Take(by, valid(step))
		if err != nil {
			t.Fatalf("path to %s, %s: %v", status, step, err)
		}
		envs = append(envs, envelope(t, evs[0], by, len(envs)+1))
		r = fold(t, envs)
	}
	if v := r.View(owner); v.Status != status {
		t.Fatalf("path to %s ends in %s", status, v.Status)
	}
	return r, envs
}

func envelope(t *testing.T, p events.Payload, by identityapi.Actor, v int) events.Envelope {
	t.Helper()
	env, err := events.New(custapi.Source, custapi.AggregateRequest, "R", p, t0.Add(time.Duration(v)*time.Hour), events.Metadata{Actor: by.ID})
	if err != nil {
		t.Fatal(err)
	}
	env.AggregateVersion = uint64(v)
	return env
}

func fold(t *testing.T, envs []events.Envelope) *request.Request {
	t.Helper()
	r, err := request.FromEvents(envs)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestWorkflow takes every step from every status as every role: the
// workflow's step from a status it leaves, by its role, moves the request
// to the step's status; by anyone else it is 403; from any other status
// it is 409.
func TestWorkflow(t *testing.T) {
	allowed := map[string][]string{ // step → the statuses it leaves
		custapi.StepAssess:            {custapi.StatusSubmitted},
		custapi.StepReject:            {custapi.StatusSubmitted, custapi.StatusUnderAssessment},
		custapi.StepEstimate:          {custapi.StatusUnderAssessment},
		custapi.StepApprove:           {custapi.StatusEstimated},
		custapi.StepRequestReestimate: {custapi.StatusEstimated},
		custapi.StepChangeScope:       {custapi.StatusApproved, custapi.StatusScheduled, custapi.StatusInDevelopment, custapi.StatusInTesting},
		custapi.StepSchedule:          {custapi.StatusApproved},
		custapi.StepStartDevelopment:  {custapi.StatusScheduled},
		custapi.StepStartTesting:      {custapi.StatusInDevelopment},
		custapi.StepDeliver:           {custapi.StatusInTesting},
		custapi.StepAccept:            {custapi.StatusDelivered},
		custapi.StepRework:            {custapi.StatusDelivered},
		custapi.StepCancel:            {custapi.StatusSubmitted, custapi.StatusUnderAssessment, custapi.StatusEstimated, custapi.StatusApproved, custapi.StatusScheduled},
	}
	to := map[string]string{
		custapi.StepAssess: custapi.StatusUnderAssessment, custapi.StepReject: custapi.StatusRejected,
		custapi.StepEstimate: custapi.StatusEstimated, custapi.StepApprove: custapi.StatusApproved,
		custapi.StepRequestReestimate: custapi.StatusUnderAssessment, custapi.StepChangeScope: custapi.StatusUnderAssessment,
		custapi.StepSchedule: custapi.StatusScheduled, custapi.StepStartDevelopment: custapi.StatusInDevelopment,
		custapi.StepStartTesting: custapi.StatusInTesting, custapi.StepDeliver: custapi.StatusDelivered,
		custapi.StepAccept: custapi.StatusAccepted, custapi.StepRework: custapi.StatusInDevelopment,
		custapi.StepCancel: custapi.StatusCancelled,
	}
	actors := map[string]identityapi.Actor{"requester": owner, "another customer": stranger, "agent": agent, "admin": admin,
		"supervisor": supervisor, "auditor": auditor}
	taken := 0
	for _, step := range custapi.Steps {
		for _, status := range custapi.Statuses {
			for name, by := range actors {
				t.Run(fmt.Sprintf("%s from %s by %s", step, status, name), func(t *testing.T) {
					r, envs := inStatus(t, status)
					mayTake := by == owner && !staffSteps[step] || (by == agent || by == admin || by == supervisor) && staffSteps[step]
					leaves := false
					for _, s := range allowed[step] {
						leaves = leaves || s == status
					}
					evs, err := r.Take(by, valid(step))
					switch {
					case !mayTake:
						if problem.CodeOf(err) != problem.CodePermissionDenied {
							t.Fatalf("got %v, %v; want 403", evs, err)
						}
					case !leaves:
						if problem.CodeOf(err) != problem.CodeConflict {
							t.Fatalf("got %v, %v; want 409", evs, err)
						}
					default:
						if err != nil || len(evs) != 1 {
							t.Fatalf("got %v, %v; want the step", evs, err)
						}
						after := fold(t, append(envs, envelope(t, evs[0], by, len(envs)+1)))
						if got := after.View(by).Status; got != to[step] {
							t.Fatalf("now %s, want %s", got, to[step])
						}
						taken++
					}
					if mayTake && leaves != containsStep(r.Steps(by), step) {
						t.Fatalf("Steps(%s) = %v: %s offered wrongly", name, r.Steps(by), step)
					}
				})
			}
		}
	}
	// Staff steps leave 8 statuses in all, each taken by an agent, a
	// supervisor or an admin (24); the requester's steps leave 13 (13).
	if taken != 37 {
		t.Fatalf("%d allowed step/status/role combinations, want 37", taken)
	}
}

func containsStep(steps []string, step string) bool {
	for _, s := range steps {
		if s == step {
			return true
		}
	}
	return false
}

func TestSubmit_and_step_fields(t *testing.T) {
	for _, tt := range []struct {
		name string
		cmd  custapi.Submit
		ok   bool
	}{
		{"a new feature", custapi.Submit{Kind: custapi.KindNewFeature, Title: "批量导入考生", DesiredDate: "2027-03-01"}, true},
		{"unknown kind", custapi.Submit{Kind: "wish", Title: "x"}, false},
		{"no title", custapi.Submit{Kind: custapi.KindUIOptimization, Title: "  "}, false},
		{"a bad date", custapi.Submit{Kind: custapi.KindUIOptimization, Title: "x", DesiredDate: "next week"}, false},
		{"a bad ticket id", custapi.Submit{Kind: custapi.KindUIOptimization, Title: "x", TicketIDs: []string{"T-1"}}, false},
	} {
		_, err := request.Submit(owner, tt.cmd)
		if (err == nil) != tt.ok || err != nil && problem.CodeOf(err) != problem.CodeValidation {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	under, _ := inStatus(t, custapi.StatusUnderAssessment)
	for _, s := range []custapi.Step{
		{Step: custapi.StepReject},
		{Step: custapi.StepEstimate, EffortDays: 0, PlannedStart: "2026-12-01", PlannedEnd: "2026-12-02"},
		{Step: custapi.StepEstimate, EffortDays: 3, Cost: -1, PlannedStart: "2026-12-01", PlannedEnd: "2026-12-02"},
		{Step: custapi.StepEstimate, EffortDays: 3, PlannedStart: "2026-12-05", PlannedEnd: "2026-12-02"},
		{Step: custapi.StepEstimate, EffortDays: 3, PlannedStart: "soon", PlannedEnd: "2026-12-02"},
	} {
		if _, err := under.Take(agent, s); problem.CodeOf(err) != problem.CodeValidation {
			t.Errorf("%+v: %v, want 422", s, err)
		}
	}
	if _, err := under.Take(agent, custapi.Step{Step: "fly"}); problem.CodeOf(err) != problem.CodeInvalidArgument {
		t.Errorf("an unknown step: %v", err)
	}
}

// TestRework_loop_and_scope_change: a rework goes back to development and
// is counted; a scope change after approval needs a new estimate and a new
// approval; the assessor becomes the assignee.
func TestRework_loop_and_scope_change(t *testing.T) {
	r, envs := inStatus(t, custapi.StatusDelivered)
	evs, err := r.Take(owner, valid(custapi.StepRework))
	if err != nil {
		t.Fatal(err)
	}
	r = fold(t, append(envs, envelope(t, evs[0], owner, len(envs)+1)))
	if v := r.View(owner); v.Status != custapi.StatusInDevelopment || v.ReworkCount != 1 || v.Assignee != "agent" {
		t.Fatalf("after rework: %+v", v)
	}
	approved, envs := inStatus(t, custapi.StatusApproved)
	desc := "也要支持导出 PDF"
	evs, err = approved.Take(owner, custapi.Step{Step: custapi.StepChangeScope, Description: &desc})
	if err != nil {
		t.Fatal(err)
	}
	r = fold(t, append(envs, envelope(t, evs[0], owner, len(envs)+1)))
	if v := r.View(agent); v.Status != custapi.StatusUnderAssessment || v.Description != desc || !containsStep(v.Steps, custapi.StepEstimate) {
		t.Fatalf("after a scope change: %+v", v)
	}
	if _, err := r.Take(agent, valid(custapi.StepSchedule)); problem.CodeOf(err) != problem.CodeConflict {
		t.Fatalf("scheduling without a new approval: %v", err)
	}
	if v := r.View(owner); v.Estimate != nil || v.Milestone != "" {
		t.Fatalf("the old estimate and schedule outlive the scope change: %+v", v)
	}

	// A scope change once development started cannot open a way to cancel.
	developing, envs := inStatus(t, custapi.StatusInDevelopment)
	evs, err = developing.Take(owner, custapi.Step{Step: custapi.StepChangeScope, Description: &desc})
	if err != nil {
		t.Fatal(err)
	}
	r = fold(t, append(envs, envelope(t, evs[0], owner, len(envs)+1)))
	if _, err := r.Take(owner, valid(custapi.StepCancel)); problem.CodeOf(err) != problem.CodeConflict || containsStep(r.Steps(owner), custapi.StepCancel) {
		t.Fatalf("cancel after development started: %v, steps %v", err, r.Steps(owner))
	}
}

// TestStaffSteps_match_the_authorization_matrix keeps the gateway's
// operation of each step route (contracts/authz) the same as the workflow
// here: staff steps are customization work, the rest the requester's.
func TestStaffSteps_match_the_authorization_matrix(t *testing.T) {
	for _, step := range custapi.Steps {
		want := authz.CustomizationDecide
		if staffSteps[step] {
			want = authz.CustomizationWork
		}
		if got := authz.CustomizationStep(step); got != want {
			t.Errorf("authz.CustomizationStep(%q) = %s, want %s", step, got, want)
		}
	}
}
