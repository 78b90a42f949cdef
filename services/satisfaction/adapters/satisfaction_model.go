// Package adapters connects the satisfaction service to infrastructure: the
// event store and the SQL read model of surveys, follow-ups and figures.
package adapters

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/satapi"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/sqlstore"
	"helpdesk/services/satisfaction/app/query"
)

// SatisfactionModel is the SQL read model of surveys and follow-ups: a
// projection of the satisfaction stream (it implements projection.Handler
// and projection.Selective) and the query side of survey and follow-up
// views, lists, figures and the expiry scheduler. It works on SQLite and
// PostgreSQL; times are stored as sqlstore.Micros.
//
// Every row keeps the version (stream sequence) of the last event applied
// to it, and an event whose version is not above it changes nothing, so a
// redelivered event is harmless. The figures are kept pre-added per
// Beijing day of issue in survey_buckets, changed only when a row change
// happened, by the difference the change makes; follow-ups count in the
// group of their survey, once both are known, whichever came first.
//
// Apply prepares its statements once per transaction (parsing them is
// most of its cost on SQLite); it is meant for one writer, such as the
// projection runner, applying batches one after another.
type SatisfactionModel struct {
	db *sqlstore.DB

	mu    sync.Mutex
	tx    *sql.Tx // the transaction stmts belong to
	stmts map[string]*sql.Stmt
}

// NewSatisfactionModel returns the read model stored in db.
func NewSatisfactionModel(db *sqlstore.DB) *SatisfactionModel { return &SatisfactionModel{db: db} }

// Name is the projection's durable name; it never changes.
func (*SatisfactionModel) Name() string { return "satisfaction" }

// Stream is the stream the projection reads.
func (*SatisfactionModel) Stream() string { return subjects.Stream(subjects.ServiceSatisfaction) }

// EventTypes are the event types Apply folds.
func (*SatisfactionModel) EventTypes() []string {
	return []string{
		satapi.EventSurveyIssued, satapi.EventSurveyAnswered, satapi.EventSurveyExpired,
		satapi.EventFollowUpOpened, satapi.EventFollowUpCompleted,
	}
}

// Migrations create the read model's tables. Key columns are named id, as
// sqlstore's cursors expect. day columns hold the Micros of the Beijing
// midnight that begins the survey's day of issue. A follow-up copies its
// survey's time and grouping (issued_at, day, survey_agent_id, category,
// channel); they are NULL until the survey is known.
//
// survey_buckets holds the figures of the surveys issued on a day, once in
// total (grain "total", grp "") and once per agent, category and channel
// (grain names the column, grp holds its value): a year of figures is 365
// rows per agent (category, channel) whatever the number of surveys. One
// bucket per day, agent, category and channel together would be nearly as
// many rows as surveys: at a million surveys a year, 650 000 buckets, read
// in 0.4–0.8 s.
//
// followups_status_due holds all that the count of overdue follow-ups
// reads, so that it needs no lookup of the rows.
func (m *SatisfactionModel) Migrations() []string {
	// On SQLite the buckets are stored in their key's order, so that a
	// range of days is read without a lookup per row.
	bucketsTable := ""
	if m.db != nil && m.db.Driver() == sqlstore.DriverSQLite {
		bucketsTable = " WITHOUT ROWID"
	}
	return []string{`
CREATE TABLE surveys (
	id                  TEXT PRIMARY KEY,
	version             BIGINT NOT NULL,
	about               TEXT NOT NULL,
	ticket_id           TEXT NOT NULL DEFAULT '',
	resolution          BIGINT NOT NULL DEFAULT 0,
	call_id             TEXT NOT NULL DEFAULT '',
	respondent          TEXT NOT NULL DEFAULT '',
	agent_id            TEXT NOT NULL DEFAULT '',
	category            TEXT NOT NULL DEFAULT '',
	channel             TEXT NOT NULL DEFAULT '',
	status              TEXT NOT NULL,
	issued_at           BIGINT NOT NULL,
	day                 BIGINT NOT NULL,
	expires_at          BIGINT NOT NULL,
	answered_at         BIGINT,
	score               INTEGER NOT NULL DEFAULT 0,
	comment             TEXT NOT NULL DEFAULT '',
	solved              SMALLINT,
	dim_speed           INTEGER NOT NULL DEFAULT 0,
	dim_professionalism INTEGER NOT NULL DEFAULT 0,
	dim_outcome         INTEGER NOT NULL DEFAULT 0,
	via                 TEXT NOT NULL DEFAULT ''
);
CREATE INDEX surveys_issued ON surveys (issued_at DESC, id DESC);
CREATE INDEX surveys_respondent ON surveys (respondent, issued_at DESC, id DESC);
CREATE INDEX surveys_status ON surveys (status, issued_at DESC, id DESC);
CREATE INDEX surveys_expires ON surveys (status, expires_at, id);
CREATE TABLE followups (
	id              TEXT PRIMARY KEY,
	version         BIGINT NOT NULL,
	survey_id       TEXT NOT NULL,
	ticket_id       TEXT NOT NULL DEFAULT '',
	call_id         TEXT NOT NULL DEFAULT '',
	agent_id        TEXT NOT NULL DEFAULT '',
	reason          TEXT NOT NULL,
	score           INTEGER NOT NULL DEFAULT 0,
	status          TEXT NOT NULL,
	opened_at       BIGINT NOT NULL,
	due_at          BIGINT NOT NULL,
	completed_at    BIGINT,
	completed_by    TEXT NOT NULL DEFAULT '',
	contact         TEXT NOT NULL DEFAULT '',
	outcome         TEXT NOT NULL DEFAULT '',
	issued_at       BIGINT,
	day             BIGINT,
	survey_agent_id TEXT,
	category        TEXT,
	channel         TEXT
);
CREATE INDEX followups_due ON followups (due_at, id);
CREATE INDEX followups_status_due ON followups (status, due_at, id, issued_at, day, survey_agent_id, category, channel);
CREATE INDEX followups_survey ON followups (survey_id);
CREATE INDEX followups_issued ON followups (issued_at);
CREATE TABLE survey_buckets (
	grain               TEXT NOT NULL,
	day                 BIGINT NOT NULL,
	grp                 TEXT NOT NULL,
	issued              INTEGER NOT NULL DEFAULT 0,
	responses           INTEGER NOT NULL DEFAULT 0,
	score_sum           INTEGER NOT NULL DEFAULT 0,
	csat_count          INTEGER NOT NULL DEFAULT 0,
	followups           INTEGER NOT NULL DEFAULT 0,
	followups_completed INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (grain, day, grp)
)` + bucketsTable + `;
`}
}

