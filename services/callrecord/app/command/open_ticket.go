package command

import (
	"context"

	"github.com/google/uuid"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/ticketapi"
	"helpdesk/services/callrecord/domain/call"
)

// Tickets opens tickets in the ticket service.
type Tickets interface {
	// Open opens a ticket as the caller in ctx and returns its id.
	Open(ctx context.Context, cmd ticketapi.OpenTicket) (string, error)
}

// OpenTicketHandler opens tickets from calls.
type OpenTicketHandler struct {
	d       Deps
	tickets Tickets
}

// NewOpenTicketHandler returns the handler.
func NewOpenTicketHandler(d Deps, tickets Tickets) OpenTicketHandler {
	d.mustBeComplete("NewOpenTicketHandler")
	if tickets == nil {
		panic("NewOpenTicketHandler: nil Tickets")
	}
	return OpenTicketHandler{d: d, tickets: tickets}
}

// Handle opens a ticket with channel phone from the call and links the
// two. A call has one ticket: asking again answers the ticket it has. The
// ticket's id derives from the call, so whoever opens it first, two agents
// at once or a retry after a crash between opening and linking find that
// ticket and link it; none opens a second.
func (h OpenTicketHandler) Handle(ctx context.Context, cmd callapi.OpenTicket) (callapi.TicketFromCall, error) {
	out := callapi.TicketFromCall{CallID: cmd.CallID}
	if err := mayAct(ctx, "opening a ticket from a call", authz.CallTicketOpen); err != nil {
		return out, err
	}
	if known, err := h.d.Known.Known(ctx, cmd.CallID); err != nil || !known {
		return out, problem.Or(err, notFoundCall(cmd.CallID))
	}
	c, _, err := h.d.Calls.Load(ctx, callapi.CallAggregateID(cmd.CallID))
	if err == nil && c.TicketID() != "" {
		out.TicketID = c.TicketID()
		return out, nil
	}
	id := uuid.NewSHA1(uuid.NameSpaceURL, []byte("helpdesk:call-ticket:"+cmd.CallID)).String()
	_, err = h.tickets.Open(ctx, ticketapi.OpenTicket{
		ID: id, Title: cmd.Title, Description: cmd.Description, Category: cmd.Category, Priority: cmd.Priority,
		Channel: "phone", Requester: cmd.Requester,
	})
	created := err == nil
	if err != nil && problem.CodeOf(err) != problem.CodeConflict { // a conflict: it was opened before
		return out, err
	}
	linked, err := h.d.Calls.Update(ctx, callapi.CallAggregateID(cmd.CallID), 0, func(c *call.Call) ([]events.Payload, error) {
		return c.LinkTicket(cmd.CallID, id)
	})
	if err != nil {
		return out, err
	}
	out.TicketID, out.Created = linked.TicketID(), created
	return out, nil
}
