// Package adapters connects the call-record service to infrastructure: the
// event store, the SQL read model of calls and PBX keys, and the
// neighbouring services.
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

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/pii"
	"helpdesk/infra/sqlstore"
	"helpdesk/services/callrecord/app/command"
)

// CallList is the SQL read model of calls and PBX keys: a projection of the
// call-record stream (it implements projection.Handler and
// projection.Selective) and the query side of call views, lists, hotline
// figures and the recording purge. It works on SQLite and PostgreSQL; times
// are stored as sqlstore.Micros.
//
// Every event is applied so that applying it twice leaves the same rows:
// a call is inserted once, the first answer time is kept, and a CDR source
// is listed once.
type CallList struct {
	db *sqlstore.DB
}

// NewCallList returns the read model stored in db.
func NewCallList(db *sqlstore.DB) *CallList { return &CallList{db: db} }

// Name is the projection's durable name; it never changes.
func (*CallList) Name() string { return "calls" }

// Stream is the stream the projection reads.
func (*CallList) Stream() string { return subjects.Stream(subjects.ServiceCallRecord) }

// EventTypes are the event types Apply folds; the runner skips the others
// without decoding them.
func (*CallList) EventTypes() []string {
	return []string{
		callapi.EventAgentStateChanged, callapi.EventCallReceived, callapi.EventCallTransferred,
		callapi.EventCallAnswered, callapi.EventCallNotAnswered, callapi.EventCallEnded,
		callapi.EventCallRated, callapi.EventCallResolved, callapi.EventTicketOpened,
		callapi.EventRecordingStored, callapi.EventRecordingPurged,
		callapi.EventCDRIngested, callapi.EventPBXKeyCreated, callapi.EventPBXKeyRevoked,
	}
}

// Migrations create the read model's tables. The calls table's key column
// is named id, as sqlstore.Keyset expects; it holds the PBX's call id.
// cdr_sources is a comma-separated list.
func (*CallList) Migrations() []string {
	return []string{`
CREATE TABLE calls (
	id                TEXT PRIMARY KEY,
	caller            TEXT NOT NULL,
	hotline           TEXT NOT NULL,
	skill             TEXT NOT NULL DEFAULT '',
	status            TEXT NOT NULL,
	agent_id          TEXT NOT NULL DEFAULT '',
	agent_extension   TEXT NOT NULL DEFAULT '',
	agent_work_number TEXT NOT NULL DEFAULT '',
	queue_position    INTEGER NOT NULL DEFAULT 0,
	received_at       BIGINT NOT NULL,
	answered_at       BIGINT,
	ended_at          BIGINT,
	disposition       TEXT NOT NULL DEFAULT '',
	rating            INTEGER NOT NULL DEFAULT 0,
	transfers         INTEGER NOT NULL DEFAULT 0,
	ticket_id         TEXT NOT NULL DEFAULT '',
	question          TEXT NOT NULL DEFAULT '',
	resolution        TEXT NOT NULL DEFAULT '',
	rec_object        TEXT NOT NULL DEFAULT '',
	rec_content_type  TEXT NOT NULL DEFAULT '',
	rec_size          BIGINT NOT NULL DEFAULT 0,
	rec_sha256        TEXT NOT NULL DEFAULT '',
	rec_stored_at     BIGINT,
	rec_keep_until    BIGINT,
	rec_purged_at     BIGINT,
	cdr_sources       TEXT NOT NULL DEFAULT '',
	updated_at        BIGINT NOT NULL
);
CREATE INDEX calls_received ON calls (received_at DESC, id DESC);
CREATE INDEX calls_agent ON calls (agent_id, received_at DESC);
CREATE INDEX calls_disposition ON calls (disposition, received_at DESC);
CREATE INDEX calls_keep_until ON calls (rec_keep_until);
CREATE TABLE pbx_keys (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	revoked_at BIGINT
);
`}
}

// Reset empties the read model before a rebuild.
func (*CallList) Reset(ctx context.Context, tx *sql.Tx) error {
	for _, table := range []string{"calls", "pbx_keys"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table); err != nil {
			return fmt.Errorf("reset %s: %w", table, err)
		}
	}
	return nil
}

