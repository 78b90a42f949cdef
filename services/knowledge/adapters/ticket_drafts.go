package adapters

import (
	"context"
	"fmt"

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

// TicketDrafts is the reaction that fills the problem library: when a
// ticket is resolved it reads the ticket's question from its history and
// asks for a draft article from the question and the resolution. It runs
// inside the questions index (SearchIndex.SetReaction), which already reads
// the resolutions, so the ticket stream needs no consumer of its own for it.
// Drafting is idempotent per ticket, so redelivered events and retries
// draft nothing twice.
type TicketDrafts struct {
	tickets TicketHistory
	drafter Drafter
	people  People
}

// NewTicketDrafts returns the reaction.
func NewTicketDrafts(tickets TicketHistory, drafter Drafter, people People) *TicketDrafts {
	return &TicketDrafts{tickets: tickets, drafter: drafter, people: people}
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
	history, err := d.tickets.Load(ctx, subjects.Ticket(env.AggregateID))
	if err != nil {
		return fmt.Errorf("ticket %s history: %w", env.AggregateID, err)
	}
	if len(history) == 0 || history[0].Type != ticketapi.EventOpened {
		return nil // no question known: nothing to draft
	}
	var q ticketapi.Opened
	if err := history[0].Decode(&q); err != nil {
		return err
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
