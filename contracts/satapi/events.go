// Package satapi is the satisfaction service's published language: the
// events of surveys and follow-ups, the requests its NATS endpoints accept
// and the views they return.
//
// A survey is issued for every ticket resolution (to the requester) and
// every answered hotline call (answered by the caller's IVR rating); its
// id derives from what it is about, so it is issued once however often the
// event that causes it is delivered. A low score or an unsolved problem
// opens a follow-up for a supervisor.
package satapi

import (
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Source is the CloudEvents source of satisfaction events.
const Source = "/helpdesk/satisfaction"

// Aggregate types of the satisfaction service.
const (
	AggregateSurvey   = "survey"
	AggregateFollowUp = "followup"
)

// Event types.
const (
	EventSurveyIssued      = "survey.issued"
	EventSurveyAnswered    = "survey.answered"
	EventSurveyExpired     = "survey.expired"
	EventFollowUpOpened    = "followup.opened"
	EventFollowUpCompleted = "followup.completed"
)

// What a survey is about.
const (
	AboutTicket = "ticket"
	AboutCall   = "call"
)

// How a survey was answered.
const (
	ViaWeb = "web"
	ViaIVR = "ivr"
)

// Why a follow-up was opened.
const (
	ReasonLowScore  = "low_score"
	ReasonNotSolved = "not_solved"
)

// SurveyForTicket is the id of the survey of a ticket's resolution: the
// resolution is the ticket version (stream sequence) of its
// ticket.resolved event, so a ticket resolved again gets a new survey.
func SurveyForTicket(ticketID string, resolution uint64) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("helpdesk:survey:ticket:"+ticketID+":"+strconv.FormatUint(resolution, 10))).String()
}

// SurveyForCall is the id of the survey of a hotline call (by the PBX's
// call id).
func SurveyForCall(callID string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("helpdesk:survey:call:"+callID)).String()
}

// FollowUpFor is the id of the follow-up of a survey: one per survey.
func FollowUpFor(surveyID string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("helpdesk:followup:"+surveyID)).String()
}

// Dimensions are optional scores (1–5) of aspects of the service; 0 is
// not given.
type Dimensions struct {
	Speed           int `json:"speed,omitempty" jsonschema:"minimum=0,maximum=5"`
	Professionalism int `json:"professionalism,omitempty" jsonschema:"minimum=0,maximum=5"`
	Outcome         int `json:"outcome,omitempty" jsonschema:"minimum=0,maximum=5"`
}

// SurveyIssued is the payload of survey.issued.
type SurveyIssued struct {
	About    string `json:"about" jsonschema:"enum=ticket,enum=call"`
	TicketID string `json:"ticket_id,omitempty"`
	// Resolution is the ticket version of the resolution surveyed, and
	// ResolvedAt its time: what the survey's answer and expiry act on
	// only while the ticket is still in that resolution.
	Resolution uint64    `json:"resolution,omitempty"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	CallID     string    `json:"call_id,omitempty"`
	// Respondent is the user who may answer (the ticket's requester);
	// empty for a call, answered on the IVR keypad.
	Respondent string `json:"respondent,omitempty"`
	// AgentID is who served: the ticket's assignee or the call's agent.
	AgentID  string `json:"agent_id,omitempty"`
	Category string `json:"category,omitempty"`
	Channel  string `json:"channel" jsonschema:"enum=web,enum=phone,enum=remote,enum=email"`
	// ExpiresAt is when an unanswered survey expires.
	ExpiresAt time.Time `json:"expires_at"`
}

// SurveyAnswered is the payload of survey.answered.
type SurveyAnswered struct {
	Score   int    `json:"score" jsonschema:"minimum=1,maximum=5"`
	Comment string `json:"comment,omitempty" jsonschema:"maxLength=2000"`
	// Solved is the respondent's word on the problem; absent when not
	// asked (a call's IVR rating).
	Solved     *bool      `json:"solved,omitempty"`
	Dimensions Dimensions `json:"dimensions,omitzero"`
	Via        string     `json:"via" jsonschema:"enum=web,enum=ivr"`
}

// SurveyExpired is the payload of survey.expired: nobody answered in time.
type SurveyExpired struct{}

// FollowUpOpened is the payload of followup.opened.
type FollowUpOpened struct {
	SurveyID string `json:"survey_id"`
	TicketID string `json:"ticket_id,omitempty"`
	CallID   string `json:"call_id,omitempty"`
	AgentID  string `json:"agent_id,omitempty"`
	Reason   string `json:"reason" jsonschema:"enum=low_score,enum=not_solved"`
	Score    int    `json:"score"`
	// DueAt is when the follow-up becomes overdue.
	DueAt time.Time `json:"due_at"`
}

// FollowUpCompleted is the payload of followup.completed: the supervisor
// (the envelope's actor) contacted the customer.
type FollowUpCompleted struct {
	Contact string `json:"contact" jsonschema:"minLength=1,maxLength=500"`
	Outcome string `json:"outcome" jsonschema:"minLength=1,maxLength=2000"`
}

// EventType implements events.Payload.
func (SurveyIssued) EventType() string { return EventSurveyIssued }

// EventType implements events.Payload.
func (SurveyAnswered) EventType() string { return EventSurveyAnswered }

// EventType implements events.Payload.
func (SurveyExpired) EventType() string { return EventSurveyExpired }

// EventType implements events.Payload.
func (FollowUpOpened) EventType() string { return EventFollowUpOpened }

// EventType implements events.Payload.
func (FollowUpCompleted) EventType() string { return EventFollowUpCompleted }

// SchemaVersion implements events.Payload.
func (SurveyIssued) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (SurveyAnswered) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (SurveyExpired) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (FollowUpOpened) SchemaVersion() int { return 1 }

// SchemaVersion implements events.Payload.
func (FollowUpCompleted) SchemaVersion() int { return 1 }
