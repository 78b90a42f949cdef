package command_test

import (
	"context"
	"sync"
	"testing"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/ticketapi"
	"helpdesk/services/callrecord/app/command"
)

// ticketService opens each ticket id once, as the ticket service does:
// opening an id that exists is a conflict.
type ticketService struct {
	mu     sync.Mutex
	opened map[string]int
}

func (s *ticketService) Open(_ context.Context, cmd ticketapi.OpenTicket) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opened[cmd.ID]++
	if s.opened[cmd.ID] > 1 {
		return "", problem.New(problem.CodeConflict, "ticket %s already exists", cmd.ID)
	}
	return cmd.ID, nil
}

// TestOpenTicket_one_ticket_per_call: the ticket's id derives from the
// call, so a second agent finds the linked ticket, and an agent after a
// first attempt that opened the ticket but stopped before linking it finds
// that ticket and links it; none opens a second.
func TestOpenTicket_one_ticket_per_call(t *testing.T) {
	h := newHarness(t)
	tickets := &ticketService{opened: map[string]int{}}
	handler := command.NewOpenTicketHandler(h.deps, tickets)

	first, err := handler.Handle(agent, callapi.OpenTicket{CallID: "c-1", Title: "无法登录"})
	if err != nil || first.TicketID == "" || !first.Created {
		t.Fatalf("first: %+v, %v", first, err)
	}
	again, err := handler.Handle(admin, callapi.OpenTicket{CallID: "c-1", Title: "再次"})
	if err != nil || again.TicketID != first.TicketID || again.Created {
		t.Fatalf("a second agent: %+v, %v; want ticket %s, not created", again, err, first.TicketID)
	}

	// c-2's ticket was opened by an attempt that stopped before linking.
	stopped, err := handler.Handle(agent, callapi.OpenTicket{CallID: "c-2", Title: "来电二"})
	if err != nil {
		t.Fatal(err)
	}
	h2 := newHarness(t) // the same ticket service, a call record without the link
	handler2 := command.NewOpenTicketHandler(h2.deps, tickets)
	found, err := handler2.Handle(admin, callapi.OpenTicket{CallID: "c-2", Title: "来电二"})
	if err != nil || found.TicketID != stopped.TicketID || found.Created || tickets.opened[stopped.TicketID] != 2 {
		t.Fatalf("after a stopped attempt: %+v, %v; want ticket %s found and linked", found, err, stopped.TicketID)
	}
	if found.TicketID == first.TicketID {
		t.Fatal("two calls share a ticket")
	}
	if _, err := handler.Handle(pbx, callapi.OpenTicket{CallID: "c-1", Title: "x"}); problem.CodeOf(err) != problem.CodePermissionDenied {
		t.Fatalf("the PBX opening a ticket: %v", err)
	}
}
