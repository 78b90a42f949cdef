package ticket

import (
	"slices"
	"strings"
	"time"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/ticketapi"
)

// SLA targets named in ticket.sla_breached.
const (
	TargetFirstResponse = "first_response"
	TargetResolution    = "resolution"
)

// Defaults for fields a new ticket may leave out.
const (
	DefaultPriority = "P3"
	DefaultChannel  = "web"
)

// Open validates a new ticket and returns it with its ticket.opened event.
// Customers open tickets for themselves; staff may name another requester.
func Open(id string, a Actor, cmd ticketapi.OpenTicket, now time.Time, p Policy, cal Calendar) (*Ticket, []events.Payload, error) {
	requester := strings.TrimSpace(cmd.Requester)
	switch {
	case requester == "" || requester == a.ID:
		requester = a.ID
	case !authz.Allowed(a.Role, authz.TicketOpenForOther):
		return nil, nil, problem.New(problem.CodePermissionDenied, "customers can only open tickets for themselves")
	}
	if !authz.Allowed(a.Role, authz.TicketOpen) {
		return nil, nil, denied(a, authz.TicketOpen)
	}
	if cmd.Priority == "" {
		cmd.Priority = DefaultPriority
	}
	if cmd.Channel == "" {
		cmd.Channel = DefaultChannel
	}
	var bad []problem.FieldError
	title := strings.TrimSpace(cmd.Title)
	bad = problem.CheckText(bad, "title", title, ticketapi.MaxTitle, true, false)
	bad = problem.CheckText(bad, "description", cmd.Description, ticketapi.MaxDescription, false, true)
	bad = problem.CheckText(bad, "category", strings.TrimSpace(cmd.Category), ticketapi.MaxCategory, false, false)
	if !slices.Contains(ticketapi.Priorities, cmd.Priority) {
		bad = append(bad, problem.FieldError{Field: "priority", Message: "must be P1, P2, P3 or P4"})
	}
	if !slices.Contains(ticketapi.Channels, cmd.Channel) {
		bad = append(bad, problem.FieldError{Field: "channel", Message: "must be web, phone, remote or email"})
	}
	if len(bad) > 0 {
		return nil, nil, problem.Validation(bad...)
	}
	target := p.SLA[cmd.Priority]
	t := &Ticket{id: id}
	evs := t.record(now, ticketapi.Opened{
		Title: title, Description: cmd.Description, Category: strings.TrimSpace(cmd.Category),
		Priority: cmd.Priority, Channel: cmd.Channel, Requester: requester,
		FirstResponseDue: target.FirstResponse.After(now, cal).UTC(), ResolutionDue: target.Resolution.After(now, cal).UTC(),
	})
	return t, evs, nil
}

// Assign gives the ticket to a staff member. A new ticket becomes assigned;
// reassigning keeps the status.
func (t *Ticket) Assign(a Actor, assignee string, now time.Time) ([]events.Payload, error) {
	if err := may(a, authz.TicketAssign); err != nil {
		return nil, err
	}
	if strings.TrimSpace(assignee) == "" {
		return nil, problem.Validation(problem.FieldError{Field: "assignee", Message: "is required"})
	}
	if !t.isOpen() {
		return nil, t.invalid("assign")
	}
	if assignee == t.assignee {
		return nil, problem.New(problem.CodeConflict, "the ticket is already assigned to %s", assignee)
	}
	return t.record(now, ticketapi.Assigned{Assignee: assignee, PreviousAssignee: t.assignee}), nil
}

// StartWork moves an assigned ticket to in_progress.
func (t *Ticket) StartWork(a Actor, now time.Time) ([]events.Payload, error) {
	if err := may(a, authz.TicketStart); err != nil {
		return nil, err
	}
	if t.status != ticketapi.StatusAssigned {
		return nil, t.invalid("start work on")
	}
	return t.record(now, ticketapi.WorkStarted{}), nil
}

// Reply adds a public reply or, for staff, an internal note. A staff reply
// with awaitCustomer puts the ticket on waiting_on_customer; the requester's
// answer takes it back to in_progress. Resolved tickets take comments
// without a change of status; closed tickets take nothing.
func (t *Ticket) Reply(a Actor, replyID, body string, internal, awaitCustomer bool, now time.Time) ([]events.Payload, error) {
	if !t.CanView(a) {
		return nil, problem.NotFound("ticket", t.id)
	}
	if err := may(a, authz.TicketReply); err != nil {
		return nil, err
	}
	staff := authz.Allowed(a.Role, authz.TicketWork)
	if (internal || awaitCustomer) && !(authz.Allowed(a.Role, authz.TicketInternalNote) && staff) {
		return nil, problem.New(problem.CodePermissionDenied, "only agents, supervisors and admins can write internal notes or wait for the customer")
	}
	var bad []problem.FieldError
	if bad = problem.CheckText(bad, "body", body, ticketapi.MaxReply, true, true); len(bad) > 0 {
		return nil, problem.Validation(bad...)
	}
	if internal && awaitCustomer {
		return nil, problem.Validation(problem.FieldError{Field: "await_customer", Message: "an internal note cannot wait for the customer"})
	}
	if t.status == ticketapi.StatusClosed {
		return nil, t.invalid("reply to")
	}
	status := t.status
	switch {
	case awaitCustomer:
		if t.status != ticketapi.StatusAssigned && t.status != ticketapi.StatusInProgress && t.status != ticketapi.StatusWaitingOnCustomer {
			return nil, t.invalid("wait for the customer on")
		}
		status = ticketapi.StatusWaitingOnCustomer
	case a.ID == t.requester && t.status == ticketapi.StatusWaitingOnCustomer:
		status = ticketapi.StatusInProgress
	}
	return t.record(now, ticketapi.Replied{
		ReplyID: replyID, Author: a.ID, AuthorRole: a.Role, Body: body, Internal: internal,
		FirstResponse: staff && !internal && t.firstRespondedAt == nil, Status: status,
	}), nil
}

