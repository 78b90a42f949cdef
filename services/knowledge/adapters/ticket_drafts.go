package adapters

import (
	"context"
	"fmt"
	"sync"

	"helpdesk/contracts/events"
	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/subjects"
	"helpdesk/contracts/ticketapi"
	"helpdesk/services/knowledge/app/command"
)

// Drafter drafts an article from a source.
type Drafter interface {
	Handle(ctx context.Context, cmd command.DraftFromSource) (string, error)
}

// People gives the names a person may have written into a ticket.
type People interface {
	Names(ctx context.Context, userID string) ([]string, error)
}

// TicketHistory reads a ticket's events, as integrations may: they are the
// ticket service's published language.
type TicketHistory interface {
	Load(ctx context.Context, ref subjects.Aggregate) ([]events.Envelope, error)
}

// TicketQuestions reads the question a ticket asked, its ticket.opened
// payload, from the ticket's history. A ticket's question never changes, so
// the last one read is kept: the questions index and the drafts reaction
// read the same ticket for the same resolution, one after the other.
type TicketQuestions struct {
	Tickets TicketHistory

	mu   sync.Mutex
	id   string
	last ticketapi.Opened
}

// Question returns the ticket's question; ok is false when its history does
// not start with ticket.opened.
func (q *TicketQuestions) Question(ctx context.Context, ticketID string) (_ ticketapi.Opened, ok bool, _ error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.id == ticketID {
		return q.last, true, nil
	}
	history, err := q.Tickets.Load(ctx, subjects.Ticket(ticketID))
	if err != nil {
		return ticketapi.Opened{}, false, fmt.Errorf("ticket %s history: %w", ticketID, err)
	}
	if len(history) == 0 || history[0].Type != ticketapi.EventOpened {
		return ticketapi.Opened{}, false, nil
	}
	var o ticketapi.Opened
	if err := history[0].Decode(&o); err != nil {
		return ticketapi.Opened{}, false, err
	}
	q.id, q.last = ticketID, o
	return o, true, nil
}

// TicketDrafts is the reaction that fills the problem library: when a
// ticket is resolved it reads the ticket's question from its history and
// asks for a draft article from the question and the resolution. It runs
// inside the questions index (SearchIndex.SetReaction), which already reads
// the resolutions, so the ticket stream needs no consumer of its own for it.
// Drafting is idempotent per ticket, so redelivered events and retries
// draft nothing twice.
type TicketDrafts struct {
	questions *TicketQuestions
	drafter   Drafter
	people    People
}

// NewTicketDrafts returns the reaction.
func NewTicketDrafts(questions *TicketQuestions, drafter Drafter, people People) *TicketDrafts {
	return &TicketDrafts{questions: questions, drafter: drafter, people: people}
}

// React drafts an article when a ticket is resolved.
func (d *TicketDrafts) React(ctx context.Context, env events.Envelope) error {
	if env.Type != ticketapi.EventResolved {
		return nil
	}
	var p ticketapi.Resolved
	if err := env.Decode(&p); err != nil {
		return err
	}
	q, ok, err := d.questions.Question(ctx, env.AggregateID)
	if err != nil || !ok {
		return err // no question known: nothing to draft
	}
	cmd := command.DraftFromSource{
		Source:   kbapi.ArticleSource{Kind: kbapi.SourceTicket, ID: env.AggregateID},
		Question: q.Title, Details: q.Description, Answer: p.Resolution, Category: q.Category,
	}
	if cmd.Names, err = d.people.Names(ctx, q.Requester); err != nil {
		return fmt.Errorf("ticket %s requester: %w", env.AggregateID, err)
	}
	if _, err := d.drafter.Handle(ctx, cmd); err != nil {
		return fmt.Errorf("draft from ticket %s: %w", env.AggregateID, err)
	}
	return nil
}
