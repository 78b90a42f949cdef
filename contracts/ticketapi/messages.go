package ticketapi

import (
	"time"

	"helpdesk/contracts/events"
)

// Endpoint names of the ticket service (see subjects.Endpoint).
const (
	EndpointOpen    = "open"
	EndpointAssign  = "assign"
	EndpointStart   = "start"
	EndpointReply   = "reply"
	EndpointResolve = "resolve"
	EndpointClose   = "close"
	EndpointReopen  = "reopen"
	EndpointGet     = "get"
	EndpointList    = "list"
	EndpointEvents  = "events"
)

// OpenTicket asks to open a ticket. The requester is the caller unless staff
// open a ticket on someone's behalf.
type OpenTicket struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Category    string `json:"category,omitempty"`
	Priority    string `json:"priority,omitempty"`
	Channel     string `json:"channel,omitempty"`
	Requester   string `json:"requester,omitempty"`
	// ID, which only other services give (never the REST API), is the new
	// ticket's id, a UUID derived from what the ticket is opened from, so
	// that whoever opens it first, the others find it: opening an id that
	// exists is a conflict.
	ID string `json:"id,omitempty"`
}

// Target names the ticket a command applies to and, optionally, the version
// the client last saw (from If-Match); zero means "whatever is current".
type Target struct {
	TicketID        string `json:"ticket_id"`
	ExpectedVersion uint64 `json:"expected_version,omitempty"`
}

// AssignTicket assigns a ticket to a staff user.
type AssignTicket struct {
	Target
	Assignee string `json:"assignee"`
}

// StartWork moves an assigned ticket to in_progress.
type StartWork struct {
	Target
}

// AddReply adds a public reply or an internal note. AwaitCustomer, on a staff
// reply, puts the ticket on waiting_on_customer.
type AddReply struct {
	Target
	Body          string `json:"body"`
	Internal      bool   `json:"internal"`
	AwaitCustomer bool   `json:"await_customer,omitempty"`
}

// ResolveTicket resolves a ticket with a resolution note.
type ResolveTicket struct {
	Target
	Resolution string `json:"resolution"`
}

// CloseTicket closes a resolved ticket: the requester's confirmation, or an
// admin's decision with a reason.
type CloseTicket struct {
	Target
	Reason string `json:"reason,omitempty"`
}

// ReopenTicket reopens a resolved or closed ticket within the reopen window.
type ReopenTicket struct {
	Target
	Reason string `json:"reason"`
}

// GetTicket asks for one ticket, read from its events (always current).
type GetTicket struct {
	TicketID string `json:"ticket_id"`
	// AsOf, when set, asks for the ticket as it stood at that moment: rebuilt
	// from its events that occurred at or before it. It must not be in the
	// future.
	AsOf *time.Time `json:"as_of,omitempty"`
}

// ListTickets asks for a page of tickets from the list read model.
type ListTickets struct {
	Status    string `json:"status,omitempty"`
	Assignee  string `json:"assignee,omitempty"`
	Requester string `json:"requester,omitempty"`
	Category  string `json:"category,omitempty"`
	Priority  string `json:"priority,omitempty"`
	Limit     int    `json:"limit,omitempty"`
	Cursor    string `json:"cursor,omitempty"`
}

// GetEvents asks for a ticket's full event history.
type GetEvents struct {
	TicketID string `json:"ticket_id"`
}

// Reply is one reply or internal note on a ticket.
type Reply struct {
	ID         string    `json:"id"`
	Author     string    `json:"author"`
	AuthorRole string    `json:"author_role"`
	Body       string    `json:"body"`
	Internal   bool      `json:"internal"`
	CreatedAt  time.Time `json:"created_at"`
}

// SLA is a ticket's service-level state.
type SLA struct {
	FirstResponseDue      time.Time  `json:"first_response_due"`
	ResolutionDue         time.Time  `json:"resolution_due"`
	FirstRespondedAt      *time.Time `json:"first_responded_at,omitempty"`
	FirstResponseBreached bool       `json:"first_response_breached"`
	ResolutionBreached    bool       `json:"resolution_breached"`
}

// Ticket is the full view of one ticket.
type Ticket struct {
	ID          string     `json:"id"`
	Version     uint64     `json:"version"`
	Status      string     `json:"status"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Category    string     `json:"category"`
	Priority    string     `json:"priority"`
	Channel     string     `json:"channel"`
	Requester   string     `json:"requester"`
	Assignee    string     `json:"assignee"`
	Replies     []Reply    `json:"replies"`
	Resolution  string     `json:"resolution"`
	SLA         SLA        `json:"sla"`
	ReopenCount int        `json:"reopen_count"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	ResolvedAt  *time.Time `json:"resolved_at,omitempty"`
	AutoCloseAt *time.Time `json:"auto_close_at,omitempty"`
	ClosedAt    *time.Time `json:"closed_at,omitempty"`
}

// Summary is one row of a ticket list.
type Summary struct {
	ID        string    `json:"id"`
	Version   uint64    `json:"version"`
	Status    string    `json:"status"`
	Title     string    `json:"title"`
	Category  string    `json:"category"`
	Priority  string    `json:"priority"`
	Channel   string    `json:"channel"`
	Requester string    `json:"requester"`
	Assignee  string    `json:"assignee"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Page is a page of ticket summaries; NextCursor is empty on the last page.
type Page struct {
	Items      []Summary `json:"items"`
	NextCursor string    `json:"next_cursor"`
}

// Event is one entry of a ticket's history as shown to clients.
type Event = events.HistoryEntry

// History is a ticket's event history.
type History struct {
	TicketID string  `json:"ticket_id"`
	Events   []Event `json:"events"`
}
