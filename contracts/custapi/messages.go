package custapi

import (
	"time"

	"helpdesk/contracts/events"
)

// Endpoint names of the customization service (see subjects.Endpoint).
const (
	EndpointSubmit  = "request.submit"
	EndpointStep    = "request.step"
	EndpointGet     = "request.get"
	EndpointList    = "request.list"
	EndpointHistory = "request.events"
	EndpointBoard   = "request.board"
	EndpointStats   = "request.stats"
)

// Kinds of request.
const (
	KindBusinessOptimization    = "business_optimization"
	KindUIOptimization          = "ui_optimization"
	KindPerformanceOptimization = "performance_optimization"
	KindNewFeature              = "new_feature"
)

// Kinds lists every kind.
var Kinds = []string{KindBusinessOptimization, KindUIOptimization, KindPerformanceOptimization, KindNewFeature}

// Statuses of a request.
const (
	StatusSubmitted       = "submitted"
	StatusUnderAssessment = "under_assessment"
	StatusRejected        = "rejected"
	StatusEstimated       = "estimated"
	StatusApproved        = "approved"
	StatusScheduled       = "scheduled"
	StatusInDevelopment   = "in_development"
	StatusInTesting       = "in_testing"
	StatusDelivered       = "delivered"
	StatusAccepted        = "accepted"
	StatusCancelled       = "cancelled"
)

// Statuses lists every status in workflow order.
var Statuses = []string{StatusSubmitted, StatusUnderAssessment, StatusRejected, StatusEstimated, StatusApproved,
	StatusScheduled, StatusInDevelopment, StatusInTesting, StatusDelivered, StatusAccepted, StatusCancelled}

// Steps of the workflow, as they appear in the REST paths
// (POST /api/v1/customization-requests/{id}/<step>).
const (
	StepAssess            = "assess"
	StepReject            = "reject"
	StepEstimate          = "estimate"
	StepApprove           = "approve"
	StepRequestReestimate = "request-reestimate"
	StepChangeScope       = "change-scope"
	StepSchedule          = "schedule"
	StepStartDevelopment  = "start-development"
	StepStartTesting      = "start-testing"
	StepDeliver           = "deliver"
	StepAccept            = "accept"
	StepRework            = "rework"
	StepCancel            = "cancel"
)

// Steps lists every step.
var Steps = []string{StepAssess, StepReject, StepEstimate, StepApprove, StepRequestReestimate, StepChangeScope,
	StepSchedule, StepStartDevelopment, StepStartTesting, StepDeliver, StepAccept, StepRework, StepCancel}

// Submit submits a request as the caller.
type Submit struct {
	Kind          string   `json:"kind"`
	Title         string   `json:"title"`
	Description   string   `json:"description"`
	Justification string   `json:"justification"`
	DesiredDate   string   `json:"desired_date,omitempty"`
	TicketIDs     []string `json:"ticket_ids,omitempty"`
}

// Step takes one step of a request's workflow; the fields a step does not
// use must be empty. ExpectedVersion is the If-Match version (0: any).
type Step struct {
	RequestID       string  `json:"request_id"`
	ExpectedVersion uint64  `json:"expected_version,omitempty"`
	Step            string  `json:"step"`
	Comment         string  `json:"comment,omitempty"`
	Reason          string  `json:"reason,omitempty"`
	EffortDays      float64 `json:"effort_days,omitempty"`
	Cost            float64 `json:"cost,omitempty"`
	PlannedStart    string  `json:"planned_start,omitempty"`
	PlannedEnd      string  `json:"planned_end,omitempty"`
	Milestone       string  `json:"milestone,omitempty"`
	Description     *string `json:"description,omitempty"`
	Justification   *string `json:"justification,omitempty"`
}

// RequestTarget names a request.
type RequestTarget struct {
	RequestID string `json:"request_id"`
}

