// Package request is a custom-development request and its workflow: from
// submission through assessment, estimate and the requester's approval,
// scheduling, development and testing to delivery and the requester's
// acceptance, with rejection, re-estimates, scope changes, rework and
// cancellation. Each step is taken by the role the workflow names; any
// other step is a domain error. It does no I/O and reads no clock.
package request

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"helpdesk/contracts/custapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
)

// Actor is who takes a step.
type Actor = identityapi.Actor

// Who may take a step.
type who int

const (
	staff who = iota + 1
	requester
)

// rule is a step of the workflow: the statuses it leaves, the status it
// enters and who takes it.
type rule struct {
	from []string
	to   string
	by   who
}

// workflow is the state machine, by step.
var workflow = map[string]rule{
	custapi.StepAssess:            {[]string{custapi.StatusSubmitted}, custapi.StatusUnderAssessment, staff},
	custapi.StepReject:            {[]string{custapi.StatusSubmitted, custapi.StatusUnderAssessment}, custapi.StatusRejected, staff},
	custapi.StepEstimate:          {[]string{custapi.StatusUnderAssessment}, custapi.StatusEstimated, staff},
	custapi.StepApprove:           {[]string{custapi.StatusEstimated}, custapi.StatusApproved, requester},
	custapi.StepRequestReestimate: {[]string{custapi.StatusEstimated}, custapi.StatusUnderAssessment, requester},
	custapi.StepChangeScope: {[]string{custapi.StatusApproved, custapi.StatusScheduled, custapi.StatusInDevelopment, custapi.StatusInTesting},
		custapi.StatusUnderAssessment, requester},
	custapi.StepSchedule:         {[]string{custapi.StatusApproved}, custapi.StatusScheduled, staff},
	custapi.StepStartDevelopment: {[]string{custapi.StatusScheduled}, custapi.StatusInDevelopment, staff},
	custapi.StepStartTesting:     {[]string{custapi.StatusInDevelopment}, custapi.StatusInTesting, staff},
	custapi.StepDeliver:          {[]string{custapi.StatusInTesting}, custapi.StatusDelivered, staff},
	custapi.StepAccept:           {[]string{custapi.StatusDelivered}, custapi.StatusAccepted, requester},
	custapi.StepRework:           {[]string{custapi.StatusDelivered}, custapi.StatusInDevelopment, requester},
	custapi.StepCancel: {[]string{custapi.StatusSubmitted, custapi.StatusUnderAssessment, custapi.StatusEstimated,
		custapi.StatusApproved, custapi.StatusScheduled}, custapi.StatusCancelled, requester},
}

// Next is the status a step leads to, and whether the step exists.
func Next(step string) (string, bool) {
	r, ok := workflow[step]
	return r.to, ok
}

// Request is one request.
type Request struct {
	id, kind, title, description, justification, desiredDate string
	ticketIDs                                                []string
	requester, assignee, status, milestone, rejectReason     string
	estimate                                                 *custapi.Estimate
	reworkCount                                              int
	// developed tells that development started once: the request can no
	// longer be cancelled, even after a scope change.
	developed                         bool
	version                           uint64
	createdAt, updatedAt, statusSince time.Time
}

// Limits of a request's text.
const (
	MaxTitle         = 200
	MaxDescription   = 20000
	MaxJustification = 5000
	MaxComment       = 2000
	MaxReason        = 2000
	MaxTickets       = 20
)

// Submit makes a new request with the given id, submitted by the actor.
func Submit(a Actor, cmd custapi.Submit) ([]events.Payload, error) {
	cmd.Title, cmd.Description, cmd.Justification = strings.TrimSpace(cmd.Title), strings.TrimSpace(cmd.Description), strings.TrimSpace(cmd.Justification)
	var bad []problem.FieldError
	if !slices.Contains(custapi.Kinds, cmd.Kind) {
		bad = append(bad, problem.FieldError{Field: "kind", Message: "must be one of " + strings.Join(custapi.Kinds, ", ")})
	}
	bad = problem.CheckText(bad, "title", cmd.Title, MaxTitle, true, false)
	bad = problem.CheckText(bad, "description", cmd.Description, MaxDescription, false, true)
	bad = problem.CheckText(bad, "justification", cmd.Justification, MaxJustification, false, true)
	bad = checkDate(bad, "desired_date", cmd.DesiredDate, false)
	if len(cmd.TicketIDs) > MaxTickets {
		bad = append(bad, problem.FieldError{Field: "ticket_ids", Message: fmt.Sprintf("at most %d tickets", MaxTickets)})
	}
	for _, id := range cmd.TicketIDs {
		if uuid.Validate(id) != nil {
			bad = append(bad, problem.FieldError{Field: "ticket_ids", Message: fmt.Sprintf("%q is not a ticket id", id)})
			break
		}
	}
	if len(bad) > 0 {
		return nil, problem.Validation(bad...)
	}
	return []events.Payload{custapi.Submitted{Kind: cmd.Kind, Title: cmd.Title, Description: cmd.Description,
		Justification: cmd.Justification, DesiredDate: cmd.DesiredDate, TicketIDs: slices.Compact(slices.Sorted(slices.Values(cmd.TicketIDs))),
		Requester: a.ID}}, nil
}

// checkDate appends an error unless s is a date like 2026-12-31 (or
// empty, when not required).
func checkDate(bad []problem.FieldError, field, s string, required bool) []problem.FieldError {
	if s == "" && !required {
		return bad
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return append(bad, problem.FieldError{Field: field, Message: "must be a date like 2026-12-31"})
	}
	return bad
}
