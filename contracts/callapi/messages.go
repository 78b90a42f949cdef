package callapi

import "time"

// Endpoint names of the call-record service (see subjects.Endpoint).
const (
	EndpointAgentLogin    = "agent.login"
	EndpointAgentState    = "agent.state"
	EndpointAgentList     = "agent.list"
	EndpointOffer         = "call.offer"
	EndpointAnswered      = "call.answered"
	EndpointEnded         = "call.ended"
	EndpointTransfer      = "call.transfer"
	EndpointRate          = "call.rate"
	EndpointOpenTicket    = "call.ticket"
	EndpointResolve       = "call.resolve"
	EndpointGet           = "call.get"
	EndpointList          = "call.list"
	EndpointStats         = "call.stats"
	EndpointCDRFreeSWITCH = "cdr.freeswitch"
	EndpointCDRAsterisk   = "cdr.asterisk"
	EndpointStoreRecord   = "recording.store"
	EndpointPlayRecord    = "recording.play"
	EndpointCreateKey     = "pbx_key.create"
	EndpointRevokeKey     = "pbx_key.revoke"
	EndpointListKeys      = "pbx_key.list"
	EndpointVerifyKey     = "pbx_key.verify"
)

// RecordingsBucket is the JetStream object store that holds call
// recordings, under "calls/<call aggregate id>/<sha256>".
const RecordingsBucket = "RECORDINGS"

// RolePBX is the role of a request authenticated with a PBX key.
const RolePBX = "pbx"

// Actions of a routing decision.
const (
	ActionRing  = "ring"
	ActionQueue = "queue"
)

// Statuses of a call.
const (
	StatusQueued   = "queued"
	StatusRinging  = "ringing"
	StatusAnswered = "answered"
	StatusEnded    = "ended"
)

// Limits shared by the gateway's OpenAPI document and the service.
const (
	MaxRecordingBytes = 64 << 20
	MaxListLimit      = 200
	DefaultListLimit  = 50
	// ServiceLevelSeconds is the answer time the service level counts.
	ServiceLevelSeconds = 20
)

// Login signs an agent in to the hotline; their work number comes from
// their user account.
type Login struct {
	AgentID   string   `json:"agent_id"`
	Extension string   `json:"extension"`
	Skills    []string `json:"skills"`
}

// SetState changes an agent's state.
type SetState struct {
	AgentID string `json:"agent_id"`
	State   string `json:"state"`
}

// ListAgents asks for the signed-in agents.
type ListAgents struct{}

// Agent is an agent signed in to the hotline.
type Agent struct {
	ID         string    `json:"id"`
	Extension  string    `json:"extension"`
	WorkNumber string    `json:"work_number"`
	Skills     []string  `json:"skills"`
	State      string    `json:"state"`
	Since      time.Time `json:"since"`
	// CallID is the call ringing or answered at the agent.
	CallID string `json:"call_id,omitempty"`
}

// Agents lists the signed-in agents, by id.
type Agents struct {
	Items []Agent `json:"items"`
}

// Offer tells the service that a call arrived at the PBX.
type Offer struct {
	CallID  string `json:"call_id"`
	Caller  string `json:"caller"`
	Hotline string `json:"hotline"`
	Skill   string `json:"skill,omitempty"`
}

// AgentRef is the agent a call rings: the extension to ring and the work
// number to announce.
type AgentRef struct {
	ID         string `json:"id"`
	Extension  string `json:"extension"`
	WorkNumber string `json:"work_number"`
}

// Routing is where a call stands: ringing an agent, or waiting in the
// queue at QueuePosition (1 is next).
type Routing struct {
	CallID        string    `json:"call_id"`
	Action        string    `json:"action"`
	Agent         *AgentRef `json:"agent,omitempty"`
	QueuePosition int       `json:"queue_position,omitempty"`
}

// CallTarget names a call by the PBX's id.
type CallTarget struct {
	CallID string `json:"call_id"`
}

// CallState is the answer to a report of a call's answer or end: where
// the call stands after it.
type CallState struct {
	CallID      string `json:"call_id"`
	Status      string `json:"status"`
	Disposition string `json:"disposition,omitempty"`
	AgentID     string `json:"agent_id,omitempty"`
}

// Transfer hands an answered call on: to AgentID, who must be ready, or
// else to the longest-idle agent with Skill (the call's skill when
// empty), or the queue.
type Transfer struct {
	CallID  string `json:"call_id"`
	AgentID string `json:"agent_id,omitempty"`
	Skill   string `json:"skill,omitempty"`
}

// End reports the end of a call.
type End struct {
	CallID      string `json:"call_id"`
	Disposition string `json:"disposition"`
}

// Rate records the caller's rating.
type Rate struct {
	CallID string `json:"call_id"`
	Score  int    `json:"score"`
}