// Reset empties the read model before a rebuild.
func (*SatisfactionModel) Reset(ctx context.Context, tx *sql.Tx) error {
	for _, table := range []string{"surveys", "followups", "survey_buckets"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table); err != nil {
			return fmt.Errorf("reset %s: %w", table, err)
		}
	}
	return nil
}

// csatFrom is the lowest score that counts as satisfied.
const csatFrom = 4

// grouping is what the figures of a survey are grouped by.
type grouping struct {
	day                      int64
	agent, category, channel string
}

// delta is a change to the figures of one grouping.
type delta struct {
	issued, responses, scoreSum, csat, followups, completed int
}

func (d delta) minus(o delta) delta {
	return delta{d.issued - o.issued, d.responses - o.responses, d.scoreSum - o.scoreSum,
		d.csat - o.csat, d.followups - o.followups, d.completed - o.completed}
}

// answerFigures is what a survey in status with score adds to the
// response figures.
func answerFigures(status string, score int) delta {
	if status != satapi.StatusAnswered {
		return delta{}
	}
	d := delta{responses: 1, scoreSum: score}
	if score >= csatFrom {
		d.csat = 1
	}
	return d
}

// Apply folds one satisfaction event into the read model. An event whose
// version is not above its row's version (a redelivery) changes nothing.
// An answer, expiry or completion of a row the model does not hold changes
// nothing either: within one aggregate events arrive in order, so that
// cannot happen. A follow-up may arrive before its survey (they are
// different aggregates); it counts in the figures once the survey comes.
func (m *SatisfactionModel) Apply(ctx context.Context, tx *sql.Tx, env events.Envelope) error {
	var err error
	switch env.Type {
	case satapi.EventSurveyIssued:
		err = m.applyIssued(ctx, tx, env)
	case satapi.EventSurveyAnswered, satapi.EventSurveyExpired:
		err = m.applySurveyChange(ctx, tx, env)
	case satapi.EventFollowUpOpened:
		err = m.applyOpened(ctx, tx, env)
	case satapi.EventFollowUpCompleted:
		err = m.applyCompleted(ctx, tx, env)
	default:
		return nil
	}
	if err != nil {
		return fmt.Errorf("apply %s %s to satisfaction: %w", env.Type, env.ID, err)
	}
	return nil
}

