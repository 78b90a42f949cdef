// Package ticketapi is the ticket service's published language: the payloads
// of its events, the requests its NATS endpoints accept, and the views they
// return.
package ticketapi

import "time"

// Source is the CloudEvents source of ticket events.
const Source = "/helpdesk/ticket"

// Event types of the ticket aggregate.
const (
	EventOpened      = "ticket.opened"
	EventAssigned    = "ticket.assigned"
	EventWorkStarted = "ticket.work_started"
	EventReplied     = "ticket.replied"
	EventResolved    = "ticket.resolved"
	EventClosed      = "ticket.closed"
	EventReopened    = "ticket.reopened"
	EventSLABreached = "ticket.sla_breached"
)

// Opened is the payload of ticket.opened.
type Opened struct {
	Title       string `json:"title" jsonschema:"maxLength=200,minLength=1"`
	Description string `json:"description" jsonschema:"maxLength=20000"`
	Category    string `json:"category,omitempty"`
	// Priority is P1 (most urgent) to P4.
	Priority string `json:"priority" jsonschema:"enum=P1,enum=P2,enum=P3,enum=P4"`
	// Channel is how the question reached us.
	Channel string `json:"channel" jsonschema:"enum=web,enum=phone,enum=remote,enum=email"`
	// Requester is the user id of the person who has the problem.
	Requester string `json:"requester"`
	// FirstResponseDue and ResolutionDue are the SLA deadlines for this ticket.
	FirstResponseDue time.Time `json:"first_response_due"`
	ResolutionDue    time.Time `json:"resolution_due"`
}

// Assigned is the payload of ticket.assigned.
type Assigned struct {
	Assignee         string `json:"assignee"`
	PreviousAssignee string `json:"previous_assignee,omitempty"`
}

// WorkStarted is the payload of ticket.work_started: the assignee has begun.
type WorkStarted struct{}

// Replied is the payload of ticket.replied: a public reply or an internal note.
type Replied struct {
	ReplyID    string `json:"reply_id"`
	Author     string `json:"author"`
	AuthorRole string `json:"author_role"`
	Body       string `json:"body" jsonschema:"maxLength=20000,minLength=1"`
	// Internal notes are visible to staff only.
	Internal bool `json:"internal"`
	// FirstResponse is true for the first public reply by staff.
	FirstResponse bool `json:"first_response,omitempty"`
	// Status is the ticket status after the reply (a staff reply may put the
	// ticket on waiting_on_customer; the requester's answer takes it back to
	// in_progress).
	Status string `json:"status"`
}

// Resolved is the payload of ticket.resolved.
type Resolved struct {
	Resolution string `json:"resolution" jsonschema:"maxLength=20000,minLength=1"`
	// AutoCloseAt is when the ticket closes itself unless confirmed or reopened.
	AutoCloseAt time.Time `json:"auto_close_at"`
}

// Closed is the payload of ticket.closed.
type Closed struct {
	// Reason is given when an admin closes a ticket, or "auto" for auto-close.
	Reason string `json:"reason,omitempty"`
	// ConfirmedByRequester is true when the requester confirmed the resolution.
	ConfirmedByRequester bool `json:"confirmed_by_requester"`
	// Automatic is true when the ticket closed itself after the waiting period.
	Automatic bool `json:"automatic"`
}

// Reopened is the payload of ticket.reopened.
type Reopened struct {
	Reason string `json:"reason" jsonschema:"maxLength=2000,minLength=1"`
	// ResolutionDue is the new resolution deadline.
	ResolutionDue time.Time `json:"resolution_due"`
}

// SLABreached is the payload of ticket.sla_breached.
type SLABreached struct {
	// Target is "first_response" or "resolution".
	Target string    `json:"target" jsonschema:"enum=first_response,enum=resolution"`
	DueAt  time.Time `json:"due_at"`
}

// EventType implements events.Payload.
func (Opened) EventType() string { return EventOpened }

// EventType implements events.Payload.
func (Assigned) EventType() string { return EventAssigned }

// EventType implements events.Payload.
func (WorkStarted) EventType() string { return EventWorkStarted }

// EventType implements events.Payload.
func (Replied) EventType() string { return EventReplied }

// EventType implements events.Payload.
func (Resolved) EventType() string { return EventResolved }

// EventType implements events.Payload.
func (Closed) EventType() string { return EventClosed }

// EventType implements events.Payload.
func (Reopened) EventType() string { return EventReopened }

// EventType implements events.Payload.
func (SLABreached) EventType() string { return EventSLABreached }

// SchemaVersion implements events.Payload.
func (Opened) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (Assigned) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (WorkStarted) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (Replied) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (Resolved) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (Closed) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (Reopened) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (SLABreached) SchemaVersion() int { return 1 }
