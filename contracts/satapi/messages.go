package satapi

import "time"

// Endpoint names of the satisfaction service (see subjects.Endpoint).
const (
	EndpointListSurveys      = "survey.list"
	EndpointGetSurvey        = "survey.get"
	EndpointRespond          = "survey.respond"
	EndpointStats            = "stats"
	EndpointListFollowUps    = "followup.list"
	EndpointCompleteFollowUp = "followup.complete"
)

// Statuses of a survey.
const (
	StatusOpen     = "open"
	StatusAnswered = "answered"
	StatusExpired  = "expired"
)

// Statuses of a follow-up, as listed: overdue is open past its due time.
const (
	FollowUpOpen    = "open"
	FollowUpOverdue = "overdue"
	FollowUpDone    = "done"
)

// Groupings of the satisfaction figures.
const (
	GroupByAgent    = "agent"
	GroupByCategory = "category"
	GroupByChannel  = "channel"
	GroupByDay      = "day"
	GroupByWeek     = "week"
)

// Limits shared by the gateway's OpenAPI document and the service.
const (
	MaxComment       = 2000
	MaxListLimit     = 200
	DefaultListLimit = 50
)

// ListSurveys asks for a page of surveys, newest first. Mine lists the
// caller's own; customers always get their own only.
type ListSurveys struct {
	Mine   bool   `json:"mine,omitempty"`
	Status string `json:"status,omitempty"`
	Limit  int    `json:"limit,omitempty"`
	Cursor string `json:"cursor,omitempty"`
}

// SurveyTarget names a survey.
type SurveyTarget struct {
	SurveyID string `json:"survey_id"`
}

// Respond answers a survey. Solved, when given for a ticket's survey,
// confirms the resolution (the ticket closes) or says it did not help
// (the ticket reopens).
type Respond struct {
	SurveyID   string     `json:"survey_id"`
	Score      int        `json:"score"`
	Comment    string     `json:"comment,omitempty"`
	Solved     *bool      `json:"solved,omitempty"`
	Dimensions Dimensions `json:"dimensions,omitzero"`
}

// Survey is a survey as its respondent and staff see it.
type Survey struct {
	ID         string      `json:"id"`
	Version    uint64      `json:"version"`
	About      string      `json:"about"`
	TicketID   string      `json:"ticket_id,omitempty"`
	CallID     string      `json:"call_id,omitempty"`
	Status     string      `json:"status"`
	Respondent string      `json:"respondent,omitempty"`
	AgentID    string      `json:"agent_id,omitempty"`
	Category   string      `json:"category,omitempty"`
	Channel    string      `json:"channel"`
	IssuedAt   time.Time   `json:"issued_at"`
	ExpiresAt  time.Time   `json:"expires_at"`
	AnsweredAt *time.Time  `json:"answered_at,omitempty"`
	Score      int         `json:"score,omitempty"`
	Comment    string      `json:"comment,omitempty"`
	Solved     *bool       `json:"solved,omitempty"`
	Dimensions *Dimensions `json:"dimensions,omitempty"`
	Via        string      `json:"via,omitempty"`
}

// SurveyPage is a page of surveys; NextCursor is empty on the last page.
type SurveyPage struct {
	Items      []Survey `json:"items"`
	NextCursor string   `json:"next_cursor"`
}

// GetStats asks for the satisfaction figures of the surveys issued in
// [From, To), grouped by GroupBy (none when empty: the total only).
type GetStats struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	GroupBy string    `json:"group_by,omitempty"`
}

// Figures are the satisfaction figures of a set of surveys.
type Figures struct {
	// Key is the group: an agent id, a category, a channel, a day
	// (2026-11-26) or an ISO week (2026-W48), in Beijing time; empty for
	// the total.
	Key string `json:"key"`
	// Issued is the surveys issued; Responses those answered.
	Issued    int `json:"issued"`
	Responses int `json:"responses"`
	// CSAT is the share of responses scoring 4 or 5; AvgScore their mean;
	// ResponseRate is responses / issued.
	CSAT         float64 `json:"csat"`
	AvgScore     float64 `json:"avg_score"`
	ResponseRate float64 `json:"response_rate"`
	// Follow-ups opened for these surveys, completed, and open past due.
	FollowUps          int `json:"followups"`
	FollowUpsCompleted int `json:"followups_completed"`
	FollowUpsOverdue   int `json:"followups_overdue"`
}

// Stats are the figures per group and in total.
type Stats struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	GroupBy string    `json:"group_by"`
	Groups  []Figures `json:"groups"`
	Total   Figures   `json:"total"`
}

// ListFollowUps asks for a page of follow-ups, oldest due first.
type ListFollowUps struct {
	Status string `json:"status,omitempty"`
	Limit  int    `json:"limit,omitempty"`
	Cursor string `json:"cursor,omitempty"`
}

// CompleteFollowUp records the supervisor's contact and its outcome.
type CompleteFollowUp struct {
	FollowUpID string `json:"followup_id"`
	Contact    string `json:"contact"`
	Outcome    string `json:"outcome"`
}

// FollowUp is a follow-up of an unhappy customer.
type FollowUp struct {
	ID          string     `json:"id"`
	Version     uint64     `json:"version"`
	SurveyID    string     `json:"survey_id"`
	TicketID    string     `json:"ticket_id,omitempty"`
	CallID      string     `json:"call_id,omitempty"`
	AgentID     string     `json:"agent_id,omitempty"`
	Reason      string     `json:"reason"`
	Score       int        `json:"score"`
	Status      string     `json:"status"`
	OpenedAt    time.Time  `json:"opened_at"`
	DueAt       time.Time  `json:"due_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	CompletedBy string     `json:"completed_by,omitempty"`
	Contact     string     `json:"contact,omitempty"`
	Outcome     string     `json:"outcome,omitempty"`
}

// FollowUpPage is a page of follow-ups.
type FollowUpPage struct {
	Items      []FollowUp `json:"items"`
	NextCursor string     `json:"next_cursor"`
}
