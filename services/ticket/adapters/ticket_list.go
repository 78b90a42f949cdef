// Package adapters connects the ticket service to infrastructure: the event
// store repository, the SQL read model, and the identity service.
package adapters

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/sqlstore"
)

// TicketList is the SQL read model of tickets: a projection of the ticket
// stream (it implements projection.Handler) and the query side of lists and
// of the deadline scheduler. It works on SQLite and PostgreSQL.
type TicketList struct {
	db *sqlstore.DB

	// stmts runs Apply's statements, prepared once per batch on SQLite.
	stmts *sqlstore.TxStatements
}

// NewTicketList returns the read model stored in db.
func NewTicketList(db *sqlstore.DB) *TicketList {
	return &TicketList{db: db, stmts: sqlstore.NewTxStatements(db)}
}

// Name is the projection's durable name; it never changes.
func (*TicketList) Name() string { return "ticket_list" }

// Stream is the stream the projection reads.
func (*TicketList) Stream() string { return subjects.Stream(subjects.ServiceTicket) }

// Migrations create the read model's tables.
func (*TicketList) Migrations() []string {
	return []string{`
CREATE TABLE ticket_list (
	id                 TEXT PRIMARY KEY,
	version            BIGINT NOT NULL,
	status             TEXT NOT NULL,
	title              TEXT NOT NULL,
	category           TEXT NOT NULL,
	priority           TEXT NOT NULL,
	channel            TEXT NOT NULL,
	requester          TEXT NOT NULL,
	assignee           TEXT NOT NULL DEFAULT '',
	created_at         BIGINT NOT NULL,
	updated_at         BIGINT NOT NULL,
	first_response_due BIGINT NOT NULL,
	first_responded    BOOLEAN NOT NULL DEFAULT FALSE,
	first_response_breached BOOLEAN NOT NULL DEFAULT FALSE,
	resolution_due     BIGINT NOT NULL,
	resolution_breached BOOLEAN NOT NULL DEFAULT FALSE,
	auto_close_at      BIGINT
);
CREATE INDEX ticket_list_created ON ticket_list (created_at DESC, id DESC);
CREATE INDEX ticket_list_status ON ticket_list (status, created_at DESC);
CREATE INDEX ticket_list_requester ON ticket_list (requester, created_at DESC);
CREATE INDEX ticket_list_assignee ON ticket_list (assignee, created_at DESC);
CREATE INDEX ticket_list_first_response_due ON ticket_list (first_response_due);
CREATE INDEX ticket_list_resolution_due ON ticket_list (resolution_due);
CREATE INDEX ticket_list_auto_close ON ticket_list (auto_close_at);
`}
}

// Reset empties the read model before a rebuild.
func (*TicketList) Reset(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM ticket_list`)
	return err
}

// Apply folds one ticket event into the read model. Each event type changes
// the row the way the domain changes the ticket; TestTicketList_matches_domain
// checks that both agree.
func (l *TicketList) Apply(ctx context.Context, tx *sql.Tx, env events.Envelope) error {
	id, at := env.AggregateID, sqlstore.Micros(env.OccurredAt)
	exec := func(query string, args ...any) error {
		if _, err := l.stmts.Exec(ctx, tx, query, args...); err != nil {
			return fmt.Errorf("apply %s to ticket_list: %w", env.Type, err)
		}
		return nil
	}
	touch := func(set string, args ...any) error {
		args = append([]any{env.AggregateVersion, at}, args...)
		args = append(args, id)
		return exec(`UPDATE ticket_list SET version = ?, updated_at = ?, `+set+` WHERE id = ?`, args...)
	}
	switch env.Type {
	case ticketapi.EventOpened:
		var p openedRow
		if err := env.Decode(&p); err != nil {
			return err
		}
		return exec(`INSERT INTO ticket_list (id, version, status, title, category, priority, channel, requester,
			created_at, updated_at, first_response_due, resolution_due)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			id, env.AggregateVersion, ticketapi.StatusNew, p.Title, p.Category, p.Priority, p.Channel, p.Requester,
			at, at, sqlstore.Micros(p.FirstResponseDue), sqlstore.Micros(p.ResolutionDue))
	case ticketapi.EventAssigned:
		var p ticketapi.Assigned
		if err := env.Decode(&p); err != nil {
			return err
		}
		return touch(`assignee = ?, status = CASE WHEN status = 'new' THEN 'assigned' ELSE status END`, p.Assignee)
	case ticketapi.EventWorkStarted:
		return touch(`status = ?`, ticketapi.StatusInProgress)
	case ticketapi.EventReplied:
		var p repliedRow
		if err := env.Decode(&p); err != nil {
			return err
		}
		if p.FirstResponse {
			return touch(`status = ?, first_responded = TRUE`, p.Status)
		}
		return touch(`status = ?`, p.Status)
	case ticketapi.EventResolved:
		var p ticketapi.Resolved
		if err := env.Decode(&p); err != nil {
			return err
		}
		return touch(`status = ?, auto_close_at = ?`, ticketapi.StatusResolved, sqlstore.Micros(p.AutoCloseAt))
	case ticketapi.EventClosed:
		return touch(`status = ?, auto_close_at = NULL`, ticketapi.StatusClosed)
	case ticketapi.EventReopened:
		var p ticketapi.Reopened
		if err := env.Decode(&p); err != nil {
			return err
		}
		return touch(`status = CASE WHEN assignee = '' THEN 'new' ELSE 'in_progress' END,
			resolution_due = ?, resolution_breached = FALSE, auto_close_at = NULL`, sqlstore.Micros(p.ResolutionDue))
	case ticketapi.EventSLABreached:
		var p ticketapi.SLABreached
		if err := env.Decode(&p); err != nil {
			return err
		}
		if p.Target == "first_response" {
			return touch(`first_response_breached = TRUE`)
		}
		return touch(`resolution_breached = TRUE`)
	}
	return nil // events of later schema additions are not needed by this model
}