// prepared is query prepared in tx: prepared once per transaction, and
// closed by database/sql when tx ends.
func (m *SatisfactionModel) prepared(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tx != tx {
		m.tx, m.stmts = tx, map[string]*sql.Stmt{}
	}
	if st, ok := m.stmts[query]; ok {
		return st, nil
	}
	st, err := tx.PrepareContext(ctx, m.db.Rebind(query))
	if err != nil {
		return nil, err
	}
	m.stmts[query] = st
	return st, nil
}

// exec runs query in tx and returns how many rows it changed.
func (m *SatisfactionModel) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (int64, error) {
	st, err := m.prepared(ctx, tx, query)
	if err != nil {
		return 0, err
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// queryRow reads one row of query in tx.
func (m *SatisfactionModel) queryRow(ctx context.Context, tx *sql.Tx, query string, args []any, dest ...any) error {
	st, err := m.prepared(ctx, tx, query)
	if err != nil {
		return err
	}
	return st.QueryRowContext(ctx, args...).Scan(dest...)
}

func (m *SatisfactionModel) applyIssued(ctx context.Context, tx *sql.Tx, env events.Envelope) error {
	var p satapi.SurveyIssued
	if err := env.Decode(&p); err != nil {
		return err
	}
	issued := sqlstore.Micros(env.OccurredAt)
	g := grouping{day: dayOf(issued), agent: p.AgentID, category: p.Category, channel: p.Channel}
	n, err := m.exec(ctx, tx, `INSERT INTO surveys (id, version, about, ticket_id, resolution, call_id, respondent,
		agent_id, category, channel, status, issued_at, day, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`,
		env.AggregateID, int64(env.AggregateVersion), p.About, p.TicketID, int64(p.Resolution), p.CallID, p.Respondent,
		p.AgentID, p.Category, p.Channel, satapi.StatusOpen, issued, g.day, sqlstore.Micros(p.ExpiresAt))
	if err != nil {
		return fmt.Errorf("insert survey: %w", err)
	}
	if n == 0 {
		return nil // issued before
	}
	d := delta{issued: 1}
	// A follow-up that came first now has its survey's grouping.
	var followups, completed int
	err = m.queryRow(ctx, tx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END), 0)
		FROM followups WHERE survey_id = ? AND day IS NULL`, []any{env.AggregateID}, &followups, &completed)
	if err != nil {
		return fmt.Errorf("find follow-ups of survey: %w", err)
	}
	if followups > 0 {
		if _, err := m.exec(ctx, tx, `UPDATE followups SET issued_at = ?, day = ?, survey_agent_id = ?, category = ?, channel = ?
			WHERE survey_id = ? AND day IS NULL`, issued, g.day, g.agent, g.category, g.channel, env.AggregateID); err != nil {
			return fmt.Errorf("group follow-ups of survey: %w", err)
		}
		d.followups, d.completed = followups, completed
	}
	return m.bump(ctx, tx, g, d)
}

func (m *SatisfactionModel) applySurveyChange(ctx context.Context, tx *sql.Tx, env events.Envelope) error {
	var version int64
	var status string
	var score int
	var g grouping
	err := m.queryRow(ctx, tx, `SELECT version, status, score, day, agent_id, category, channel
		FROM surveys WHERE id = ?`, []any{env.AggregateID}, &version, &status, &score, &g.day, &g.agent, &g.category, &g.channel)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read survey: %w", err)
	}
	if uint64(version) >= env.AggregateVersion {
		return nil
	}
	before := answerFigures(status, score)
	var n int64
	switch env.Type {
	case satapi.EventSurveyAnswered:
		var p satapi.SurveyAnswered
		if err := env.Decode(&p); err != nil {
			return err
		}
		var solved sql.NullInt16
		if p.Solved != nil {
			solved.Valid = true
			if *p.Solved {
				solved.Int16 = 1
			}
		}
		status, score = satapi.StatusAnswered, p.Score
		n, err = m.exec(ctx, tx, `UPDATE surveys SET version = ?, status = ?, answered_at = ?, score = ?, comment = ?,
			solved = ?, dim_speed = ?, dim_professionalism = ?, dim_outcome = ?, via = ? WHERE id = ? AND version < ?`,
			int64(env.AggregateVersion), status, sqlstore.Micros(env.OccurredAt), p.Score, p.Comment, solved,
			p.Dimensions.Speed, p.Dimensions.Professionalism, p.Dimensions.Outcome, p.Via,
			env.AggregateID, int64(env.AggregateVersion))
	case satapi.EventSurveyExpired:
		status = satapi.StatusExpired
		n, err = m.exec(ctx, tx, `UPDATE surveys SET version = ?, status = ? WHERE id = ? AND version < ?`,
			int64(env.AggregateVersion), status, env.AggregateID, int64(env.AggregateVersion))
	}
	if err != nil {
		return fmt.Errorf("update survey: %w", err)
	}
	if n == 0 {
		return nil
	}
	return m.bump(ctx, tx, g, answerFigures(status, score).minus(before))
}

func (m *SatisfactionModel) applyOpened(ctx context.Context, tx *sql.Tx, env events.Envelope) error {
	var p satapi.FollowUpOpened
	if err := env.Decode(&p); err != nil {
		return err
	}
	var issued, day sql.NullInt64
	var agent, category, channel sql.NullString
	err := m.queryRow(ctx, tx, `SELECT issued_at, day, agent_id, category, channel FROM surveys WHERE id = ?`,
		[]any{p.SurveyID}, &issued, &day, &agent, &category, &channel)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read survey %s: %w", p.SurveyID, err)
	}
	n, err := m.exec(ctx, tx, `INSERT INTO followups (id, version, survey_id, ticket_id, call_id, agent_id, reason, score,
		status, opened_at, due_at, issued_at, day, survey_agent_id, category, channel)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		env.AggregateID, int64(env.AggregateVersion), p.SurveyID, p.TicketID, p.CallID, p.AgentID, p.Reason, p.Score,
		satapi.FollowUpOpen, sqlstore.Micros(env.OccurredAt), sqlstore.Micros(p.DueAt), issued, day, agent, category, channel)
	if err != nil {
		return fmt.Errorf("insert follow-up: %w", err)
	}
	if n == 0 || !day.Valid {
		return nil // opened before, or the survey is not known yet
	}
	return m.bump(ctx, tx, grouping{day.Int64, agent.String, category.String, channel.String}, delta{followups: 1})
}

