package command

import (
	"context"
	"time"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/ticketapi"
	"helpdesk/services/ticket/domain/ticket"
)

// UserDirectory looks up accounts; assignees must exist and be staff.
type UserDirectory interface {
	// Role returns the role of the user, or a problem.CodeNotFound error.
	Role(ctx context.Context, userID string) (string, error)
}

// roleOf returns the role of the user a request names in field; an unknown
// user is a validation error on that field.
func roleOf(ctx context.Context, users UserDirectory, field, userID string) (string, error) {
	role, err := users.Role(ctx, userID)
	if problem.CodeOf(err) == problem.CodeNotFound {
		return "", problem.Validation(problem.FieldError{Field: field, Message: "no such user"})
	}
	return role, err
}

// AssignTicketHandler assigns tickets to staff.
type AssignTicketHandler struct {
	d     Deps
	users UserDirectory
}

// NewAssignTicketHandler returns the handler.
func NewAssignTicketHandler(d Deps, users UserDirectory) AssignTicketHandler {
	d.mustBeComplete("NewAssignTicketHandler")
	if users == nil {
		panic("NewAssignTicketHandler: nil UserDirectory")
	}
	return AssignTicketHandler{d: d, users: users}
}

// Handle assigns the ticket to cmd.Assignee, whose role must work tickets
// (an agent, a supervisor or an admin).
func (h AssignTicketHandler) Handle(ctx context.Context, cmd ticketapi.AssignTicket) (ticketapi.Ticket, error) {
	if authz.Allowed(actorOf(ctx).Role, authz.TicketAssign) {
		role, err := roleOf(ctx, h.users, "assignee", cmd.Assignee)
		if err != nil {
			return ticketapi.Ticket{}, err
		}
		if !authz.Allowed(role, authz.TicketWork) {
			return ticketapi.Ticket{}, problem.Validation(problem.FieldError{Field: "assignee", Message: "must be an agent, a supervisor or an admin"})
		}
	}
	return h.d.change(ctx, cmd.Target, func(t *ticket.Ticket, actor ticket.Actor, now time.Time) ([]events.Payload, error) {
		return t.Assign(actor, cmd.Assignee, now)
	})
}