// OpenTicket opens a ticket (channel phone) from a call, for the caller's
// user account when Requester names one.
type OpenTicket struct {
	CallID      string `json:"call_id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Category    string `json:"category,omitempty"`
	Priority    string `json:"priority,omitempty"`
	Requester   string `json:"requester,omitempty"`
}

// Resolve notes what the caller asked and how it was resolved.
type Resolve struct {
	CallID     string `json:"call_id"`
	Question   string `json:"question"`
	Resolution string `json:"resolution"`
	Category   string `json:"category,omitempty"`
}

// TicketFromCall is the answer to OpenTicket. Created is false when the
// call already had the ticket.
type TicketFromCall struct {
	CallID   string `json:"call_id"`
	TicketID string `json:"ticket_id"`
	Created  bool   `json:"created"`
}

// ListCalls asks for a page of calls, newest first.
type ListCalls struct {
	From        time.Time `json:"from,omitzero"`
	To          time.Time `json:"to,omitzero"`
	AgentID     string    `json:"agent_id,omitempty"`
	Disposition string    `json:"disposition,omitempty"`
	Limit       int       `json:"limit,omitempty"`
	Cursor      string    `json:"cursor,omitempty"`
}

// Recording describes a call's recording.
type Recording struct {
	ContentType string     `json:"content_type"`
	Size        int64      `json:"size"`
	SHA256      string     `json:"sha256"`
	StoredAt    time.Time  `json:"stored_at"`
	KeepUntil   time.Time  `json:"keep_until"`
	PurgedAt    *time.Time `json:"purged_at,omitempty"`
}

// Call is one call as the hotline knows it. Caller is masked
// (138****5678) for every role but admin.
type Call struct {
	CallID        string     `json:"call_id"`
	Caller        string     `json:"caller"`
	Hotline       string     `json:"hotline"`
	Skill         string     `json:"skill,omitempty"`
	Status        string     `json:"status"`
	Agent         *AgentRef  `json:"agent,omitempty"`
	QueuePosition int        `json:"queue_position,omitempty"`
	ReceivedAt    time.Time  `json:"received_at"`
	AnsweredAt    *time.Time `json:"answered_at,omitempty"`
	EndedAt       *time.Time `json:"ended_at,omitempty"`
	Disposition   string     `json:"disposition,omitempty"`
	// WaitSeconds is the time from arrival to answer (or to the end of an
	// unanswered call); HandleSeconds from answer to end.
	WaitSeconds   *float64 `json:"wait_seconds,omitempty"`
	HandleSeconds *float64 `json:"handle_seconds,omitempty"`
	Rating        int      `json:"rating,omitempty"`
	// Transfers is how often the call was handed on.
	Transfers int    `json:"transfers,omitempty"`
	TicketID  string `json:"ticket_id,omitempty"`
	// Question and Resolution are the agent's note (staff only).
	Question   string     `json:"question,omitempty"`
	Resolution string     `json:"resolution,omitempty"`
	Recording  *Recording `json:"recording,omitempty"`
	// CDRSources lists the PBX records ingested for the call.
	CDRSources []string  `json:"cdr_sources,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// CallPage is a page of calls; NextCursor is empty on the last page.
type CallPage struct {
	Items      []Call `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// Groupings of the hotline figures.
const (
	GroupByHour  = "hour"
	GroupByDay   = "day"
	GroupByAgent = "agent"
)

// GetStats asks for the hotline figures of calls that arrived in
// [From, To), grouped by GroupBy.
type GetStats struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	GroupBy string    `json:"group_by"`
}

// Figures are the hotline figures of a set of calls.
type Figures struct {
	// Key is the group: an hour or day (RFC 3339, Beijing time) or an
	// agent id; empty for the total.
	Key       string `json:"key"`
	Offered   int    `json:"offered"`
	Answered  int    `json:"answered"`
	Abandoned int    `json:"abandoned"`
	// AnswerRate is answered / offered; ServiceLevel the share of offered
	// calls answered within ServiceLevelSeconds.
	AnswerRate       float64 `json:"answer_rate"`
	ServiceLevel     float64 `json:"service_level"`
	AvgWaitSeconds   float64 `json:"avg_wait_seconds"`
	AvgHandleSeconds float64 `json:"avg_handle_seconds"`
	// AvgRating is the mean of the ratings given; Rated how many there are.
	AvgRating float64 `json:"avg_rating"`
	Rated     int     `json:"rated"`
}

// Stats are the hotline figures per group and in total.
type Stats struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	GroupBy string    `json:"group_by"`
	Groups  []Figures `json:"groups"`
	Total   Figures   `json:"total"`
}

// IngestCDR carries one request body of CDRs as the PBX posted it.
type IngestCDR struct {
	ContentType string `json:"content_type,omitempty"`
	Body        []byte `json:"body"`
}

// CDRResult says what an ingestion did, per record.
type CDRResult struct {
	Ingested   int      `json:"ingested"`
	Duplicates int      `json:"duplicates"`
	CallIDs    []string `json:"call_ids"`
}

// StoreRecording attaches an uploaded object to a call. The gateway has
// put the audio into the recordings object store under Object.
type StoreRecording struct {
	CallID      string `json:"call_id"`
	Object      string `json:"object"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// PlayRecording asks to listen to a call's recording; the service records
// the playback and answers where the audio is.
type PlayRecording struct {
	CallID string `json:"call_id"`
	Range  string `json:"range,omitempty"`
}

// RecordingObject is where a call's audio is in the object store.
type RecordingObject struct {
	Object      string `json:"object"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// CreateKey creates a PBX key.
type CreateKey struct {
	Name string `json:"name"`
}

// NewKey is a created PBX key; Key is shown this once.
type NewKey struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Key  string `json:"key"`
}

// KeyTarget names a PBX key.
type KeyTarget struct {
	ID string `json:"id"`
}

// VerifyKey asks whether a PBX key is valid.
type VerifyKey struct {
	Key string `json:"key"`
}

// PBXKey describes a PBX key (never its secret).
type PBXKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// PBXKeys lists the PBX keys.
type PBXKeys struct {
	Items []PBXKey `json:"items"`
}