func (m *SatisfactionModel) applyCompleted(ctx context.Context, tx *sql.Tx, env events.Envelope) error {
	var p satapi.FollowUpCompleted
	if err := env.Decode(&p); err != nil {
		return err
	}
	var version int64
	var status string
	var day sql.NullInt64
	var agent, category, channel sql.NullString
	err := m.queryRow(ctx, tx, `SELECT version, status, day, survey_agent_id, category, channel
		FROM followups WHERE id = ?`, []any{env.AggregateID}, &version, &status, &day, &agent, &category, &channel)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read follow-up: %w", err)
	}
	if uint64(version) >= env.AggregateVersion {
		return nil
	}
	n, err := m.exec(ctx, tx, `UPDATE followups SET version = ?, status = ?, completed_at = ?, completed_by = ?,
		contact = ?, outcome = ? WHERE id = ? AND version < ?`,
		int64(env.AggregateVersion), satapi.FollowUpDone, sqlstore.Micros(env.OccurredAt), env.Actor, p.Contact, p.Outcome,
		env.AggregateID, int64(env.AggregateVersion))
	if err != nil {
		return fmt.Errorf("update follow-up: %w", err)
	}
	if n == 0 || !day.Valid || status == satapi.FollowUpDone {
		return nil
	}
	return m.bump(ctx, tx, grouping{day.Int64, agent.String, category.String, channel.String}, delta{completed: 1})
}

// Grains of survey_buckets.
const (
	grainTotal    = "total"
	grainAgent    = "agent"
	grainCategory = "category"
	grainChannel  = "channel"
)

// bump adds d to the figures of g's day in total and for its agent,
// category and channel, in one statement.
func (m *SatisfactionModel) bump(ctx context.Context, tx *sql.Tx, g grouping, d delta) error {
	if d == (delta{}) {
		return nil
	}
	var args []any
	for _, r := range [][2]string{{grainTotal, ""}, {grainAgent, g.agent}, {grainCategory, g.category}, {grainChannel, g.channel}} {
		args = append(args, r[0], g.day, r[1], d.issued, d.responses, d.scoreSum, d.csat, d.followups, d.completed)
	}
	row := "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
	_, err := m.exec(ctx, tx, `INSERT INTO survey_buckets (grain, day, grp, issued, responses, score_sum, csat_count,
		followups, followups_completed) VALUES `+row+", "+row+", "+row+", "+row+`
		ON CONFLICT (grain, day, grp) DO UPDATE SET
		issued = survey_buckets.issued + excluded.issued,
		responses = survey_buckets.responses + excluded.responses,
		score_sum = survey_buckets.score_sum + excluded.score_sum,
		csat_count = survey_buckets.csat_count + excluded.csat_count,
		followups = survey_buckets.followups + excluded.followups,
		followups_completed = survey_buckets.followups_completed + excluded.followups_completed`, args...)
	if err != nil {
		return fmt.Errorf("add to figures: %w", err)
	}
	return nil
}

