package eventlog

import (
	"helpdesk/contracts/authz"
	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/pii"
)

// InternalNote replaces the text of a note that the reader's role may not
// read: an internal note on a ticket, an agent's note on a call.
const InternalNote = "[internal note]"

// privateField is a field of an event's data that only the roles the
// authorization matrix allows Op may see as stored; every other role sees
// what Hide makes of it.
type privateField struct {
	// Name is the field's JSON name at the top level of the data.
	Name string
	// Op is the operation whose roles see the field as stored.
	Op authz.Operation
	// If, when set, names a boolean field of the same data that makes this
	// one private: then the field is private unless that flag is false
	// (missing or malformed counts as private).
	If string
	// Hide returns what other roles see instead of the value.
	Hide func(v any) any
}

// privateFields lists, by event type (every schema version), the fields
// View hides from roles that may not see them. A new event type with a
// private field gets a line here; TestView_covers_every_event_schema
// fails on a field named like a note or a phone number that has none.
var privateFields = map[string][]privateField{
	ticketapi.EventReplied: {
		{Name: "body", If: "internal", Op: authz.TicketInternalNote, Hide: replaceWith(InternalNote)},
	},
	callapi.EventCallReceived: {
		{Name: "caller", Op: authz.CallNumbersRead, Hide: maskPhone},
	},
	callapi.EventCDRIngested: {
		{Name: "caller", Op: authz.CallNumbersRead, Hide: maskPhone},
	},
	callapi.EventCallResolved: {
		{Name: "question", Op: authz.CallNoteRead, Hide: replaceWith(InternalNote)},
		{Name: "resolution", Op: authz.CallNoteRead, Hide: replaceWith(InternalNote)},
	},
}

// View returns e as a caller with role may see it: the envelope whole,
// and the data with every private field the role may not see replaced —
// an internal note's text by InternalNote unless the role may read
// internal notes, a caller's number masked as pii.MaskPhone does unless
// the role may see full numbers. The reader sees that the event happened,
// who caused it and when; only the withheld values change. An unknown or
// empty role sees every private field hidden.
//
// View does not redact secrets: events from a Reader have none left (see
// Redact). It is for views served to users (GET /api/v1/audit/events);
// operators replaying the streams with NATS access see the data whole.
func View(role string, e events.Envelope) events.Envelope {
	fields := privateFields[e.Type]
	var hide []privateField
	for _, f := range fields {
		if !authz.Allowed(role, f.Op) {
			hide = append(hide, f)
		}
	}
	if len(hide) == 0 {
		return e
	}
	e.Data = edit(e.Data, func(v any) bool {
		data, ok := v.(map[string]any)
		if !ok {
			return false
		}
		changed := false
		for _, f := range hide {
			value, ok := data[f.Name]
			if !ok || f.If != "" && data[f.If] == false {
				continue
			}
			data[f.Name] = f.Hide(value)
			changed = true
		}
		return changed
	})
	return e
}

// IsPrivateField reports whether View decides who sees the field name at
// the top level of eventType's data: the field is private, or it is the
// flag that makes another field private.
func IsPrivateField(eventType, name string) bool {
	for _, f := range privateFields[eventType] {
		if f.Name == name || f.If == name {
			return true
		}
	}
	return false
}

// replaceWith hides a value behind a fixed text.
func replaceWith(text string) func(any) any {
	return func(any) any { return text }
}

// maskPhone hides the middle digits of a number; a value that is not a
// string is hidden whole.
func maskPhone(v any) any {
	if s, ok := v.(string); ok {
		return pii.MaskPhone(s)
	}
	return Redacted
}
