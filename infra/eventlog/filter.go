// Package eventlog reads the event streams of every service for audits:
// the events that match a filter, merged across streams by occurred_at,
// with secrets removed from their data, and an opaque cursor to resume.
// View shows an event as a user's role may see it (no internal notes' text,
// masked phone numbers).
//
// It is read-only and reads the wire format only through
// eventstore.DecodeMsg. `helpdesk replay` and the gateway's
// GET /api/v1/audit/events are built on it.
package eventlog

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
)

// Params are the filters as a user writes them (CLI flags or query
// parameters); ParseFilter checks and converts them. Empty means "any".
type Params struct {
	// Service is one of subjects.Services.
	Service string
	// Aggregate is "<type>/<id>", "<type>/*" (every aggregate of a type) or
	// a bare "<id>" (an aggregate of any type with that id).
	Aggregate string
	// Type is a comma-separated list of event types; an entry ending in ".*"
	// matches every type with that prefix, e.g. "ticket.*".
	Type string
	// Actor is the user id (or "system:<component>") that caused the event.
	Actor string
	// From (inclusive) and To (exclusive) bound occurred_at, in RFC 3339.
	From, To string
}

// Filter selects events. The zero Filter selects every event.
type Filter struct {
	// Services to read; empty means all of subjects.Services.
	Services []string
	// AggregateType and AggregateID select aggregates; "" means any.
	AggregateType, AggregateID string
	// Types are exact event types, or prefixes ending in "." (from "x.*").
	Types []string
	// Actor is the exact actor; "" means any.
	Actor string
	// From (inclusive) and To (exclusive) bound occurred_at; zero means
	// unbounded.
	From, To time.Time
}

var (
	typePattern  = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?$`)
	tokenPattern = regexp.MustCompile(`^[A-Za-z0-9_:@+=-]{1,128}$`)
)

// ParseFilter checks p and returns the filter it describes. Every bad field
// is reported in one problem.CodeInvalidArgument error whose field names are
// those of Params in lower case (service, aggregate, type, actor, from, to).
func ParseFilter(p Params) (Filter, error) {
	var f Filter
	var bad []problem.FieldError
	fail := func(field, format string, args ...any) {
		bad = append(bad, problem.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if p.Service != "" {
		if !slices.Contains(subjects.Services, p.Service) {
			fail("service", "one of %s", strings.Join(subjects.Services, ", "))
		} else {
			f.Services = []string{p.Service}
		}
	}
	if p.Aggregate != "" {
		typ, id, hasType := strings.Cut(p.Aggregate, "/")
		if !hasType {
			typ, id = "", p.Aggregate
		}
		switch {
		case hasType && !tokenPattern.MatchString(typ):
			fail("aggregate", "the aggregate type must be a word such as ticket")
		case id == "*" && hasType:
			f.AggregateType = typ
		case !tokenPattern.MatchString(id):
			fail("aggregate", "want <type>/<id>, <type>/* or <id>, where an id has letters, digits and -_:@+= only")
		default:
			f.AggregateType, f.AggregateID = typ, id
		}
	}
	if p.Type != "" {
		for _, t := range strings.Split(p.Type, ",") {
			t = strings.TrimSpace(t)
			if !typePattern.MatchString(t) {
				fail("type", "%q is not an event type such as ticket.opened or a prefix such as ticket.*", t)
				continue
			}
			f.Types = append(f.Types, strings.TrimSuffix(t, "*"))
		}
	}
	if p.Actor != "" {
		if len(p.Actor) > 200 || strings.ContainsFunc(p.Actor, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) {
			fail("actor", "a user id: at most 200 characters, no spaces")
		} else {
			f.Actor = p.Actor
		}
	}
	var err error
	if f.From, err = parseTime(p.From); err != nil {
		fail("from", "an RFC 3339 time such as 2026-11-20T10:00:00+08:00")
	}
	if f.To, err = parseTime(p.To); err != nil {
		fail("to", "an RFC 3339 time such as 2026-11-20T10:00:00+08:00")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		fail("to", "must be later than from")
	}
	if len(bad) > 0 {
		return Filter{}, &problem.Error{Code: problem.CodeInvalidArgument, Message: "invalid event filters", Fields: bad}
	}
	return f, nil
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse time %q: %w", s, err)
	}
	return t, nil
}

// services is the list of services the filter reads.
func (f Filter) services() []string {
	if len(f.Services) == 0 {
		return subjects.Services
	}
	return f.Services
}

// subject is the subject filter for a service's stream, or "" for the
// whole stream.
func (f Filter) subject(service string) string {
	if f.AggregateType == "" && f.AggregateID == "" {
		return ""
	}
	typ, id := f.AggregateType, f.AggregateID
	if typ == "" {
		typ = "*"
	}
	if id == "" {
		id = "*"
	}
	return subjects.Aggregate{Service: service, Type: typ, ID: id}.Subject()
}

// matches applies the filters a subject cannot express.
func (f Filter) matches(typ, actor string, at time.Time) bool {
	if f.Actor != "" && actor != f.Actor {
		return false
	}
	if !f.From.IsZero() && at.Before(f.From) {
		return false
	}
	if !f.To.IsZero() && !at.Before(f.To) {
		return false
	}
	if len(f.Types) == 0 {
		return true
	}
	for _, t := range f.Types {
		if t == typ || (strings.HasSuffix(t, ".") && strings.HasPrefix(typ, t)) {
			return true
		}
	}
	return false
}

// key identifies the filter in a cursor, so that a cursor is not used with
// other filters.
func (f Filter) key() string {
	return fmt.Sprintf("%v|%s/%s|%v|%s|%s|%s", f.services(), f.AggregateType, f.AggregateID, f.Types, f.Actor,
		instant(f.From), instant(f.To))
}

// instant names a moment exactly, for any year ("" for none): UnixNano
// would wrap outside 1678–2262 and let two filters share a key.
func instant(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
