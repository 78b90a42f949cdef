// Package callapi is the call-record service's published language: the
// events of the hotline board and of calls, the requests its NATS endpoints
// accept, and the views they return.
//
// The hotline board (aggregate type "hotline", one aggregate "main") holds
// what the automatic call distribution decides: agents signing in and
// changing state, calls arriving, ringing an agent, waiting, answered,
// ended. Each call also has an aggregate of its own (type "call", id
// CallAggregateID(call_id)) for what happens around it: rating, recording,
// playback, purge, the ticket opened from it and the CDR the PBX sent.
package callapi

import (
	"time"

	"github.com/google/uuid"
)

// Source is the CloudEvents source of call-record events.
const Source = "/helpdesk/callrecord"

// BoardID is the id of the one hotline board aggregate.
const BoardID = "main"

// CallAggregateID is the aggregate id of the call the PBX calls callID: a
// UUIDv5 of it, because PBX ids (an Asterisk uniqueid such as
// "1700000000.12") are not safe as NATS subject tokens.
func CallAggregateID(callID string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("helpdesk:call:"+callID)).String()
}

// Event types of the hotline board.
const (
	EventAgentLoggedIn     = "hotline.agent_logged_in"
	EventAgentStateChanged = "hotline.agent_state_changed"
	EventCallReceived      = "hotline.call_received"
	EventCallAnswered      = "hotline.call_answered"
	EventCallNotAnswered   = "hotline.call_not_answered"
	EventCallEnded         = "hotline.call_ended"
	EventCallTransferred   = "hotline.call_transferred"
)

// Event types of a call and of a PBX key.
const (
	EventCallRated       = "call.rated"
	EventTicketOpened    = "call.ticket_opened"
	EventRecordingStored = "call.recording_stored"
	EventRecordingPlayed = "call.recording_played"
	EventRecordingPurged = "call.recording_purged"
	EventCDRIngested     = "call.cdr_ingested"
	EventCallResolved    = "call.resolved"
	EventPBXKeyCreated   = "pbx_key.created"
	EventPBXKeyRevoked   = "pbx_key.revoked"
)

// Aggregate types of the call-record service.
const (
	AggregateHotline = "hotline"
	AggregateCall    = "call"
	AggregatePBXKey  = "pbx_key"
)

// Dispositions: how a call ended.
const (
	DispositionAnswered  = "answered"
	DispositionAbandoned = "abandoned"
	DispositionNoAnswer  = "no_answer"
	DispositionBusy      = "busy"
	DispositionFailed    = "failed"
)

// Agent states on the hotline. An agent rings or talks in busy.
const (
	StateReady         = "ready"
	StateBusy          = "busy"
	StateAfterCallWork = "after_call_work"
	StateAway          = "away"
	StateOffline       = "offline"
)

// AgentLoggedIn is the payload of hotline.agent_logged_in: an agent signed
// in to the hotline (away until they say they are ready).
type AgentLoggedIn struct {
	AgentID    string   `json:"agent_id"`
	Extension  string   `json:"extension" jsonschema:"minLength=1,maxLength=40"`
	WorkNumber string   `json:"work_number" jsonschema:"minLength=1,maxLength=20"`
	Skills     []string `json:"skills"`
}

// AgentStateChanged is the payload of hotline.agent_state_changed: the
// agent (or the PBX for them) set a state; offline signs the agent out.
// An agent who became ready and took the longest-waiting call they can
// carries that decision in Routing. The states a call brings (busy while
// it rings and is talked, away after a call rang out, after-call work
// when it ends) follow from the call events and have no event of their
// own.
type AgentStateChanged struct {
	AgentID string   `json:"agent_id"`
	State   string   `json:"state" jsonschema:"enum=ready,enum=busy,enum=after_call_work,enum=away,enum=offline"`
	Routing *Routing `json:"routing,omitempty"`
}

// CallReceived is the payload of hotline.call_received: the PBX offered a
// call, and Routing is what the board decided, as the PBX was told: ring
// an agent (busy from then on) and announce their work number, or keep
// the caller waiting at a place in the queue. One decision is one event.
// Caller is the caller's full number: the event log is the record of
// account; views mask it for everyone but admins.
type CallReceived struct {
	CallID  string `json:"call_id" jsonschema:"minLength=1,maxLength=128"`
	Caller  string `json:"caller" jsonschema:"maxLength=40"`
	Hotline string `json:"hotline" jsonschema:"maxLength=40"`
	// Skill is the skill the caller's IVR choice needs; empty for any agent.
	Skill   string  `json:"skill,omitempty"`
	Routing Routing `json:"routing"`
}

// CallAnswered is the payload of hotline.call_answered.
type CallAnswered struct {
	CallID  string `json:"call_id"`
	AgentID string `json:"agent_id"`
}

// CallNotAnswered is the payload of hotline.call_not_answered: the agent's
// phone rang longer than the timeout, the agent is set away, and Routing
// is where the call went next.
type CallNotAnswered struct {
	CallID  string  `json:"call_id"`
	AgentID string  `json:"agent_id"`
	Routing Routing `json:"routing"`
}

// CallTransferred is the payload of hotline.call_transferred: the agent
// who had answered the call handed it on, to a named agent or to the
// agents with a skill, and went to after-call work; Routing is where the
// call went.
type CallTransferred struct {
	CallID      string `json:"call_id"`
	FromAgentID string `json:"from_agent_id"`
	// Skill is the skill the call needs from now on; empty keeps it.
	Skill   string  `json:"skill,omitempty"`
	Routing Routing `json:"routing"`
}

// CallEnded is the payload of hotline.call_ended.
type CallEnded struct {
	CallID      string `json:"call_id"`
	Disposition string `json:"disposition" jsonschema:"enum=answered,enum=abandoned,enum=no_answer,enum=busy,enum=failed"`
	// AgentID is the agent the call was with when it ended, if any.
	AgentID string `json:"agent_id,omitempty"`
}