// Estimate is a request's current estimate.
type Estimate struct {
	EffortDays   float64 `json:"effort_days"`
	Cost         float64 `json:"cost"`
	PlannedStart string  `json:"planned_start"`
	PlannedEnd   string  `json:"planned_end"`
}

// Request is the full view of a request.
type Request struct {
	ID            string    `json:"id"`
	Version       uint64    `json:"version"`
	Kind          string    `json:"kind"`
	Title         string    `json:"title"`
	Description   string    `json:"description"`
	Justification string    `json:"justification"`
	DesiredDate   string    `json:"desired_date,omitempty"`
	TicketIDs     []string  `json:"ticket_ids"`
	Requester     string    `json:"requester"`
	Assignee      string    `json:"assignee,omitempty"`
	Status        string    `json:"status"`
	Estimate      *Estimate `json:"estimate,omitempty"`
	Milestone     string    `json:"milestone,omitempty"`
	RejectReason  string    `json:"reject_reason,omitempty"`
	ReworkCount   int       `json:"rework_count"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	// StatusSince is when the request entered its status.
	StatusSince time.Time `json:"status_since"`
	// Steps are the steps the caller may take now.
	Steps []string `json:"steps"`
}

// ListRequests asks for a page of requests, newest first.
type ListRequests struct {
	Status    string `json:"status,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Requester string `json:"requester,omitempty"`
	Assignee  string `json:"assignee,omitempty"`
	Limit     int    `json:"limit,omitempty"`
	Cursor    string `json:"cursor,omitempty"`
}

// Summary is one row of a request list.
type Summary struct {
	ID          string    `json:"id"`
	Version     uint64    `json:"version"`
	Kind        string    `json:"kind"`
	Title       string    `json:"title"`
	Requester   string    `json:"requester"`
	Assignee    string    `json:"assignee,omitempty"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	StatusSince time.Time `json:"status_since"`
}

// RequestPage is a page of requests; NextCursor is empty on the last page.
type RequestPage struct {
	Items      []Summary `json:"items"`
	NextCursor string    `json:"next_cursor"`
}

// Event is one entry of a request's history.
type Event = events.HistoryEntry

// History is a request's events.
type History struct {
	RequestID string  `json:"request_id"`
	Events    []Event `json:"events"`
}

// GetBoard asks for the board: per status, the count and the most
// recently changed requests.
type GetBoard struct {
	Kind string `json:"kind,omitempty"`
	// PerStatus is how many items each column shows; default 20, at most 100.
	PerStatus int `json:"per_status,omitempty"`
}

// Column is one status of the board.
type Column struct {
	Status string    `json:"status"`
	Count  int       `json:"count"`
	Items  []Summary `json:"items"`
}

// Board is the requests by status, in workflow order.
type Board struct {
	Columns []Column `json:"columns"`
}

// GetStats asks for the lead-time figures of the requests submitted in
// [From, To) (all when zero).
type GetStats struct {
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
}

// KindStats are the figures of one kind (Kind "" for all).
type KindStats struct {
	Kind      string `json:"kind"`
	Submitted int    `json:"submitted"`
	Accepted  int    `json:"accepted"`
	// LeadTimeDays is the mean time from submission to acceptance of the
	// accepted requests, in days; LeadTimeP50Days its median.
	LeadTimeDays    float64 `json:"lead_time_days"`
	LeadTimeP50Days float64 `json:"lead_time_p50_days"`
	// DaysInStatus is, per status a request waits in (not the final ones:
	// rejected, accepted, cancelled), the mean over the requests that were
	// in it of the time they spent there (all their stays, the current one
	// up to now), in days.
	DaysInStatus map[string]float64 `json:"days_in_status"`
	// Open counts the requests per status now.
	Open map[string]int `json:"by_status"`
}

// Stats are the figures per kind and in total, with the board of all
// requests (as GET .../board gives it).
type Stats struct {
	Kinds []KindStats `json:"kinds"`
	Total KindStats   `json:"total"`
	Board Board       `json:"board"`
}
