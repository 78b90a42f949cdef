// Package custapi is the customization-request service's published
// language: the events of a custom-development request's workflow, the
// requests its NATS endpoints accept and the views they return.
//
// Every step of the workflow is an event of its own on the request's
// subject; its envelope's actor is who took the step, and every payload
// carries the step's comment.
package custapi

// Source is the CloudEvents source of customization events.
const Source = "/helpdesk/customization"

// AggregateRequest is the aggregate type of a request.
const AggregateRequest = "customization"

// Event types: one per step of the workflow.
const (
	EventSubmitted           = "customization.submitted"
	EventAssessmentStarted   = "customization.assessment_started"
	EventRejected            = "customization.rejected"
	EventEstimated           = "customization.estimated"
	EventApproved            = "customization.approved"
	EventReestimateRequested = "customization.reestimate_requested"
	EventScopeChanged        = "customization.scope_changed"
	EventScheduled           = "customization.scheduled"
	EventDevelopmentStarted  = "customization.development_started"
	EventTestingStarted      = "customization.testing_started"
	EventDelivered           = "customization.delivered"
	EventAccepted            = "customization.accepted"
	EventReworkRequested     = "customization.rework_requested"
	EventCancelled           = "customization.cancelled"
)

// Submitted is the payload of customization.submitted: the requester submitted the request.
type Submitted struct {
	Kind          string   `json:"kind" jsonschema:"enum=business_optimization,enum=ui_optimization,enum=performance_optimization,enum=new_feature"`
	Title         string   `json:"title" jsonschema:"minLength=1,maxLength=200"`
	Description   string   `json:"description" jsonschema:"maxLength=20000"`
	Justification string   `json:"justification" jsonschema:"maxLength=5000"`
	DesiredDate   string   `json:"desired_date,omitempty" jsonschema:"description=YYYY-MM-DD"`
	TicketIDs     []string `json:"ticket_ids"`
	Requester     string   `json:"requester"`
	Comment       string   `json:"comment,omitempty" jsonschema:"maxLength=2000"`
}

// AssessmentStarted is the payload of customization.assessment_started: staff began to assess the request.
type AssessmentStarted struct {
	Comment string `json:"comment,omitempty" jsonschema:"maxLength=2000"`
}

// Rejected is the payload of customization.rejected: staff rejected the request.
type Rejected struct {
	Reason  string `json:"reason" jsonschema:"minLength=1,maxLength=2000"`
	Comment string `json:"comment,omitempty" jsonschema:"maxLength=2000"`
}

// Estimated is the payload of customization.estimated: staff estimated the request.
type Estimated struct {
	EffortDays   float64 `json:"effort_days" jsonschema:"exclusiveMinimum=0"`
	Cost         float64 `json:"cost" jsonschema:"minimum=0,description=yuan"`
	PlannedStart string  `json:"planned_start" jsonschema:"description=YYYY-MM-DD"`
	PlannedEnd   string  `json:"planned_end" jsonschema:"description=YYYY-MM-DD"`
	Comment      string  `json:"comment,omitempty" jsonschema:"maxLength=2000"`
}

// Approved is the payload of customization.approved: the requester approved the estimate.
type Approved struct {
	Comment string `json:"comment,omitempty" jsonschema:"maxLength=2000"`
}

// ReestimateRequested is the payload of customization.reestimate_requested: the requester sent the estimate back.
type ReestimateRequested struct {
	Comment string `json:"comment,omitempty" jsonschema:"maxLength=2000"`
}

// ScopeChanged is the payload of customization.scope_changed: the requester changed the scope after approval: a new estimate and a new approval are needed.
type ScopeChanged struct {
	Description   string `json:"description" jsonschema:"maxLength=20000"`
	Justification string `json:"justification" jsonschema:"maxLength=5000"`
	Comment       string `json:"comment,omitempty" jsonschema:"maxLength=2000"`
}

// Scheduled is the payload of customization.scheduled: staff put the request into a release or milestone.
type Scheduled struct {
	Milestone string `json:"milestone" jsonschema:"minLength=1,maxLength=200"`
	Comment   string `json:"comment,omitempty" jsonschema:"maxLength=2000"`
}

