// Package ticket is the ticket aggregate: a user's question or an incident,
// from opening to closing, with its replies, SLA deadlines and the closed
// loop of resolution and confirmation. It does no I/O: commands take the
// time and a working-day calendar, and return the events to store.
package ticket

import (
	"fmt"
	"time"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/ticketapi"
)

// Actor is who runs a command.
type Actor = identityapi.Actor

// SystemActor is an internal component acting on tickets.
func SystemActor(component string) Actor { return identityapi.SystemActor(component) }

// Ticket is rebuilt from its events; its fields change only by applying them.
type Ticket struct {
	id, status                      string
	title, description, category    string
	priority, channel               string
	requester, assignee, resolution string
	version                         uint64
	replies                         []ticketapi.Reply
	firstResponseDue, resolutionDue time.Time
	firstRespondedAt                *time.Time
	firstResponseBreached           bool
	resolutionBreached              bool
	reopenCount                     int
	createdAt, updatedAt            time.Time
	resolvedAt, autoCloseAt         *time.Time
	closedAt                        *time.Time
}

// FromEvents rebuilds a ticket from its events in order.
func FromEvents(evs []events.Envelope) (*Ticket, error) {
	t := &Ticket{}
	for _, e := range evs {
		p, err := decode(e)
		if err != nil {
			return nil, err
		}
		t.apply(p, e.OccurredAt)
		t.version = e.AggregateVersion
		if t.id == "" {
			t.id = e.AggregateID
		}
	}
	return t, nil
}

func decode(e events.Envelope) (events.Payload, error) {
	switch e.Type {
	case ticketapi.EventOpened:
		return decodeAs[ticketapi.Opened](e)
	case ticketapi.EventAssigned:
		return decodeAs[ticketapi.Assigned](e)
	case ticketapi.EventWorkStarted:
		return decodeAs[ticketapi.WorkStarted](e)
	case ticketapi.EventReplied:
		return decodeAs[ticketapi.Replied](e)
	case ticketapi.EventResolved:
		return decodeAs[ticketapi.Resolved](e)
	case ticketapi.EventClosed:
		return decodeAs[ticketapi.Closed](e)
	case ticketapi.EventReopened:
		return decodeAs[ticketapi.Reopened](e)
	case ticketapi.EventSLABreached:
		return decodeAs[ticketapi.SLABreached](e)
	}
	return nil, fmt.Errorf("ticket %s: unknown event type %q", e.AggregateID, e.Type)
}

func decodeAs[T events.Payload](e events.Envelope) (events.Payload, error) {
	var p T
	err := e.Decode(&p)
	return p, err
}

// apply changes the ticket by one event that happened at `at`.
func (t *Ticket) apply(p events.Payload, at time.Time) {
	t.updatedAt = at
	switch e := p.(type) {
	case ticketapi.Opened:
		t.status, t.title, t.description, t.category = ticketapi.StatusNew, e.Title, e.Description, e.Category
		t.priority, t.channel, t.requester = e.Priority, e.Channel, e.Requester
		t.firstResponseDue, t.resolutionDue, t.createdAt = e.FirstResponseDue, e.ResolutionDue, at
	case ticketapi.Assigned:
		t.assignee = e.Assignee
		if t.status == ticketapi.StatusNew {
			t.status = ticketapi.StatusAssigned
		}
	case ticketapi.WorkStarted:
		t.status = ticketapi.StatusInProgress
	case ticketapi.Replied:
		t.replies = append(t.replies, ticketapi.Reply{
			ID: e.ReplyID, Author: e.Author, AuthorRole: e.AuthorRole, Body: e.Body, Internal: e.Internal, CreatedAt: at,
		})
		if e.FirstResponse {
			t.firstRespondedAt = &at
		}
		t.status = e.Status
	case ticketapi.Resolved:
		t.status, t.resolution = ticketapi.StatusResolved, e.Resolution
		closeAt := e.AutoCloseAt
		t.resolvedAt, t.autoCloseAt = &at, &closeAt
	case ticketapi.Closed:
		t.status, t.closedAt, t.autoCloseAt = ticketapi.StatusClosed, &at, nil
	case ticketapi.Reopened:
		t.status = ticketapi.StatusNew
		if t.assignee != "" {
			t.status = ticketapi.StatusInProgress
		}
		t.resolutionDue, t.resolutionBreached = e.ResolutionDue, false
		t.resolution, t.resolvedAt, t.autoCloseAt, t.closedAt = "", nil, nil, nil
		t.reopenCount++
	case ticketapi.SLABreached:
		if e.Target == TargetFirstResponse {
			t.firstResponseBreached = true
		} else {
			t.resolutionBreached = true
		}
	}
}