// beijing is where days and weeks of the figures begin.
var beijing = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}()

// dayOf is the Micros of the Beijing midnight that begins the day of us.
func dayOf(us int64) int64 {
	y, mo, d := sqlstore.FromMicros(us).In(beijing).Date()
	return sqlstore.Micros(time.Date(y, mo, d, 0, 0, 0, 0, beijing))
}

// midnightFrom is the first Beijing midnight at or after us.
func midnightFrom(us int64) int64 {
	day := dayOf(us)
	if day == us {
		return day
	}
	y, mo, d := sqlstore.FromMicros(day).In(beijing).Date()
	return sqlstore.Micros(time.Date(y, mo, d+1, 0, 0, 0, 0, beijing))
}

const surveyColumns = `id, version, about, ticket_id, call_id, status, respondent, agent_id, category, channel,
	issued_at, expires_at, answered_at, score, comment, solved, dim_speed, dim_professionalism, dim_outcome, via`

// scanSurvey reads a row of surveyColumns, and returns its issued_at as
// Micros too.
func scanSurvey(row interface{ Scan(...any) error }) (satapi.Survey, int64, error) {
	var s satapi.Survey
	var version, issued, expires int64
	var answered, solved sql.NullInt64
	var dims satapi.Dimensions
	if err := row.Scan(&s.ID, &version, &s.About, &s.TicketID, &s.CallID, &s.Status, &s.Respondent, &s.AgentID,
		&s.Category, &s.Channel, &issued, &expires, &answered, &s.Score, &s.Comment, &solved,
		&dims.Speed, &dims.Professionalism, &dims.Outcome, &s.Via); err != nil {
		return satapi.Survey{}, 0, err
	}
	s.Version = uint64(version)
	s.IssuedAt, s.ExpiresAt, s.AnsweredAt = sqlstore.FromMicros(issued), sqlstore.FromMicros(expires), timePtr(answered)
	if solved.Valid {
		b := solved.Int64 != 0
		s.Solved = &b
	}
	if dims != (satapi.Dimensions{}) {
		s.Dimensions = &dims
	}
	return s, issued, nil
}

func timePtr(us sql.NullInt64) *time.Time {
	if !us.Valid {
		return nil
	}
	t := sqlstore.FromMicros(us.Int64)
	return &t
}

// Survey returns the survey id, and false when the model does not hold it.
func (m *SatisfactionModel) Survey(ctx context.Context, id string) (satapi.Survey, bool, error) {
	row := m.db.Read.QueryRowContext(ctx, m.db.Rebind(`SELECT `+surveyColumns+` FROM surveys WHERE id = ?`), id)
	s, _, err := scanSurvey(row)
	if errors.Is(err, sql.ErrNoRows) {
		return satapi.Survey{}, false, nil
	}
	if err != nil {
		return satapi.Survey{}, false, fmt.Errorf("get survey %s: %w", id, err)
	}
	return s, true, nil
}

// ListSurveys returns a page of surveys, newest issued first (the id
// breaking ties). An unknown status is an invalid argument, a cursor not
// made by ListSurveys a validation error.
func (m *SatisfactionModel) ListSurveys(ctx context.Context, f query.SurveyFilter) (satapi.SurveyPage, error) {
	limit := pageSize(f.Limit)
	var where []string
	var args []any
	if f.Respondent != "" {
		where, args = append(where, "respondent = ?"), append(args, f.Respondent)
	}
	switch f.Status {
	case "":
	case satapi.StatusOpen, satapi.StatusAnswered, satapi.StatusExpired:
		where, args = append(where, "status = ?"), append(args, f.Status)
	default:
		return satapi.SurveyPage{}, problem.InvalidArgument("status", "must be open, answered or expired")
	}
	query, args, err := sqlstore.Keyset{Column: "issued_at"}.Query(surveyColumns, "surveys", where, args, f.Cursor, limit)
	if err != nil {
		return satapi.SurveyPage{}, badCursor()
	}
	rows, err := m.db.Read.QueryContext(ctx, m.db.Rebind(query), args...)
	if err != nil {
		return satapi.SurveyPage{}, fmt.Errorf("list surveys: %w", err)
	}
	var page satapi.SurveyPage
	page.Items, page.NextCursor, err = sqlstore.ReadPage(rows, limit,
		func(r *sql.Rows) (satapi.Survey, int64, error) { return scanSurvey(r) }, func(s satapi.Survey) string { return s.ID })
	if err != nil {
		return satapi.SurveyPage{}, fmt.Errorf("list surveys: %w", err)
	}
	return page, nil
}