// Apply folds one call-record event into the read model. Events of a call
// the model does not hold (other than its arrival or CDR) change nothing.
// Once a call has ended, routing events no longer change its status.
func (l *CallList) Apply(ctx context.Context, tx *sql.Tx, env events.Envelope) error {
	at := sqlstore.Micros(env.OccurredAt)
	exec := func(query string, args ...any) error {
		if _, err := tx.ExecContext(ctx, l.db.Rebind(query), args...); err != nil {
			return fmt.Errorf("apply %s %s to calls: %w", env.Type, env.ID, err)
		}
		return nil
	}
	// update changes the calls matching where; updated_at never moves
	// back, so that an event applied again changes nothing. args are those
	// of set, then those of where.
	update := func(set, where string, args ...any) error {
		return exec(`UPDATE calls SET updated_at = CASE WHEN updated_at < ? THEN ? ELSE updated_at END, `+set+
			` WHERE `+where, append([]any{at, at}, args...)...)
	}
	// route puts a routing decision on its call: ringing an agent, or
	// waiting at a place in the queue.
	// An event older than the call's last change (a redelivery) routes
	// nothing.
	route := func(r callapi.Routing) error {
		if r.Action == callapi.ActionRing && r.Agent != nil {
			return update(`status = ?, agent_id = ?, agent_extension = ?, agent_work_number = ?, queue_position = 0`,
				`id = ? AND status <> 'ended' AND updated_at <= ?`, callapi.StatusRinging, r.Agent.ID, r.Agent.Extension, r.Agent.WorkNumber, r.CallID, at)
		}
		return update(`status = ?, queue_position = ?, agent_id = '', agent_extension = '', agent_work_number = ''`,
			`id = ? AND status <> 'ended' AND updated_at <= ?`, callapi.StatusQueued, r.QueuePosition, r.CallID, at)
	}
	switch env.Type {
	case callapi.EventCallReceived:
		var p callapi.CallReceived
		if err := env.Decode(&p); err != nil {
			return err
		}
		err := exec(`INSERT INTO calls (id, caller, hotline, skill, status, received_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			p.CallID, p.Caller, p.Hotline, p.Skill, callapi.StatusQueued, at, at)
		if err != nil {
			return err
		}
		return route(p.Routing)
	case callapi.EventAgentStateChanged:
		var p callapi.AgentStateChanged
		if err := env.Decode(&p); err != nil {
			return err
		}
		if p.Routing == nil {
			return nil
		}
		return route(*p.Routing)
	case callapi.EventCallTransferred:
		var p callapi.CallTransferred
		if err := env.Decode(&p); err != nil {
			return err
		}
		set, args := `transfers = transfers + 1`, []any{}
		if p.Skill != "" {
			set, args = set+`, skill = ?`, append(args, p.Skill)
		}
		// A transfer counts once: the routing below moves updated_at on.
		if err := update(set, `id = ? AND updated_at < ? AND status = 'answered'`, append(args, p.CallID, at)...); err != nil {
			return err
		}
		return route(p.Routing)
	case callapi.EventCallAnswered:
		var p callapi.CallAnswered
		if err := env.Decode(&p); err != nil {
			return err
		}
		set, args := `status = CASE WHEN status = 'ended' THEN status ELSE 'answered' END,
			answered_at = COALESCE(answered_at, ?), queue_position = 0`, []any{at}
		if p.AgentID != "" {
			set, args = set+`, agent_id = ?`, append(args, p.AgentID)
		}
		return update(set, `id = ?`, append(args, p.CallID)...)
	case callapi.EventCallNotAnswered:
		var p callapi.CallNotAnswered
		if err := env.Decode(&p); err != nil {
			return err
		}
		return route(p.Routing)
	case callapi.EventCallEnded:
		var p callapi.CallEnded
		if err := env.Decode(&p); err != nil {
			return err
		}
		set, args := `status = ?, ended_at = ?, disposition = ?, queue_position = 0`,
			[]any{callapi.StatusEnded, at, p.Disposition}
		if p.AgentID != "" {
			set, args = set+`, agent_id = CASE WHEN agent_id = '' THEN ? ELSE agent_id END`, append(args, p.AgentID)
		}
		// A call ends once: the first end (live or from a CDR) stands.
		return update(set, `id = ? AND ended_at IS NULL`, append(args, p.CallID)...)
	case callapi.EventCallRated:
		var p callapi.CallRated
		if err := env.Decode(&p); err != nil {
			return err
		}
		return update(`rating = ?`, `id = ?`, p.Score, p.CallID)
	case callapi.EventCallResolved:
		var p callapi.CallResolved
		if err := env.Decode(&p); err != nil {
			return err
		}
		return update(`question = ?, resolution = ?`, `id = ?`, p.Question, p.Resolution, p.CallID)
	case callapi.EventTicketOpened:
		var p callapi.TicketOpened
		if err := env.Decode(&p); err != nil {
			return err
		}
		return update(`ticket_id = ?`, `id = ?`, p.TicketID, p.CallID)
	case callapi.EventRecordingStored:
		var p callapi.RecordingStored
		if err := env.Decode(&p); err != nil {
			return err
		}
		// A new object replaces the recording; the same object again keeps
		// its purge.
		return update(`rec_purged_at = CASE WHEN rec_object = ? THEN rec_purged_at ELSE NULL END,
			rec_object = ?, rec_content_type = ?, rec_size = ?, rec_sha256 = ?, rec_stored_at = ?, rec_keep_until = ?`,
			`id = ?`, p.Object, p.Object, p.ContentType, p.Size, p.SHA256, at, sqlstore.Micros(p.KeepUntil), p.CallID)
	case callapi.EventRecordingPurged:
		var p callapi.RecordingPurged
		if err := env.Decode(&p); err != nil {
			return err
		}
		return update(`rec_purged_at = ?`, `id = ? AND rec_object = ? AND rec_purged_at IS NULL`,
			at, p.CallID, p.Object)
	case callapi.EventCDRIngested:
		var p callapi.CDRIngested
		if err := env.Decode(&p); err != nil {
			return err
		}
		if err := l.applyCDR(ctx, tx, p, at); err != nil {
			return fmt.Errorf("apply %s %s to calls: %w", env.Type, env.ID, err)
		}
		return nil
	case callapi.EventPBXKeyCreated:
		var p callapi.PBXKeyCreated
		if err := env.Decode(&p); err != nil {
			return err
		}
		return exec(`INSERT INTO pbx_keys (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			env.AggregateID, p.Name, at)
	case callapi.EventPBXKeyRevoked:
		return exec(`UPDATE pbx_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, at, env.AggregateID)
	}
	return nil // board events about agents, playbacks and later additions are not needed here
}

// applyCDR reconciles the call with the PBX's record of it: a call the
// model does not hold is created from the record; for one it holds, only
// the answer time, end time and disposition that the live API did not
// record are filled in (and the call is ended when it had no end). The
// record's source is listed once.
func (l *CallList) applyCDR(ctx context.Context, tx *sql.Tx, p callapi.CDRIngested, at int64) error {
	answered := optionalMicros(p.AnsweredAt)
	ended := optionalMicros(p.EndedAt)
	var status, disposition, sources string
	var rowAnswered, rowEnded sql.NullInt64
	var updated int64
	err := tx.QueryRowContext(ctx, l.db.Rebind(`SELECT status, answered_at, ended_at, disposition, cdr_sources, updated_at
		FROM calls WHERE id = ?`), p.CallID).Scan(&status, &rowAnswered, &rowEnded, &disposition, &sources, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = tx.ExecContext(ctx, l.db.Rebind(`INSERT INTO calls (id, caller, hotline, status, received_at,
			answered_at, ended_at, disposition, cdr_sources, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`),
			p.CallID, p.Caller, p.Hotline, callapi.StatusEnded, sqlstore.Micros(p.StartedAt),
			answered, ended, p.Disposition, addSource("", p.Source), at)
		if err != nil {
			return fmt.Errorf("insert call %s from CDR: %w", p.CallID, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("read call %s: %w", p.CallID, err)
	}
	if !rowAnswered.Valid {
		rowAnswered = answered
	}
	if !rowEnded.Valid && ended.Valid {
		rowEnded, status = ended, callapi.StatusEnded
	}
	if disposition == "" {
		disposition = p.Disposition
	}
	_, err = tx.ExecContext(ctx, l.db.Rebind(`UPDATE calls SET status = ?, answered_at = ?, ended_at = ?,
		disposition = ?, cdr_sources = ?, updated_at = ? WHERE id = ?`),
		status, rowAnswered, rowEnded, disposition, addSource(sources, p.Source), max(updated, at), p.CallID)
	if err != nil {
		return fmt.Errorf("update call %s from CDR: %w", p.CallID, err)
	}
	return nil
}

// addSource adds source to a comma-separated list unless it is there.
func addSource(list, source string) string {
	if source == "" || slices.Contains(splitSources(list), source) {
		return list
	}
	if list == "" {
		return source
	}
	return list + "," + source
}

func splitSources(list string) []string {
	if list == "" {
		return nil
	}
	return strings.Split(list, ",")
}

// optionalMicros is t as Micros, or NULL for the zero time.
func optionalMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: sqlstore.Micros(t), Valid: true}
}

const callColumns = `id, caller, hotline, skill, status, agent_id, agent_extension, agent_work_number, queue_position,
	received_at, answered_at, ended_at, disposition, rating, transfers, ticket_id, question, resolution,
	rec_content_type, rec_size, rec_sha256, rec_stored_at, rec_keep_until, rec_purged_at, cdr_sources, updated_at`

// scanCall reads a row of callColumns into the call view, with the caller
// masked unless admin, and returns its received_at as Micros too.
func scanCall(row interface{ Scan(...any) error }, admin bool) (callapi.Call, int64, error) {
	var c callapi.Call
	var agentID, extension, workNumber, contentType, sha, sources string
	var received, updated, size int64
	var answered, ended, stored, keepUntil, purged sql.NullInt64
	if err := row.Scan(&c.CallID, &c.Caller, &c.Hotline, &c.Skill, &c.Status, &agentID, &extension, &workNumber,
		&c.QueuePosition, &received, &answered, &ended, &c.Disposition, &c.Rating, &c.Transfers, &c.TicketID,
		&c.Question, &c.Resolution, &contentType, &size, &sha, &stored, &keepUntil, &purged, &sources, &updated); err != nil {
		return callapi.Call{}, 0, err
	}
	if !admin {
		c.Caller = pii.MaskPhone(c.Caller)
	}
	if agentID != "" {
		c.Agent = &callapi.AgentRef{ID: agentID, Extension: extension, WorkNumber: workNumber}
	}
	c.ReceivedAt, c.UpdatedAt = sqlstore.FromMicros(received), sqlstore.FromMicros(updated)
	c.AnsweredAt, c.EndedAt = timePtr(answered), timePtr(ended)
	switch {
	case answered.Valid:
		c.WaitSeconds = seconds(answered.Int64 - received)
		if ended.Valid {
			c.HandleSeconds = seconds(ended.Int64 - answered.Int64)
		}
	case ended.Valid:
		c.WaitSeconds = seconds(ended.Int64 - received)
	}
	if stored.Valid {
		c.Recording = &callapi.Recording{ContentType: contentType, Size: size, SHA256: sha,
			StoredAt: sqlstore.FromMicros(stored.Int64), KeepUntil: sqlstore.FromMicros(keepUntil.Int64),
			PurgedAt: timePtr(purged)}
	}
	c.CDRSources = splitSources(sources)
	return c, received, nil
}

func timePtr(us sql.NullInt64) *time.Time {
	if !us.Valid {
		return nil
	}
	t := sqlstore.FromMicros(us.Int64)
	return &t
}

func seconds(us int64) *float64 {
	s := float64(us) / 1e6
	return &s
}

// Get returns the call the PBX calls callID, and false when the model does
// not hold it. The caller's number is masked unless admin.
func (l *CallList) Get(ctx context.Context, callID string, admin bool) (callapi.Call, bool, error) {
	row := l.db.Read.QueryRowContext(ctx, l.db.Rebind(`SELECT `+callColumns+` FROM calls WHERE id = ?`), callID)
	c, _, err := scanCall(row, admin)
	if errors.Is(err, sql.ErrNoRows) {
		return callapi.Call{}, false, nil
	}
	if err != nil {
		return callapi.Call{}, false, fmt.Errorf("get call %s: %w", callID, err)
	}
	return c, true, nil
}

// List returns a page of calls, newest arrival first, that arrived in
// [q.From, q.To) (a zero bound is open) and match the agent and disposition
// when given. The limit defaults to callapi.DefaultListLimit and is capped
// at callapi.MaxListLimit. A cursor not made by List is a validation error.
// Callers' numbers are masked unless admin.
func (l *CallList) List(ctx context.Context, q callapi.ListCalls, admin bool) (callapi.CallPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = callapi.DefaultListLimit
	}
	limit = min(limit, callapi.MaxListLimit)
	var where []string
	var args []any
	if !q.From.IsZero() {
		where, args = append(where, "received_at >= ?"), append(args, sqlstore.Micros(q.From))
	}
	if !q.To.IsZero() {
		where, args = append(where, "received_at < ?"), append(args, sqlstore.Micros(q.To))
	}
	if q.AgentID != "" {
		where, args = append(where, "agent_id = ?"), append(args, q.AgentID)
	}
	if q.Disposition != "" {
		where, args = append(where, "disposition = ?"), append(args, q.Disposition)
	}
	query, args, err := sqlstore.Keyset{Column: "received_at"}.Query(callColumns, "calls", where, args, q.Cursor, limit)
	if err != nil {
		return callapi.CallPage{}, problem.Validation(problem.FieldError{Field: "cursor", Message: "not a cursor from a previous page"})
	}
	rows, err := l.db.Read.QueryContext(ctx, l.db.Rebind(query), args...)
	if err != nil {
		return callapi.CallPage{}, fmt.Errorf("list calls: %w", err)
	}
	var page callapi.CallPage
	page.Items, page.NextCursor, err = sqlstore.ReadPage(rows, limit,
		func(r *sql.Rows) (callapi.Call, int64, error) { return scanCall(r, admin) }, func(c callapi.Call) string { return c.CallID })
	if err != nil {
		return callapi.CallPage{}, fmt.Errorf("list calls: %w", err)
	}
	return page, nil
}

// beijing is where hours and days of the hotline figures begin.
var beijing = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}()

// tally adds up the figures of a set of calls.
type tally struct {
	offered, answered, abandoned, withinLevel, handled, rated, ratingSum int
	waitUS, handleUS                                                     int64
}

func (t *tally) add(answered, ended sql.NullInt64, received int64, disposition string, rating int) {
	t.offered++
	if answered.Valid {
		t.answered++
		wait := answered.Int64 - received
		t.waitUS += wait
		if wait <= callapi.ServiceLevelSeconds*1e6 {
			t.withinLevel++
		}
		if ended.Valid {
			t.handled++
			t.handleUS += ended.Int64 - answered.Int64
		}
	}
	if disposition == callapi.DispositionAbandoned {
		t.abandoned++
	}
	if rating > 0 {
		t.rated++
		t.ratingSum += rating
	}
}

func (t *tally) figures(key string) callapi.Figures {
	return callapi.Figures{
		Key: key, Offered: t.offered, Answered: t.answered, Abandoned: t.abandoned,
		AnswerRate:       ratio(float64(t.answered), t.offered),
		ServiceLevel:     ratio(float64(t.withinLevel), t.offered),
		AvgWaitSeconds:   ratio(float64(t.waitUS)/1e6, t.answered),
		AvgHandleSeconds: ratio(float64(t.handleUS)/1e6, t.handled),
		AvgRating:        ratio(float64(t.ratingSum), t.rated),
		Rated:            t.rated,
	}
}

// ratio is n/d, or 0 when d is 0.
func ratio(n float64, d int) float64 {
	if d == 0 {
		return 0
	}
	return n / float64(d)
}

// Stats returns the hotline figures of the calls that arrived in
// [q.From, q.To), every call counting as offered whatever its state,
// grouped by the Beijing hour or day of arrival (keys are RFC 3339 times
// at +08:00) or by agent (the call's last agent; "" for calls no agent
// took), in ascending key order. Only groups with calls are listed. An
// unknown grouping is an invalid argument. The figures are added up in Go
// from the calls' rows, so the range should stay bounded (a year or so).
func (l *CallList) Stats(ctx context.Context, q callapi.GetStats) (callapi.Stats, error) {
	var keyOf func(agentID string, received int64) string
	switch q.GroupBy {
	case callapi.GroupByHour:
		keyOf = func(_ string, received int64) string {
			t := sqlstore.FromMicros(received).In(beijing)
			return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, beijing).Format(time.RFC3339)
		}
	case callapi.GroupByDay:
		keyOf = func(_ string, received int64) string {
			t := sqlstore.FromMicros(received).In(beijing)
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, beijing).Format(time.RFC3339)
		}
	case callapi.GroupByAgent:
		keyOf = func(agentID string, _ int64) string { return agentID }
	default:
		return callapi.Stats{}, problem.InvalidArgument("group_by", "must be hour, day or agent")
	}
	rows, err := l.db.Read.QueryContext(ctx, l.db.Rebind(`SELECT agent_id, received_at, answered_at, ended_at,
		disposition, rating FROM calls WHERE received_at >= ? AND received_at < ?`),
		sqlstore.Micros(q.From), sqlstore.Micros(q.To))
	if err != nil {
		return callapi.Stats{}, fmt.Errorf("call stats: %w", err)
	}
	defer rows.Close()
	var total tally
	groups := map[string]*tally{}
	for rows.Next() {
		var agentID, disposition string
		var received int64
		var answered, ended sql.NullInt64
		var rating int
		if err := rows.Scan(&agentID, &received, &answered, &ended, &disposition, &rating); err != nil {
			return callapi.Stats{}, fmt.Errorf("call stats: %w", err)
		}
		key := keyOf(agentID, received)
		g := groups[key]
		if g == nil {
			g = &tally{}
			groups[key] = g
		}
		g.add(answered, ended, received, disposition, rating)
		total.add(answered, ended, received, disposition, rating)
	}
	if err := rows.Err(); err != nil {
		return callapi.Stats{}, fmt.Errorf("call stats: %w", err)
	}
	stats := callapi.Stats{From: q.From, To: q.To, GroupBy: q.GroupBy, Groups: []callapi.Figures{}, Total: total.figures("")}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.Sort(keys) // RFC 3339 times at one offset sort as they fall
	for _, k := range keys {
		stats.Groups = append(stats.Groups, groups[k].figures(k))
	}
	return stats, nil
}

// PBXKeys lists the PBX keys, oldest first, revoked ones included.
func (l *CallList) PBXKeys(ctx context.Context) (callapi.PBXKeys, error) {
	rows, err := l.db.Read.QueryContext(ctx, `SELECT id, name, created_at, revoked_at FROM pbx_keys ORDER BY created_at, id`)
	if err != nil {
		return callapi.PBXKeys{}, fmt.Errorf("list PBX keys: %w", err)
	}
	defer rows.Close()
	keys := callapi.PBXKeys{Items: []callapi.PBXKey{}}
	for rows.Next() {
		var k callapi.PBXKey
		var created int64
		var revoked sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Name, &created, &revoked); err != nil {
			return callapi.PBXKeys{}, fmt.Errorf("list PBX keys: %w", err)
		}
		k.CreatedAt, k.RevokedAt = sqlstore.FromMicros(created), timePtr(revoked)
		keys.Items = append(keys.Items, k)
	}
	if err := rows.Err(); err != nil {
		return callapi.PBXKeys{}, fmt.Errorf("list PBX keys: %w", err)
	}
	return keys, nil
}

// ExpiredRecording is a stored recording whose retention has ended.
type ExpiredRecording = command.ExpiredRecording

// ExpiredRecordings returns up to limit recordings that are stored, not
// purged, and kept until until or earlier, the earliest keep-until first.
// Holds are not checked here: see ExpiredRecording.TicketID.
func (l *CallList) ExpiredRecordings(ctx context.Context, until time.Time, after ExpiredRecording, limit int) ([]ExpiredRecording, error) {
	afterKeep := int64(math.MinInt64)
	if !after.KeepUntil.IsZero() {
		afterKeep = sqlstore.Micros(after.KeepUntil)
	}
	rows, err := l.db.Read.QueryContext(ctx, l.db.Rebind(`SELECT id, rec_object, ticket_id, rec_keep_until FROM calls
		WHERE rec_stored_at IS NOT NULL AND rec_purged_at IS NULL AND rec_keep_until <= ?
		AND (rec_keep_until > ? OR rec_keep_until = ? AND id > ?)
		ORDER BY rec_keep_until, id LIMIT ?`), sqlstore.Micros(until), afterKeep, afterKeep, after.CallID, limit)
	if err != nil {
		return nil, fmt.Errorf("expired recordings: %w", err)
	}
	defer rows.Close()
	var out []ExpiredRecording
	for rows.Next() {
		var r ExpiredRecording
		var keepUntil int64
		if err := rows.Scan(&r.CallID, &r.Object, &r.TicketID, &keepUntil); err != nil {
			return nil, fmt.Errorf("expired recordings: %w", err)
		}
		r.KeepUntil = sqlstore.FromMicros(keepUntil)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("expired recordings: %w", err)
	}
	return out, nil
}
