package adapters

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"helpdesk/contracts/events"
	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/subjects"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/sqlstore"
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

// TicketDrafts is the reaction that fills the problem library: it reads
// the ticket stream (it implements projection.Handler), remembers each
// ticket's question, and when a ticket is resolved asks for a draft article
// from the question and the resolution. Drafting is idempotent per ticket,
// so redelivered events and retries draft nothing twice.
type TicketDrafts struct {
	db      *sqlstore.DB
	drafter Drafter
	people  People
}

// NewTicketDrafts returns the reaction.
func NewTicketDrafts(db *sqlstore.DB, drafter Drafter, people People) *TicketDrafts {
	return &TicketDrafts{db: db, drafter: drafter, people: people}
}

// Name is the projection's durable name; it never changes.
func (*TicketDrafts) Name() string { return "kb_ticket_drafts" }

// Stream is the ticket stream.
func (*TicketDrafts) Stream() string { return subjects.Stream(subjects.ServiceTicket) }

// Migrations create the table of questions.
func (*TicketDrafts) Migrations() []string {
	return []string{`CREATE TABLE kb_ticket_questions (
	ticket_id   TEXT PRIMARY KEY,
	title       TEXT NOT NULL,
	description TEXT NOT NULL,
	category    TEXT NOT NULL,
	requester   TEXT NOT NULL
)`}
}

// Reset empties the table.
func (*TicketDrafts) Reset(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM kb_ticket_questions`)
	return err
}

// Apply remembers opened tickets and drafts articles from resolved ones.
func (d *TicketDrafts) Apply(ctx context.Context, tx *sql.Tx, env events.Envelope) error {
	switch env.Type {
	case ticketapi.EventOpened:
		var p ticketapi.Opened
		if err := env.Decode(&p); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, d.db.Rebind(`INSERT INTO kb_ticket_questions (ticket_id, title, description, category, requester)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (ticket_id) DO NOTHING`), env.AggregateID, p.Title, p.Description, p.Category, p.Requester)
		if err != nil {
			return fmt.Errorf("remember ticket %s: %w", env.AggregateID, err)
		}
		return nil
	case ticketapi.EventResolved:
		var p ticketapi.Resolved
		if err := env.Decode(&p); err != nil {
			return err
		}
		cmd := command.DraftFromSource{Source: kbapi.ArticleSource{Kind: kbapi.SourceTicket, ID: env.AggregateID}, Answer: p.Resolution}
		var requester string
		err := tx.QueryRowContext(ctx, d.db.Rebind(`SELECT title, description, category, requester FROM kb_ticket_questions WHERE ticket_id = ?`),
			env.AggregateID).Scan(&cmd.Question, &cmd.Details, &cmd.Category, &requester)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // no question known: nothing to draft
		}
		if err != nil {
			return fmt.Errorf("ticket %s question: %w", env.AggregateID, err)
		}
		if cmd.Names, err = d.people.Names(ctx, requester); err != nil {
			return fmt.Errorf("ticket %s requester: %w", env.AggregateID, err)
		}
		if _, err := d.drafter.Handle(ctx, cmd); err != nil {
			return fmt.Errorf("draft from ticket %s: %w", env.AggregateID, err)
		}
	}
	return nil
}
