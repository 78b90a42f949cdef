// Package subjects names every NATS subject and JetStream stream Helpdesk
// uses. Integrations subscribe to the event subjects; the gateway and the CLI
// send requests to the service subjects.
//
// Event subjects have the form
//
//	events.<service>.<aggregate_type>.<aggregate_id>
//
// one subject per aggregate, in one stream per service named
// EVENTS_<SERVICE>. Streams deny deletes and purges and are never trimmed.
package subjects

import (
	"fmt"
	"strings"
)

// Services that own an event stream.
const (
	ServiceTicket        = "ticket"
	ServiceIdentity      = "identity"
	ServiceKnowledge     = "knowledge"
	ServiceCallRecord    = "callrecord"
	ServiceSatisfaction  = "satisfaction"
	ServiceCustomization = "customization"
)

// Services lists every service, in the order they start (identity first:
// the others ask it about users) and in which events with the same time
// are merged when several streams are read together.
var Services = []string{ServiceIdentity, ServiceTicket, ServiceKnowledge, ServiceCallRecord,
	ServiceSatisfaction, ServiceCustomization}

// Aggregate types.
const (
	AggregateTicket   = "ticket"
	AggregateUser     = "user"
	AggregateCategory = "category"
	AggregateArticle  = "article"
	AggregateFeedback = "article_feedback"
	AggregateHotline  = "hotline"
	AggregateCall     = "call"
	AggregatePBXKey   = "pbx_key"
	AggregateSurvey   = "survey"
	AggregateFollowUp = "followup"
	AggregateRequest  = "customization"
)

// EventPrefix is the first token of every event subject.
const EventPrefix = "events"

// Stream is the JetStream stream that holds a service's events.
func Stream(service string) string {
	return "EVENTS_" + strings.ToUpper(service)
}

// StreamSubjects is the subject filter of a service's stream.
func StreamSubjects(service string) string {
	return fmt.Sprintf("%s.%s.>", EventPrefix, service)
}

// Aggregate identifies one aggregate instance and so one event subject.
type Aggregate struct {
	Service string
	Type    string
	ID      string
}

// Subject is the NATS subject holding every event of the aggregate.
func (a Aggregate) Subject() string {
	return fmt.Sprintf("%s.%s.%s.%s", EventPrefix, a.Service, a.Type, a.ID)
}

// Stream is the stream the aggregate's subject belongs to.
func (a Aggregate) Stream() string { return Stream(a.Service) }

// Ticket returns the aggregate reference of a ticket.
func Ticket(id string) Aggregate {
	return Aggregate{Service: ServiceTicket, Type: AggregateTicket, ID: id}
}

// User returns the aggregate reference of a user account.
func User(id string) Aggregate {
	return Aggregate{Service: ServiceIdentity, Type: AggregateUser, ID: id}
}

// AggregateAdminRoster is the identity service's roster of enabled admins.
const AggregateAdminRoster = "admin_roster"

// AdminRoster returns the aggregate reference of the identity service's
// roster of enabled admins (one aggregate, see identityapi.AdminAdded).
func AdminRoster(id string) Aggregate {
	return Aggregate{Service: ServiceIdentity, Type: AggregateAdminRoster, ID: id}
}

// Category returns the aggregate reference of a knowledge-base category.
func Category(id string) Aggregate {
	return Aggregate{Service: ServiceKnowledge, Type: AggregateCategory, ID: id}
}

// Article returns the aggregate reference of a knowledge-base article.
func Article(id string) Aggregate {
	return Aggregate{Service: ServiceKnowledge, Type: AggregateArticle, ID: id}
}

// Feedback returns the aggregate reference of an article's votes and views,
// kept apart from the article so that readers' votes never make an editor's
// If-Match stale.
func Feedback(articleID string) Aggregate {
	return Aggregate{Service: ServiceKnowledge, Type: AggregateFeedback, ID: articleID}
}

// Hotline returns the aggregate reference of the hotline board with the
// given id: the agents and live calls of the automatic call distribution.
func Hotline(id string) Aggregate {
	return Aggregate{Service: ServiceCallRecord, Type: AggregateHotline, ID: id}
}

// Call returns the aggregate reference of a call (its aggregate id, see
// callapi.CallAggregateID).
func Call(id string) Aggregate {
	return Aggregate{Service: ServiceCallRecord, Type: AggregateCall, ID: id}
}

// PBXKey returns the aggregate reference of a PBX's API key.
func PBXKey(id string) Aggregate {
	return Aggregate{Service: ServiceCallRecord, Type: AggregatePBXKey, ID: id}
}

// Survey returns the aggregate reference of a satisfaction survey.
func Survey(id string) Aggregate {
	return Aggregate{Service: ServiceSatisfaction, Type: AggregateSurvey, ID: id}
}

// FollowUp returns the aggregate reference of a follow-up of a survey.
func FollowUp(id string) Aggregate {
	return Aggregate{Service: ServiceSatisfaction, Type: AggregateFollowUp, ID: id}
}

// CustomizationRequest returns the aggregate reference of a
// custom-development request.
func CustomizationRequest(id string) Aggregate {
	return Aggregate{Service: ServiceCustomization, Type: AggregateRequest, ID: id}
}

// Request subjects: every service exposes a nats.go micro service whose
// endpoints live under "helpdesk.<service>." and are served by a queue group,
// so replicas share the load.
const (
	RequestPrefix = "helpdesk"
)

// Endpoint is the request subject of one endpoint of a service.
func Endpoint(service, name string) string {
	return fmt.Sprintf("%s.%s.%s", RequestPrefix, service, name)
}

// ProjectionControl is the request subject for operating projections
// (status, rebuild) of one service.
func ProjectionControl(service, op string) string {
	return fmt.Sprintf("%s.%s.projections.%s", RequestPrefix, service, op)
}

// ProjectionProgress is where a rebuilding projection publishes progress.
func ProjectionProgress(name string) string {
	return fmt.Sprintf("%s.projections.%s.progress", RequestPrefix, name)
}