// DevelopmentStarted is the payload of customization.development_started: development began.
type DevelopmentStarted struct {
	Comment string `json:"comment,omitempty" jsonschema:"maxLength=2000"`
}

// TestingStarted is the payload of customization.testing_started: testing began.
type TestingStarted struct {
	Comment string `json:"comment,omitempty" jsonschema:"maxLength=2000"`
}

// Delivered is the payload of customization.delivered: the work was released to the customer.
type Delivered struct {
	Comment string `json:"comment,omitempty" jsonschema:"maxLength=2000"`
}

// Accepted is the payload of customization.accepted: the requester accepted the delivery: the request is closed.
type Accepted struct {
	Comment string `json:"comment,omitempty" jsonschema:"maxLength=2000"`
}

// ReworkRequested is the payload of customization.rework_requested: the requester sent the delivery back to development.
type ReworkRequested struct {
	Reason  string `json:"reason" jsonschema:"minLength=1,maxLength=2000"`
	Comment string `json:"comment,omitempty" jsonschema:"maxLength=2000"`
}

// Cancelled is the payload of customization.cancelled: the requester cancelled the request before development began.
type Cancelled struct {
	Comment string `json:"comment,omitempty" jsonschema:"maxLength=2000"`
}

// EventType implements events.Payload.
func (Submitted) EventType() string { return EventSubmitted }

// SchemaVersion implements events.Payload.
func (Submitted) SchemaVersion() int { return 1 }

// EventType implements events.Payload.
func (AssessmentStarted) EventType() string { return EventAssessmentStarted }

// SchemaVersion implements events.Payload.
func (AssessmentStarted) SchemaVersion() int { return 1 }

// EventType implements events.Payload.
func (Rejected) EventType() string { return EventRejected }

// SchemaVersion implements events.Payload.
func (Rejected) SchemaVersion() int { return 1 }

// EventType implements events.Payload.
func (Estimated) EventType() string { return EventEstimated }

// SchemaVersion implements events.Payload.
func (Estimated) SchemaVersion() int { return 1 }

// EventType implements events.Payload.
func (Approved) EventType() string { return EventApproved }

// SchemaVersion implements events.Payload.
func (Approved) SchemaVersion() int { return 1 }

// EventType implements events.Payload.
func (ReestimateRequested) EventType() string { return EventReestimateRequested }

// SchemaVersion implements events.Payload.
func (ReestimateRequested) SchemaVersion() int { return 1 }

// EventType implements events.Payload.
func (ScopeChanged) EventType() string { return EventScopeChanged }

// SchemaVersion implements events.Payload.
func (ScopeChanged) SchemaVersion() int { return 1 }

// EventType implements events.Payload.
func (Scheduled) EventType() string { return EventScheduled }

// SchemaVersion implements events.Payload.
func (Scheduled) SchemaVersion() int { return 1 }

// EventType implements events.Payload.
func (DevelopmentStarted) EventType() string { return EventDevelopmentStarted }

// SchemaVersion implements events.Payload.
func (DevelopmentStarted) SchemaVersion() int { return 1 }

// EventType implements events.Payload.
func (TestingStarted) EventType() string { return EventTestingStarted }

// SchemaVersion implements events.Payload.
func (TestingStarted) SchemaVersion() int { return 1 }

// EventType implements events.Payload.
func (Delivered) EventType() string { return EventDelivered }

// SchemaVersion implements events.Payload.
func (Delivered) SchemaVersion() int { return 1 }

// EventType implements events.Payload.
func (Accepted) EventType() string { return EventAccepted }

// SchemaVersion implements events.Payload.
func (Accepted) SchemaVersion() int { return 1 }

// EventType implements events.Payload.
func (ReworkRequested) EventType() string { return EventReworkRequested }

// SchemaVersion implements events.Payload.
func (ReworkRequested) SchemaVersion() int { return 1 }

// EventType implements events.Payload.
func (Cancelled) EventType() string { return EventCancelled }

// SchemaVersion implements events.Payload.
func (Cancelled) SchemaVersion() int { return 1 }
