package command

import (
	"context"

	"github.com/google/uuid"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/aggregate"
	"helpdesk/services/ticket/domain/ticket"
)

// OpenTicketHandler opens tickets.
type OpenTicketHandler struct {
	d     Deps
	users UserDirectory
}

// NewOpenTicketHandler returns the handler; users checks the requester that
// staff name when they open a ticket on someone's behalf.
func NewOpenTicketHandler(d Deps, users UserDirectory) OpenTicketHandler {
	d.mustBeComplete("NewOpenTicketHandler")
	if users == nil {
		panic("NewOpenTicketHandler: nil UserDirectory")
	}
	return OpenTicketHandler{d: d, users: users}
}

// Handle opens a ticket. A retried request with the same idempotency key
// returns the ticket the first attempt opened.
func (h OpenTicketHandler) Handle(ctx context.Context, cmd ticketapi.OpenTicket) (ticketapi.Ticket, error) {
	actor := actorOf(ctx)
	if cmd.Requester != "" && cmd.Requester != actor.ID && authz.Allowed(actor.Role, authz.TicketOpenForOther) {
		if _, err := roleOf(ctx, h.users, "requester", cmd.Requester); err != nil {
			return ticketapi.Ticket{}, err
		}
	}
	id := aggregate.IDFor(ctx)
	if cmd.ID != "" {
		if !authz.Allowed(actor.Role, authz.TicketOpenForOther) {
			return ticketapi.Ticket{}, problem.New(problem.CodePermissionDenied, "only staff choose a ticket's id")
		}
		if uuid.Validate(cmd.ID) != nil {
			return ticketapi.Ticket{}, problem.InvalidArgument("id", "must be a UUID")
		}
		id = cmd.ID
	}
	t, err := h.d.Repo.Create(ctx, id, func() ([]events.Payload, error) {
		_, evs, err := ticket.Open(id, actor, cmd, h.d.Clock(), h.d.Policy, h.d.Calendar)
		return evs, err
	})
	if err != nil {
		return ticketapi.Ticket{}, err
	}
	return t.View(actor), nil
}