// Resolve records the resolution of an open ticket and starts the waiting
// period after which it closes itself.
func (t *Ticket) Resolve(a Actor, resolution string, now time.Time, p Policy, cal Calendar) ([]events.Payload, error) {
	if err := may(a, authz.TicketResolve); err != nil {
		return nil, err
	}
	var bad []problem.FieldError
	if bad = problem.CheckText(bad, "resolution", resolution, ticketapi.MaxReply, true, true); len(bad) > 0 {
		return nil, problem.Validation(bad...)
	}
	if !t.isOpen() {
		return nil, t.invalid("resolve")
	}
	return t.record(now, ticketapi.Resolved{Resolution: resolution, AutoCloseAt: cal.AddWorkingDays(now, p.AutoCloseAfter).UTC()}), nil
}

// Close closes the ticket: the requester confirms a resolved ticket, an
// admin closes any ticket that is not closed yet, giving a reason, or an
// internal component closes a resolved ticket on its own, giving a reason
// (the satisfaction service when the requester's survey expired).
func (t *Ticket) Close(a Actor, reason string, now time.Time) ([]events.Payload, error) {
	reason = strings.TrimSpace(reason)
	var bad []problem.FieldError
	if bad = problem.CheckText(bad, "reason", reason, ticketapi.MaxReason, false, true); len(bad) > 0 {
		return nil, problem.Validation(bad...)
	}
	if t.status == ticketapi.StatusClosed {
		return nil, t.invalid("close")
	}
	switch {
	case a.ID == t.requester && t.status == ticketapi.StatusResolved:
		return t.record(now, ticketapi.Closed{Reason: reason, ConfirmedByRequester: true}), nil
	case authz.Allowed(a.Role, authz.TicketCloseAny):
		if reason == "" {
			return nil, problem.Validation(problem.FieldError{Field: "reason", Message: "an admin or supervisor closing a ticket must give a reason"})
		}
		return t.record(now, ticketapi.Closed{Reason: reason}), nil
	case a.ID == t.requester:
		return nil, t.invalid("confirm")
	case a.IsSystem() && t.status == ticketapi.StatusResolved && reason != "":
		return t.record(now, ticketapi.Closed{Reason: reason, Automatic: true}), nil
	case a.IsSystem():
		return nil, t.invalid("close")
	}
	return nil, problem.New(problem.CodePermissionDenied, "only the requester (confirming the resolution), a supervisor or an admin can close a ticket")
}

// AutoCloseDue reports whether the ticket waits for auto-close and its time
// has come.
func (t *Ticket) AutoCloseDue(now time.Time) bool {
	return t.status == ticketapi.StatusResolved && t.autoCloseAt != nil && !now.Before(*t.autoCloseAt)
}

// AutoClose closes a resolved ticket whose requester did not confirm within
// the waiting period.
func (t *Ticket) AutoClose(now time.Time) ([]events.Payload, error) {
	if !t.AutoCloseDue(now) {
		return nil, problem.New(problem.CodeConflict, "the ticket is %s and not due for auto-close", t.status)
	}
	return t.record(now, ticketapi.Closed{Reason: "auto", Automatic: true}), nil
}

// Reopen reopens a resolved or closed ticket within the reopen window after
// its resolution. It goes back to in_progress when it has an assignee and to
// new otherwise, with a new resolution deadline.
func (t *Ticket) Reopen(a Actor, reason string, now time.Time, p Policy, cal Calendar) ([]events.Payload, error) {
	if !t.CanView(a) {
		return nil, problem.NotFound("ticket", t.id)
	}
	if err := may(a, authz.TicketReopen); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	var bad []problem.FieldError
	if bad = problem.CheckText(bad, "reason", reason, ticketapi.MaxReason, true, true); len(bad) > 0 {
		return nil, problem.Validation(bad...)
	}
	if t.status != ticketapi.StatusResolved && t.status != ticketapi.StatusClosed {
		return nil, t.invalid("reopen")
	}
	if t.resolvedAt != nil && !now.Before(cal.AddWorkingDays(*t.resolvedAt, p.ReopenWindow)) {
		return nil, problem.New(problem.CodeConflict, "the ticket was resolved more than %d working days ago and can no longer be reopened; open a new one", p.ReopenWindow)
	}
	return t.record(now, ticketapi.Reopened{Reason: reason, ResolutionDue: p.SLA[t.priority].Resolution.After(now, cal).UTC()}), nil
}

// RecordSLABreaches returns a ticket.sla_breached event for each SLA target
// of an open ticket whose deadline has passed and is not recorded yet.
func (t *Ticket) RecordSLABreaches(now time.Time) []events.Payload {
	if !t.isOpen() {
		return nil
	}
	var due []events.Payload
	if t.firstRespondedAt == nil && !t.firstResponseBreached && now.After(t.firstResponseDue) {
		due = append(due, ticketapi.SLABreached{Target: TargetFirstResponse, DueAt: t.firstResponseDue})
	}
	if !t.resolutionBreached && now.After(t.resolutionDue) {
		due = append(due, ticketapi.SLABreached{Target: TargetResolution, DueAt: t.resolutionDue})
	}
	return t.record(now, due...)
}