func pageSize(limit int) int {
	if limit <= 0 {
		return satapi.DefaultListLimit
	}
	return min(limit, satapi.MaxListLimit)
}

func badCursor() error {
	return problem.Validation(problem.FieldError{Field: "cursor", Message: "not a cursor from a previous page"})
}

const followUpColumns = `id, version, survey_id, ticket_id, call_id, agent_id, reason, score, status,
	opened_at, due_at, completed_at, completed_by, contact, outcome`

// scanFollowUp reads a row of followUpColumns; an open follow-up due before
// now is overdue. It returns its due_at as Micros too.
func scanFollowUp(row interface{ Scan(...any) error }, now int64) (satapi.FollowUp, int64, error) {
	var f satapi.FollowUp
	var version, opened, due int64
	var completed sql.NullInt64
	if err := row.Scan(&f.ID, &version, &f.SurveyID, &f.TicketID, &f.CallID, &f.AgentID, &f.Reason, &f.Score, &f.Status,
		&opened, &due, &completed, &f.CompletedBy, &f.Contact, &f.Outcome); err != nil {
		return satapi.FollowUp{}, 0, err
	}
	f.Version = uint64(version)
	f.OpenedAt, f.DueAt, f.CompletedAt = sqlstore.FromMicros(opened), sqlstore.FromMicros(due), timePtr(completed)
	if f.Status == satapi.FollowUpOpen && due < now {
		f.Status = satapi.FollowUpOverdue
	}
	return f, due, nil
}

// FollowUp returns the follow-up id as of now (overdue when open and due
// before now), and false when the model does not hold it.
func (m *SatisfactionModel) FollowUp(ctx context.Context, id string, now time.Time) (satapi.FollowUp, bool, error) {
	row := m.db.Read.QueryRowContext(ctx, m.db.Rebind(`SELECT `+followUpColumns+` FROM followups WHERE id = ?`), id)
	f, _, err := scanFollowUp(row, sqlstore.Micros(now))
	if errors.Is(err, sql.ErrNoRows) {
		return satapi.FollowUp{}, false, nil
	}
	if err != nil {
		return satapi.FollowUp{}, false, fmt.Errorf("get follow-up %s: %w", id, err)
	}
	return f, true, nil
}

// ListFollowUps returns a page of follow-ups as of now, the earliest due
// first (the id breaking ties): status "" lists all, open those not done
// (overdue ones included), overdue those open and due before now, done
// the completed ones. The limit is as in query.SurveyFilter. An unknown status
// is an invalid argument, a cursor not made by ListFollowUps a validation
// error.
func (m *SatisfactionModel) ListFollowUps(ctx context.Context, status string, now time.Time, limit int, cursor string) (satapi.FollowUpPage, error) {
	limit = pageSize(limit)
	at := sqlstore.Micros(now)
	var where []string
	var args []any
	switch status {
	case "":
	case satapi.FollowUpOpen, satapi.FollowUpDone:
		where, args = append(where, "status = ?"), append(args, status)
	case satapi.FollowUpOverdue:
		where, args = append(where, "status = ?", "due_at < ?"), append(args, satapi.FollowUpOpen, at)
	default:
		return satapi.FollowUpPage{}, problem.InvalidArgument("status", "must be open, overdue or done")
	}
	if cursor != "" {
		due, id, err := sqlstore.DecodeCursor(cursor)
		if err != nil {
			return satapi.FollowUpPage{}, badCursor()
		}
		where, args = append(where, "(due_at > ? OR (due_at = ? AND id > ?))"), append(args, due, due, id)
	}
	query := `SELECT ` + followUpColumns + ` FROM followups`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := m.db.Read.QueryContext(ctx, m.db.Rebind(query+` ORDER BY due_at, id LIMIT ?`), append(args, limit+1)...)
	if err != nil {
		return satapi.FollowUpPage{}, fmt.Errorf("list follow-ups: %w", err)
	}
	var page satapi.FollowUpPage
	page.Items, page.NextCursor, err = sqlstore.ReadPage(rows, limit,
		func(r *sql.Rows) (satapi.FollowUp, int64, error) { return scanFollowUp(r, at) }, func(f satapi.FollowUp) string { return f.ID })
	if err != nil {
		return satapi.FollowUpPage{}, fmt.Errorf("list follow-ups: %w", err)
	}
	return page, nil
}