// record applies new events and returns them for storing.
func (t *Ticket) record(now time.Time, ps ...events.Payload) []events.Payload {
	for _, p := range ps {
		t.apply(p, now)
	}
	return ps
}

// Version is the stream sequence of the ticket's last event.
func (t *Ticket) Version() uint64 { return t.version }

// ID is the ticket's id.
func (t *Ticket) ID() string { return t.id }

// Status is the ticket's status.
func (t *Ticket) Status() string { return t.status }

// Requester is the user id of the person the ticket is for.
func (t *Ticket) Requester() string { return t.requester }

// CanView reports whether the actor may see the ticket: roles the matrix
// lets read every ticket (staff, the auditor) and the system see every
// ticket, anyone else the tickets they requested.
func (t *Ticket) CanView(a Actor) bool {
	return authz.Allowed(a.Role, authz.TicketReadAll) || a.IsSystem() || a.ID != "" && a.ID == t.requester
}

// seesInternalNotes reports whether the actor may read internal notes:
// agents, supervisors, admins and the system; never customers or auditors.
func seesInternalNotes(a Actor) bool {
	return authz.Allowed(a.Role, authz.TicketInternalNote) || a.IsSystem()
}

// CanSeeEvent reports whether the actor may see an event in a ticket's
// history: everything but internal notes, which are for staff only.
func CanSeeEvent(a Actor, e events.Envelope) (bool, error) {
	if e.Type != ticketapi.EventReplied || seesInternalNotes(a) {
		return true, nil
	}
	var r ticketapi.Replied
	if err := e.Decode(&r); err != nil {
		return false, err
	}
	return !r.Internal, nil
}

// View renders the ticket as the actor may see it: internal notes are for
// staff only.
func (t *Ticket) View(a Actor) ticketapi.Ticket {
	replies := make([]ticketapi.Reply, 0, len(t.replies))
	for _, r := range t.replies {
		if r.Internal && !seesInternalNotes(a) {
			continue
		}
		replies = append(replies, r)
	}
	return ticketapi.Ticket{
		ID: t.id, Version: t.version, Status: t.status, Title: t.title, Description: t.description,
		Category: t.category, Priority: t.priority, Channel: t.channel, Requester: t.requester,
		Assignee: t.assignee, Replies: replies, Resolution: t.resolution, ReopenCount: t.reopenCount,
		SLA: ticketapi.SLA{
			FirstResponseDue: t.firstResponseDue, ResolutionDue: t.resolutionDue, FirstRespondedAt: t.firstRespondedAt,
			FirstResponseBreached: t.firstResponseBreached, ResolutionBreached: t.resolutionBreached,
		},
		CreatedAt: t.createdAt, UpdatedAt: t.updatedAt, ResolvedAt: t.resolvedAt, AutoCloseAt: t.autoCloseAt, ClosedAt: t.closedAt,
	}
}

func (t *Ticket) isOpen() bool {
	switch t.status {
	case ticketapi.StatusNew, ticketapi.StatusAssigned, ticketapi.StatusInProgress, ticketapi.StatusWaitingOnCustomer:
		return true
	}
	return false
}

// invalid is the error for a command the ticket's status does not allow.
func (t *Ticket) invalid(what string) error {
	return problem.New(problem.CodeConflict, "cannot %s a ticket that is %s", what, t.status)
}

// may refuses an actor whose role the authorization matrix does not allow op.
func may(a Actor, op authz.Operation) error {
	if authz.Allowed(a.Role, op) {
		return nil
	}
	return denied(a, op)
}

func denied(a Actor, op authz.Operation) error {
	rule, _ := authz.Lookup(op)
	return problem.New(problem.CodePermissionDenied, "your role (%s) may not %s", a.Role, rule.Summary)
}
