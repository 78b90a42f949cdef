package request

import (
	"fmt"

	"helpdesk/contracts/custapi"
	"helpdesk/contracts/events"
)

// FromEvents folds a request's events, in order.
func FromEvents(evs []events.Envelope) (*Request, error) {
	r := &Request{}
	for _, env := range evs {
		if err := r.apply(env); err != nil {
			return nil, fmt.Errorf("request event %d (%s): %w", env.AggregateVersion, env.Type, err)
		}
		r.id, r.version, r.updatedAt = env.AggregateID, env.AggregateVersion, env.OccurredAt
	}
	return r, nil
}

// apply folds one event: every step moves the request to the status the
// workflow gives it.
func (r *Request) apply(env events.Envelope) error {
	step := ""
	switch env.Type {
	case custapi.EventSubmitted:
		var p custapi.Submitted
		if err := env.Decode(&p); err != nil {
			return err
		}
		r.kind, r.title, r.description, r.justification = p.Kind, p.Title, p.Description, p.Justification
		r.desiredDate, r.ticketIDs, r.requester, r.createdAt = p.DesiredDate, p.TicketIDs, p.Requester, env.OccurredAt
		r.enter(custapi.StatusSubmitted, env)
		return nil
	case custapi.EventAssessmentStarted:
		step, r.assignee = custapi.StepAssess, env.Actor
	case custapi.EventRejected:
		var p custapi.Rejected
		if err := env.Decode(&p); err != nil {
			return err
		}
		step, r.rejectReason = custapi.StepReject, p.Reason
	case custapi.EventEstimated:
		var p custapi.Estimated
		if err := env.Decode(&p); err != nil {
			return err
		}
		step = custapi.StepEstimate
		r.estimate = &custapi.Estimate{EffortDays: p.EffortDays, Cost: p.Cost, PlannedStart: p.PlannedStart, PlannedEnd: p.PlannedEnd}
	case custapi.EventApproved:
		step = custapi.StepApprove
	case custapi.EventReestimateRequested:
		step = custapi.StepRequestReestimate
	case custapi.EventScopeChanged:
		var p custapi.ScopeChanged
		if err := env.Decode(&p); err != nil {
			return err
		}
		step = custapi.StepChangeScope
		r.estimate, r.milestone = nil, "" // a new estimate and schedule are needed
		if p.Description != "" {
			r.description = p.Description
		}
		if p.Justification != "" {
			r.justification = p.Justification
		}
	case custapi.EventScheduled:
		var p custapi.Scheduled
		if err := env.Decode(&p); err != nil {
			return err
		}
		step, r.milestone = custapi.StepSchedule, p.Milestone
	case custapi.EventDevelopmentStarted:
		step, r.developed = custapi.StepStartDevelopment, true
	case custapi.EventTestingStarted:
		step = custapi.StepStartTesting
	case custapi.EventDelivered:
		step = custapi.StepDeliver
	case custapi.EventAccepted:
		step = custapi.StepAccept
	case custapi.EventReworkRequested:
		step = custapi.StepRework
		r.reworkCount++
	case custapi.EventCancelled:
		step = custapi.StepCancel
	default:
		return nil
	}
	r.enter(workflow[step].to, env)
	return nil
}

func (r *Request) enter(status string, env events.Envelope) {
	if r.status != status {
		r.statusSince = env.OccurredAt
	}
	r.status = status
}