// ExpiredSurveys returns the ids of up to limit (satapi.DefaultListLimit
// when not positive) open surveys that expire at now or earlier, the
// earliest expiry first, for the expiry scheduler.
func (m *SatisfactionModel) ExpiredSurveys(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := m.db.Read.QueryContext(ctx, m.db.Rebind(`SELECT id FROM surveys WHERE status = ? AND expires_at <= ?
		ORDER BY expires_at, id LIMIT ?`), satapi.StatusOpen, sqlstore.Micros(now), pageSize(limit))
	if err != nil {
		return nil, fmt.Errorf("expired surveys: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("expired surveys: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("expired surveys: %w", err)
	}
	return ids, nil
}

// tally adds up the figures of a group.
type tally struct {
	issued, responses, scoreSum, csat, followups, completed, overdue int
}

func (t *tally) add(o tally) {
	t.issued, t.responses, t.scoreSum = t.issued+o.issued, t.responses+o.responses, t.scoreSum+o.scoreSum
	t.csat, t.followups, t.completed = t.csat+o.csat, t.followups+o.followups, t.completed+o.completed
	t.overdue += o.overdue
}

func (t *tally) figures(key string) satapi.Figures {
	return satapi.Figures{
		Key: key, Issued: t.issued, Responses: t.responses,
		CSAT:               ratio(t.csat, t.responses),
		AvgScore:           ratio(t.scoreSum, t.responses),
		ResponseRate:       ratio(t.responses, t.issued),
		FollowUps:          t.followups,
		FollowUpsCompleted: t.completed,
		FollowUpsOverdue:   t.overdue,
	}
}

// ratio is n/d, or 0 when d is 0.
func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// keyColumns are the select list (a text key, then a day) and the GROUP BY
// clause that group rows by what groupBy names; column is the column that
// holds the agent, category or channel grouped by. The total has no GROUP
// BY, so its aggregates must be COALESCEd.
func keyColumns(groupBy, column string) (string, string) {
	switch groupBy {
	case satapi.GroupByAgent, satapi.GroupByCategory, satapi.GroupByChannel:
		return column + ", 0", " GROUP BY " + column
	case satapi.GroupByDay, satapi.GroupByWeek:
		return "'', day", " GROUP BY day"
	}
	return "'', 0", ""
}

// statsKey is the key of a group: text when grouped by agent, category or
// channel, else made of the Beijing day day (Micros of its midnight).
func statsKey(groupBy string, text string, day int64) string {
	switch groupBy {
	case satapi.GroupByDay:
		return sqlstore.FromMicros(day).In(beijing).Format(time.DateOnly)
	case satapi.GroupByWeek:
		y, w := sqlstore.FromMicros(day).In(beijing).ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w)
	}
	return text
}