// openedRow and repliedRow are the fields of ticketapi.Opened and
// ticketapi.Replied the list keeps: leaving out the description and the
// reply's body, up to 20,000 characters each, spares decoding them.
type (
	openedRow struct {
		Title            string    `json:"title"`
		Category         string    `json:"category"`
		Priority         string    `json:"priority"`
		Channel          string    `json:"channel"`
		Requester        string    `json:"requester"`
		FirstResponseDue time.Time `json:"first_response_due"`
		ResolutionDue    time.Time `json:"resolution_due"`
	}
	repliedRow struct {
		FirstResponse bool   `json:"first_response"`
		Status        string `json:"status"`
	}
)

const listColumns = `id, version, status, title, category, priority, channel, requester, assignee, created_at, updated_at`

// List implements query.TicketList: newest first, keyset pagination.
func (l *TicketList) List(ctx context.Context, f ticketapi.ListTickets) (ticketapi.Page, error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, val string }{
		{"status", f.Status}, {"assignee", f.Assignee}, {"requester", f.Requester},
		{"category", f.Category}, {"priority", f.Priority},
	} {
		if c.val != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.val)
		}
	}
	q, args, err := sqlstore.Keyset{Column: "created_at"}.Query(listColumns, "ticket_list", where, args, f.Cursor, f.Limit)
	if err != nil {
		return ticketapi.Page{}, problem.Validation(problem.FieldError{Field: "cursor", Message: "not a cursor from a previous page"})
	}
	rows, err := l.db.Read.QueryContext(ctx, l.db.Rebind(q), args...)
	if err != nil {
		return ticketapi.Page{}, fmt.Errorf("list tickets: %w", err)
	}
	var page ticketapi.Page
	page.Items, page.NextCursor, err = sqlstore.ReadPage(rows, f.Limit, scanSummary, func(s ticketapi.Summary) string { return s.ID })
	if err != nil {
		return ticketapi.Page{}, fmt.Errorf("list tickets: %w", err)
	}
	return page, nil
}

// scanSummary reads a row of listColumns, and its creation time in
// microseconds (the list's sort key).
func scanSummary(rows *sql.Rows) (ticketapi.Summary, int64, error) {
	var s ticketapi.Summary
	var created, updated int64
	if err := rows.Scan(&s.ID, &s.Version, &s.Status, &s.Title, &s.Category, &s.Priority, &s.Channel,
		&s.Requester, &s.Assignee, &created, &updated); err != nil {
		return s, 0, err
	}
	s.CreatedAt, s.UpdatedAt = sqlstore.FromMicros(created), sqlstore.FromMicros(updated)
	return s, created, nil
}

// DueTickets returns up to limit ids of tickets with a deadline at or before
// now that has not been acted on: an SLA target without breach record, or a
// resolved ticket whose auto-close time has come.
func (l *TicketList) DueTickets(ctx context.Context, now time.Time, limit int) ([]string, error) {
	n := sqlstore.Micros(now)
	rows, err := l.db.Read.QueryContext(ctx, l.db.Rebind(`SELECT id FROM ticket_list WHERE
		(status NOT IN ('resolved', 'closed') AND (
			(NOT first_responded AND NOT first_response_breached AND first_response_due < ?)
			OR (NOT resolution_breached AND resolution_due < ?)))
		OR (status = 'resolved' AND auto_close_at <= ?)
		LIMIT ?`), n, n, n, limit)
	if err != nil {
		return nil, fmt.Errorf("due tickets: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("due tickets: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
