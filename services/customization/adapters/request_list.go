// Package adapters connects the customization service to infrastructure:
// the SQL read model of requests behind the list, the board and the
// lead-time figures.
package adapters

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"helpdesk/contracts/custapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/sqlstore"
)

// Page and column sizes of the queries.
const (
	defaultListLimit = 50
	maxListLimit     = 200
	defaultPerStatus = 20
	maxPerStatus     = 100
)

// dayMicros is a day in microseconds, the unit times are stored in.
const dayMicros = float64(24 * time.Hour / time.Microsecond)

// statusAfter is the status each event moves a request to, as in the
// workflow table of contracts/EVENTS.md.
var statusAfter = map[string]string{
	custapi.EventSubmitted:           custapi.StatusSubmitted,
	custapi.EventAssessmentStarted:   custapi.StatusUnderAssessment,
	custapi.EventRejected:            custapi.StatusRejected,
	custapi.EventEstimated:           custapi.StatusEstimated,
	custapi.EventApproved:            custapi.StatusApproved,
	custapi.EventReestimateRequested: custapi.StatusUnderAssessment,
	custapi.EventScopeChanged:        custapi.StatusUnderAssessment,
	custapi.EventScheduled:           custapi.StatusScheduled,
	custapi.EventDevelopmentStarted:  custapi.StatusInDevelopment,
	custapi.EventTestingStarted:      custapi.StatusInTesting,
	custapi.EventDelivered:           custapi.StatusDelivered,
	custapi.EventAccepted:            custapi.StatusAccepted,
	custapi.EventReworkRequested:     custapi.StatusInDevelopment,
	custapi.EventCancelled:           custapi.StatusCancelled,
}

// RequestList is the SQL read model of customization requests: a
// projection of the customization stream (it implements projection.Handler
// and projection.Selective) and the query side of the request list, the
// board and the lead-time figures. It works on SQLite and PostgreSQL;
// times are stored as sqlstore.Micros.
//
// A request's row keeps the version (stream sequence) of the last event
// applied to it, and an event whose version is not above it changes
// nothing, so redelivered and stale events are harmless. Each status a
// request enters opens a stay in request_stays, closed when it leaves; the
// figures add the stays up, so a status entered twice (in_development after
// a rework) counts both stays.
type RequestList struct {
	db *sqlstore.DB
}

// NewRequestList returns the read model stored in db.
func NewRequestList(db *sqlstore.DB) *RequestList { return &RequestList{db: db} }

// Name is the projection's durable name; it never changes.
func (*RequestList) Name() string { return "customization_requests" }

// Stream is the stream the projection reads.
func (*RequestList) Stream() string { return subjects.Stream(subjects.ServiceCustomization) }

// EventTypes are the event types Apply folds: every step of the workflow.
func (*RequestList) EventTypes() []string {
	types := make([]string, 0, len(statusAfter))
	for t := range statusAfter {
		types = append(types, t)
	}
	slices.Sort(types)
	return types
}

// Migrations create the read model's tables. The key column of requests
// is named id, as sqlstore's cursors expect. assignee is "" until
// assessment starts; accepted_at is NULL until the request is accepted.
// A stay is keyed by the request and the version of the event that began
// it; left_at is NULL while it lasts.
func (*RequestList) Migrations() []string {
	return []string{`
CREATE TABLE requests (
	id           TEXT PRIMARY KEY,
	version      BIGINT NOT NULL,
	kind         TEXT NOT NULL,
	title        TEXT NOT NULL,
	requester    TEXT NOT NULL,
	assignee     TEXT NOT NULL DEFAULT '',
	status       TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL,
	status_since BIGINT NOT NULL,
	accepted_at  BIGINT
);
CREATE INDEX requests_created ON requests (created_at DESC, id DESC);
CREATE INDEX requests_status ON requests (status, created_at DESC, id DESC);
CREATE INDEX requests_requester ON requests (requester, created_at DESC, id DESC);
CREATE INDEX requests_assignee ON requests (assignee, created_at DESC, id DESC);
CREATE TABLE request_stays (
	request_id TEXT NOT NULL,
	version    BIGINT NOT NULL,
	status     TEXT NOT NULL,
	entered_at BIGINT NOT NULL,
	left_at    BIGINT,
	PRIMARY KEY (request_id, version)
);
`}
}

// Reset empties the read model before a rebuild.
func (*RequestList) Reset(ctx context.Context, tx *sql.Tx) error {
	for _, table := range []string{"request_stays", "requests"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table); err != nil {
			return fmt.Errorf("reset %s: %w", table, err)
		}
	}
	return nil
}