// Stats returns the figures of the surveys issued in [q.From, q.To)
// (times are taken to the microsecond), with follow-ups overdue as of now,
// in total and grouped by q.GroupBy ("" for the total only), groups in
// ascending key order and only those with surveys. Days and weeks are
// Beijing's; week keys are ISO weeks (2026-W48).
//
// The whole Beijing days in the range are read from the day buckets, the
// hours before the first midnight and after the last from the surveys
// themselves, so the figures are exact for any range while a year reads
// at most 365 bucket rows per group. Overdue follow-ups, which depend on
// now, are counted from the follow-ups. All is read in one statement, so
// in one snapshot of the model. An unknown grouping or a range that ends
// before it begins is an invalid argument.
func (m *SatisfactionModel) Stats(ctx context.Context, q satapi.GetStats, now time.Time) (satapi.Stats, error) {
	// The bucket grain and the columns of surveys and follow-ups to group by.
	grain, surveyCol, followUpCol := grainTotal, "", ""
	switch q.GroupBy {
	case "", satapi.GroupByDay, satapi.GroupByWeek:
	case satapi.GroupByAgent:
		grain, surveyCol, followUpCol = grainAgent, "agent_id", "survey_agent_id"
	case satapi.GroupByCategory:
		grain, surveyCol, followUpCol = grainCategory, "category", "category"
	case satapi.GroupByChannel:
		grain, surveyCol, followUpCol = grainChannel, "channel", "channel"
	default:
		return satapi.Stats{}, problem.InvalidArgument("group_by", "must be agent, category, channel, day or week")
	}
	if q.To.Before(q.From) {
		return satapi.Stats{}, problem.InvalidArgument("to", "must not be before from")
	}
	from, to := sqlstore.Micros(q.From), sqlstore.Micros(q.To)
	// One statement of a part per source, so that all are read in one
	// snapshot; every part's rows are a text key and a day (see
	// keyColumns), then issued, responses, score_sum, csat_count,
	// followups, followups_completed and overdue.
	var parts []string
	var args []any
	part := func(sql string, a ...any) { parts, args = append(parts, sql), append(args, a...) }
	first, last := midnightFrom(from), dayOf(to) // the whole days are [first, last)
	partial := [][2]int64{{from, to}}
	if first < last {
		sel, group := keyColumns(q.GroupBy, "grp")
		part(`SELECT `+sel+`, COALESCE(SUM(issued), 0), COALESCE(SUM(responses), 0), COALESCE(SUM(score_sum), 0),
			COALESCE(SUM(csat_count), 0), COALESCE(SUM(followups), 0), COALESCE(SUM(followups_completed), 0), 0
			FROM survey_buckets WHERE grain = ? AND day >= ? AND day < ?`+group, grain, first, last)
		partial = [][2]int64{{from, first}, {last, to}}
	}
	for _, p := range partial {
		if p[0] >= p[1] {
			continue
		}
		sel, group := keyColumns(q.GroupBy, surveyCol)
		part(`SELECT `+sel+`, COUNT(*),
			COALESCE(SUM(CASE WHEN status = 'answered' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN status = 'answered' THEN score ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN status = 'answered' AND score >= ? THEN 1 ELSE 0 END), 0), 0, 0, 0
			FROM surveys WHERE issued_at >= ? AND issued_at < ?`+group, csatFrom, p[0], p[1])
		sel, group = keyColumns(q.GroupBy, followUpCol)
		part(`SELECT `+sel+`, 0, 0, 0, 0, COUNT(*), COALESCE(SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END), 0), 0
			FROM followups WHERE issued_at >= ? AND issued_at < ?`+group, p[0], p[1])
	}
	sel, group := keyColumns(q.GroupBy, followUpCol)
	part(`SELECT `+sel+`, 0, 0, 0, 0, 0, 0, COUNT(*) FROM followups
		WHERE status = 'open' AND due_at < ? AND issued_at >= ? AND issued_at < ?`+group, sqlstore.Micros(now), from, to)

	rows, err := m.db.Read.QueryContext(ctx, m.db.Rebind(strings.Join(parts, "\nUNION ALL\n")), args...)
	if err != nil {
		return satapi.Stats{}, fmt.Errorf("satisfaction figures: %w", err)
	}
	defer rows.Close()
	groups := map[string]*tally{}
	for rows.Next() {
		var text string
		var day int64
		var t tally
		if err := rows.Scan(&text, &day, &t.issued, &t.responses, &t.scoreSum, &t.csat, &t.followups, &t.completed, &t.overdue); err != nil {
			return satapi.Stats{}, fmt.Errorf("satisfaction figures: %w", err)
		}
		if t == (tally{}) {
			continue // a total part that counted nothing
		}
		key := statsKey(q.GroupBy, text, day)
		if groups[key] == nil {
			groups[key] = &tally{}
		}
		groups[key].add(t)
	}
	if err := rows.Err(); err != nil {
		return satapi.Stats{}, fmt.Errorf("satisfaction figures: %w", err)
	}

	stats := satapi.Stats{From: q.From, To: q.To, GroupBy: q.GroupBy, Groups: []satapi.Figures{}}
	var total tally
	keys := make([]string, 0, len(groups))
	for k, g := range groups { // every group has surveys: follow-ups count only with theirs
		keys = append(keys, k)
		total.add(*g)
	}
	stats.Total = total.figures("")
	if q.GroupBy == "" {
		return stats, nil
	}
	slices.Sort(keys)
	for _, k := range keys {
		stats.Groups = append(stats.Groups, groups[k].figures(k))
	}
	return stats, nil
}