// CallRated is the payload of call.rated: the caller's 1–5 from the IVR.
type CallRated struct {
	CallID string `json:"call_id"`
	Score  int    `json:"score" jsonschema:"minimum=1,maximum=5"`
}

// TicketOpened is the payload of call.ticket_opened: an agent opened a
// ticket (channel phone) from the call.
type TicketOpened struct {
	CallID   string `json:"call_id"`
	TicketID string `json:"ticket_id"`
}

// RecordingStored is the payload of call.recording_stored.
type RecordingStored struct {
	CallID      string `json:"call_id"`
	Object      string `json:"object"` // name in the recordings object store
	ContentType string `json:"content_type" jsonschema:"enum=audio/wav,enum=audio/mpeg"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	// KeepUntil is when the retention period ends: the recording may be
	// purged from then on, unless it is on hold.
	KeepUntil time.Time `json:"keep_until"`
}

// RecordingPlayed is the payload of call.recording_played: the audit trail
// of every playback; the envelope's actor is the listener.
type RecordingPlayed struct {
	CallID string `json:"call_id"`
	// Range is the HTTP Range asked for, empty for the whole recording.
	Range string `json:"range,omitempty"`
}

// RecordingPurged is the payload of call.recording_purged: the retention
// period ended and the recording's audio was deleted. The call's metadata
// and events stay.
type RecordingPurged struct {
	CallID    string    `json:"call_id"`
	Object    string    `json:"object"`
	KeepUntil time.Time `json:"keep_until"`
}

// CDRIngested is the payload of call.cdr_ingested: the PBX's call detail
// record of the call, as it reported it.
type CDRIngested struct {
	CallID         string    `json:"call_id"`
	Source         string    `json:"source" jsonschema:"enum=freeswitch,enum=asterisk"`
	Key            string    `json:"key"`
	Caller         string    `json:"caller"`
	Hotline        string    `json:"hotline"`
	AgentExtension string    `json:"agent_extension,omitempty"`
	StartedAt      time.Time `json:"started_at"`
	AnsweredAt     time.Time `json:"answered_at,omitzero"`
	EndedAt        time.Time `json:"ended_at"`
	Disposition    string    `json:"disposition" jsonschema:"enum=answered,enum=abandoned,enum=no_answer,enum=busy,enum=failed"`
	Cause          string    `json:"cause,omitempty"`
}

// CallResolved is the payload of call.resolved: the agent noted what the
// caller asked and how it was resolved. A later note replaces an earlier
// one. The knowledge base drafts an article from the first (see
// kbapi.SourceCall).
type CallResolved struct {
	CallID     string `json:"call_id"`
	Question   string `json:"question" jsonschema:"minLength=1,maxLength=200"`
	Resolution string `json:"resolution" jsonschema:"minLength=1,maxLength=20000"`
	// Category is a knowledge-base category name, if the agent gave one.
	Category string `json:"category,omitempty" jsonschema:"maxLength=100"`
}

// PBXKeyCreated is the payload of pbx_key.created. Only the SHA-256 of the
// key's secret is kept.
type PBXKeyCreated struct {
	Name       string `json:"name" jsonschema:"minLength=1,maxLength=100"`
	SecretHash string `json:"secret_hash"`
}

// PBXKeyRevoked is the payload of pbx_key.revoked.
type PBXKeyRevoked struct{}

// EventType implements events.Payload.
func (AgentLoggedIn) EventType() string { return EventAgentLoggedIn }

// EventType implements events.Payload.
func (AgentStateChanged) EventType() string { return EventAgentStateChanged }

// EventType implements events.Payload.
func (CallReceived) EventType() string { return EventCallReceived }

// EventType implements events.Payload.
func (CallAnswered) EventType() string { return EventCallAnswered }

// EventType implements events.Payload.
func (CallNotAnswered) EventType() string { return EventCallNotAnswered }

// EventType implements events.Payload.
func (CallEnded) EventType() string { return EventCallEnded }

// EventType implements events.Payload.
func (CallTransferred) EventType() string { return EventCallTransferred }

// SchemaVersion implements events.Payload.
func (CallTransferred) SchemaVersion() int { return 1 }

// EventType implements events.Payload.
func (CallRated) EventType() string { return EventCallRated }

// EventType implements events.Payload.
func (TicketOpened) EventType() string { return EventTicketOpened }

// EventType implements events.Payload.
func (RecordingStored) EventType() string { return EventRecordingStored }

// EventType implements events.Payload.
func (RecordingPlayed) EventType() string { return EventRecordingPlayed }

// EventType implements events.Payload.
func (RecordingPurged) EventType() string { return EventRecordingPurged }

// EventType implements events.Payload.
func (CDRIngested) EventType() string { return EventCDRIngested }

// EventType implements events.Payload.
func (CallResolved) EventType() string { return EventCallResolved }

// SchemaVersion implements events.Payload.
func (CallResolved) SchemaVersion() int { return 1 }

// EventType implements events.Payload.
func (PBXKeyCreated) EventType() string { return EventPBXKeyCreated }

// EventType implements events.Payload.
func (PBXKeyRevoked) EventType() string { return EventPBXKeyRevoked }

// SchemaVersion implements events.Payload.
func (AgentLoggedIn) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (AgentStateChanged) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (CallReceived) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (CallAnswered) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (CallNotAnswered) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (CallEnded) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (CallRated) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (TicketOpened) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (RecordingStored) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (RecordingPlayed) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (RecordingPurged) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (CDRIngested) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (PBXKeyCreated) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (PBXKeyRevoked) SchemaVersion() int { return 1 }
