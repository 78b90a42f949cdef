package query

import (
	"context"
	"fmt"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/rpc"
)

// List limits.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// TicketList is the read model behind ticket lists.
type TicketList interface {
	// List returns tickets matching f, newest first, at most f.Limit of them,
	// continuing after f.Cursor. Empty filter fields match everything.
	List(ctx context.Context, f ticketapi.ListTickets) (ticketapi.Page, error)
}

// ListTicketsHandler lists tickets from the read model.
type ListTicketsHandler struct {
	list TicketList
}

// NewListTicketsHandler returns the handler.
func NewListTicketsHandler(list TicketList) ListTicketsHandler {
	if list == nil {
		panic("NewListTicketsHandler: nil read model")
	}
	return ListTicketsHandler{list: list}
}

var statuses = map[string]bool{
	ticketapi.StatusNew: true, ticketapi.StatusAssigned: true, ticketapi.StatusInProgress: true,
	ticketapi.StatusWaitingOnCustomer: true, ticketapi.StatusResolved: true, ticketapi.StatusClosed: true,
}

// Handle validates the filter and lists tickets. Customers only ever see
// tickets they requested, whatever the filter says.
func (h ListTicketsHandler) Handle(ctx context.Context, f ticketapi.ListTickets) (ticketapi.Page, error) {
	caller := rpc.CallerFrom(ctx)
	var bad []problem.FieldError
	if f.Status != "" && !statuses[f.Status] {
		bad = append(bad, problem.FieldError{Field: "status", Message: "unknown status"})
	}
	if f.Priority != "" && !contains(ticketapi.Priorities, f.Priority) {
		bad = append(bad, problem.FieldError{Field: "priority", Message: "must be P1, P2, P3 or P4"})
	}
	switch {
	case f.Limit == 0:
		f.Limit = DefaultLimit
	case f.Limit < 0 || f.Limit > MaxLimit:
		bad = append(bad, problem.FieldError{Field: "limit", Message: fmt.Sprintf("must be 1 to %d", MaxLimit)})
	}
	if len(bad) > 0 {
		return ticketapi.Page{}, problem.Validation(bad...)
	}
	system := caller.Role == identityapi.RoleSystem
	if !system && !authz.Allowed(caller.Role, authz.TicketList) {
		return ticketapi.Page{}, problem.New(problem.CodePermissionDenied, "your role (%s) may not list tickets", caller.Role)
	}
	if !system && !authz.Allowed(caller.Role, authz.TicketReadAll) {
		f.Requester = caller.ID
	}
	return h.list.List(ctx, f)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