// Apply folds one customization event into the read model inside tx.
// An event whose version is not above its request's (a redelivery or a
// stale event) changes nothing, nor does a step of a request the model
// does not hold: within one aggregate events arrive in order, so the
// submission always comes first. Event types it does not know are ignored.
func (m *RequestList) Apply(ctx context.Context, tx *sql.Tx, env events.Envelope) error {
	to, ok := statusAfter[env.Type]
	if !ok {
		return nil
	}
	var err error
	if env.Type == custapi.EventSubmitted {
		err = m.applySubmitted(ctx, tx, env)
	} else {
		err = m.applyStep(ctx, tx, env, to)
	}
	if err != nil {
		return fmt.Errorf("apply %s %s to customization requests: %w", env.Type, env.ID, err)
	}
	return nil
}

func (m *RequestList) applySubmitted(ctx context.Context, tx *sql.Tx, env events.Envelope) error {
	var p custapi.Submitted
	if err := env.Decode(&p); err != nil {
		return err
	}
	at, version := sqlstore.Micros(env.OccurredAt), int64(env.AggregateVersion)
	res, err := tx.ExecContext(ctx, m.db.Rebind(`INSERT INTO requests (id, version, kind, title, requester, status,
		created_at, updated_at, status_since) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
		env.AggregateID, version, p.Kind, p.Title, p.Requester, custapi.StatusSubmitted, at, at, at)
	if err != nil {
		return fmt.Errorf("insert request: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err // submitted before
	}
	return m.enter(ctx, tx, env.AggregateID, version, custapi.StatusSubmitted, at)
}

func (m *RequestList) applyStep(ctx context.Context, tx *sql.Tx, env events.Envelope, to string) error {
	var version int64
	var status string
	err := tx.QueryRowContext(ctx, m.db.Rebind(`SELECT version, status FROM requests WHERE id = ?`), env.AggregateID).
		Scan(&version, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	if uint64(version) >= env.AggregateVersion {
		return nil
	}
	at, newVersion := sqlstore.Micros(env.OccurredAt), int64(env.AggregateVersion)
	set, args := "version = ?, status = ?, updated_at = ?", []any{newVersion, to, at}
	if to != status {
		set, args = set+", status_since = ?", append(args, at)
	}
	switch env.Type {
	case custapi.EventAssessmentStarted:
		set, args = set+", assignee = ?", append(args, env.Actor)
	case custapi.EventAccepted:
		set, args = set+", accepted_at = ?", append(args, at)
	}
	res, err := tx.ExecContext(ctx, m.db.Rebind(`UPDATE requests SET `+set+` WHERE id = ? AND version < ?`),
		append(args, env.AggregateID, newVersion)...)
	if err != nil {
		return fmt.Errorf("update request: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 || to == status {
		return err
	}
	if _, err := tx.ExecContext(ctx, m.db.Rebind(`UPDATE request_stays SET left_at = ? WHERE request_id = ? AND left_at IS NULL`),
		at, env.AggregateID); err != nil {
		return fmt.Errorf("end stay in %s: %w", status, err)
	}
	return m.enter(ctx, tx, env.AggregateID, newVersion, to, at)
}

// enter opens the stay of request id in status, begun at at by the event
// of version.
func (m *RequestList) enter(ctx context.Context, tx *sql.Tx, id string, version int64, status string, at int64) error {
	if _, err := tx.ExecContext(ctx, m.db.Rebind(`INSERT INTO request_stays (request_id, version, status, entered_at)
		VALUES (?, ?, ?, ?)`), id, version, status, at); err != nil {
		return fmt.Errorf("begin stay in %s: %w", status, err)
	}
	return nil
}

const summaryColumns = `id, version, kind, title, requester, assignee, status, created_at, updated_at, status_since`

// scanSummary reads a row of summaryColumns followed by extra, and returns
// its created_at as Micros too.
func scanSummary(row interface{ Scan(...any) error }, extra ...any) (custapi.Summary, int64, error) {
	var s custapi.Summary
	var version, created, updated, since int64
	dest := append([]any{&s.ID, &version, &s.Kind, &s.Title, &s.Requester, &s.Assignee, &s.Status,
		&created, &updated, &since}, extra...)
	if err := row.Scan(dest...); err != nil {
		return custapi.Summary{}, 0, err
	}
	s.Version = uint64(version)
	s.CreatedAt, s.UpdatedAt, s.StatusSince = sqlstore.FromMicros(created), sqlstore.FromMicros(updated), sqlstore.FromMicros(since)
	return s, created, nil
}

// List returns a page of requests, the newest submitted first (the id
// breaking ties); empty fields of f select all, and the page holds 50 when
// f.Limit is not positive, at most 200. An unknown status or kind is an
// invalid argument, a cursor not made by List a validation error.
func (m *RequestList) List(ctx context.Context, f custapi.ListRequests) (custapi.RequestPage, error) {
	limit := defaultListLimit
	if f.Limit > 0 {
		limit = min(f.Limit, maxListLimit)
	}
	var where []string
	var args []any
	if f.Status != "" {
		if !slices.Contains(custapi.Statuses, f.Status) {
			return custapi.RequestPage{}, problem.InvalidArgument("status", "must be one of "+strings.Join(custapi.Statuses, ", "))
		}
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.Kind != "" {
		if err := checkKind(f.Kind); err != nil {
			return custapi.RequestPage{}, err
		}
		where, args = append(where, "kind = ?"), append(args, f.Kind)
	}
	if f.Requester != "" {
		where, args = append(where, "requester = ?"), append(args, f.Requester)
	}
	if f.Assignee != "" {
		where, args = append(where, "assignee = ?"), append(args, f.Assignee)
	}
	query, args, err := sqlstore.Keyset{Column: "created_at"}.Query(summaryColumns, "requests", where, args, f.Cursor, limit)
	if err != nil {
		return custapi.RequestPage{}, problem.Validation(problem.FieldError{Field: "cursor", Message: "not a cursor from a previous page"})
	}
	rows, err := m.db.Read.QueryContext(ctx, m.db.Rebind(query), args...)
	if err != nil {
		return custapi.RequestPage{}, fmt.Errorf("list customization requests: %w", err)
	}
	var page custapi.RequestPage
	page.Items, page.NextCursor, err = sqlstore.ReadPage(rows, limit,
		func(r *sql.Rows) (custapi.Summary, int64, error) { return scanSummary(r) },
		func(s custapi.Summary) string { return s.ID })
	if err != nil {
		return custapi.RequestPage{}, fmt.Errorf("list customization requests: %w", err)
	}
	return page, nil
}

func checkKind(kind string) error {
	if !slices.Contains(custapi.Kinds, kind) {
		return problem.InvalidArgument("kind", "must be one of "+strings.Join(custapi.Kinds, ", "))
	}
	return nil
}

// Board returns one column per status, in custapi.Statuses order, empty
// ones too: the number of requests in the status and the perStatus most
// recently updated of them (the id breaking ties; 20 when not positive,
// at most 100). kind and requester, when not "", keep only the requests
// of that kind and of that requester. All is read in one statement, so
// counts and items agree. An unknown kind is an invalid argument.
func (m *RequestList) Board(ctx context.Context, kind, requester string, perStatus int) (custapi.Board, error) {
	if perStatus <= 0 {
		perStatus = defaultPerStatus
	}
	perStatus = min(perStatus, maxPerStatus)
	var where []string
	var args []any
	if kind != "" {
		if err := checkKind(kind); err != nil {
			return custapi.Board{}, err
		}
		where, args = append(where, "kind = ?"), append(args, kind)
	}
	if requester != "" {
		where, args = append(where, "requester = ?"), append(args, requester)
	}
	filter := ""
	if len(where) > 0 {
		filter = " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := m.db.Read.QueryContext(ctx, m.db.Rebind(`SELECT `+summaryColumns+`, n FROM (
		SELECT `+summaryColumns+`, COUNT(*) OVER (PARTITION BY status) AS n,
			ROW_NUMBER() OVER (PARTITION BY status ORDER BY updated_at DESC, id DESC) AS place
		FROM requests`+filter+`) ranked
		WHERE place <= ? ORDER BY status, updated_at DESC, id DESC`), append(args, perStatus)...)
	if err != nil {
		return custapi.Board{}, fmt.Errorf("customization board: %w", err)
	}
	defer rows.Close()
	board := custapi.Board{Columns: make([]custapi.Column, len(custapi.Statuses))}
	column := map[string]*custapi.Column{}
	for i, status := range custapi.Statuses {
		board.Columns[i] = custapi.Column{Status: status, Items: []custapi.Summary{}}
		column[status] = &board.Columns[i]
	}
	for rows.Next() {
		var n int
		s, _, err := scanSummary(rows, &n)
		if err != nil {
			return custapi.Board{}, fmt.Errorf("customization board: %w", err)
		}
		if c := column[s.Status]; c != nil {
			c.Count, c.Items = n, append(c.Items, s)
		}
	}
	if err := rows.Err(); err != nil {
		return custapi.Board{}, fmt.Errorf("customization board: %w", err)
	}
	return board, nil
}

// tally adds up the figures of a group of requests.
type tally struct {
	open      map[string]int
	leads     []float64 // micros from submission to acceptance
	stayMicro map[string]float64
	stayCount map[string]int // requests ever in the status
}

func newTally() *tally {
	return &tally{open: map[string]int{}, stayMicro: map[string]float64{}, stayCount: map[string]int{}}
}

// final are the statuses a request ends in.
var final = map[string]bool{custapi.StatusRejected: true, custapi.StatusAccepted: true, custapi.StatusCancelled: true}

func (t *tally) figures(kind string) custapi.KindStats {
	ks := custapi.KindStats{Kind: kind, Accepted: len(t.leads),
		DaysInStatus: make(map[string]float64, len(custapi.Statuses)), Open: make(map[string]int, len(custapi.Statuses))}
	for _, status := range custapi.Statuses {
		ks.Open[status] = t.open[status]
		ks.Submitted += t.open[status]
		if final[status] {
			continue // a request does not wait in a final status
		}
		if n := t.stayCount[status]; n > 0 {
			ks.DaysInStatus[status] = t.stayMicro[status] / float64(n) / dayMicros
		} else {
			ks.DaysInStatus[status] = 0
		}
	}
	if n := len(t.leads); n > 0 {
		var sum float64
		for _, l := range t.leads {
			sum += l
		}
		ks.LeadTimeDays = sum / float64(n) / dayMicros
		slices.Sort(t.leads)
		median := t.leads[n/2]
		if n%2 == 0 {
			median = (t.leads[n/2-1] + t.leads[n/2]) / 2
		}
		ks.LeadTimeP50Days = median / dayMicros
	}
	return ks
}

// Stats returns the figures of the requests submitted in [q.From, q.To)
// (times are taken to the microsecond; a zero bound leaves that side
// open), per kind in custapi.Kinds order, every kind even without
// requests, and in total (Kind ""). A request's time in a status is the
// sum of its stays there, the one it is in now counted up to now (0 if
// now is before it began), whatever the status, final ones too; the mean
// is over the requests that were ever in the status. Every status has an
// entry in DaysInStatus and Open, 0 when there is nothing to count. All is
// read in one statement, so in one snapshot of the model. A range that
// ends before it begins is an invalid argument.
func (m *RequestList) Stats(ctx context.Context, q custapi.GetStats, now time.Time) (custapi.Stats, error) {
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return custapi.Stats{}, problem.InvalidArgument("to", "must not be before from")
	}
	from, to := int64(math.MinInt64), int64(math.MaxInt64)
	if !q.From.IsZero() {
		from = sqlstore.Micros(q.From)
	}
	if !q.To.IsZero() {
		to = sqlstore.Micros(q.To)
	}
	at := sqlstore.Micros(now)
	// Rows are a part name, a kind, a status, a count and a sum of micros.
	rows, err := m.db.Read.QueryContext(ctx, m.db.Rebind(`
		SELECT 'open', kind, status, COUNT(*), 0 FROM requests
		WHERE created_at >= ? AND created_at < ? GROUP BY kind, status
		UNION ALL
		SELECT 'lead', kind, '', 1, CAST(accepted_at - created_at AS DOUBLE PRECISION) FROM requests
		WHERE created_at >= ? AND created_at < ? AND accepted_at IS NOT NULL
		UNION ALL
		SELECT 'stay', r.kind, s.status, COUNT(DISTINCT s.request_id), SUM(CAST(CASE
			WHEN s.left_at IS NOT NULL THEN s.left_at - s.entered_at
			WHEN s.entered_at < ? THEN ? - s.entered_at
			ELSE 0 END AS DOUBLE PRECISION))
		FROM request_stays s JOIN requests r ON r.id = s.request_id
		WHERE r.created_at >= ? AND r.created_at < ? GROUP BY r.kind, s.status`),
		from, to, from, to, at, at, from, to)
	if err != nil {
		return custapi.Stats{}, fmt.Errorf("customization figures: %w", err)
	}
	defer rows.Close()
	total, kinds := newTally(), map[string]*tally{}
	for _, k := range custapi.Kinds {
		kinds[k] = newTally()
	}
	for rows.Next() {
		var part, kind, status string
		var n int
		var micros float64
		if err := rows.Scan(&part, &kind, &status, &n, &micros); err != nil {
			return custapi.Stats{}, fmt.Errorf("customization figures: %w", err)
		}
		for _, t := range []*tally{total, kinds[kind]} {
			if t == nil {
				continue // a kind the contracts do not name counts in the total only
			}
			switch part {
			case "open":
				t.open[status] += n
			case "lead":
				t.leads = append(t.leads, micros)
			case "stay":
				t.stayMicro[status] += micros
				t.stayCount[status] += n
			}
		}
	}
	if err := rows.Err(); err != nil {
		return custapi.Stats{}, fmt.Errorf("customization figures: %w", err)
	}
	stats := custapi.Stats{Kinds: make([]custapi.KindStats, 0, len(custapi.Kinds)), Total: total.figures("")}
	for _, k := range custapi.Kinds {
		stats.Kinds = append(stats.Kinds, kinds[k].figures(k))
	}
	return stats, nil
}
