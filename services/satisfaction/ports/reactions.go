// Package ports drives the satisfaction application: the reactions to
// ticket, call and survey events, the survey expiry scheduler and the NATS
// endpoints for the gateway.
package ports

import (
	"context"
	"log/slog"
	"time"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/satapi"
	"helpdesk/contracts/subjects"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/background"
)

// Reaction hands the events of one stream to the process manager: a
// projection.Reactor, whose runner keeps only its position. A failed
// reaction is retried by the runner, and the process manager does nothing
// twice.
type Reaction struct {
	name, stream string
	types        []string
	react        func(ctx context.Context, env events.Envelope) error
}

// Reactions are the process manager's three reactions: to ticket events,
// call-record events and the service's own survey events.
func Reactions(onTicket, onCall, onSurvey func(ctx context.Context, env events.Envelope) error) []*Reaction {
	return []*Reaction{
		{name: "sat_ticket_reactions", stream: subjects.Stream(subjects.ServiceTicket),
			types: []string{ticketapi.EventResolved}, react: onTicket},
		{name: "sat_call_reactions", stream: subjects.Stream(subjects.ServiceCallRecord),
			types: []string{callapi.EventCallEnded, callapi.EventCallRated}, react: onCall},
		{name: "sat_survey_reactions", stream: subjects.Stream(subjects.ServiceSatisfaction),
			types: []string{satapi.EventSurveyAnswered, satapi.EventSurveyExpired}, react: onSurvey},
	}
}

// Name implements projection.Reactor.
func (r *Reaction) Name() string { return r.name }

// Stream implements projection.Reactor.
func (r *Reaction) Stream() string { return r.stream }

// EventTypes implements projection.Reactor.
func (r *Reaction) EventTypes() []string { return r.types }

// React hands the event to the process manager.
func (r *Reaction) React(ctx context.Context, env events.Envelope) error {
	return r.react(ctx, env)
}

// DueSurveys finds open surveys whose time has come.
type DueSurveys interface {
	ExpiredSurveys(ctx context.Context, now time.Time, limit int) ([]string, error)
}

// ExpiryScheduler expires surveys nobody answered in time, every
// Interval; each replica may run one, because expiring is idempotent.
type ExpiryScheduler struct {
	Due      DueSurveys
	Expire   func(ctx context.Context, surveyID string) error
	Clock    func() time.Time
	Interval time.Duration
	Logger   *slog.Logger
}

// Run expires due surveys every Interval until ctx is done.
func (s ExpiryScheduler) Run(ctx context.Context) {
	background.Every(ctx, s.Interval, func(ctx context.Context) { s.RunOnce(ctx) })
}

// RunOnce expires the surveys due now and returns how many it tried.
func (s ExpiryScheduler) RunOnce(ctx context.Context) int {
	ids, err := s.Due.ExpiredSurveys(ctx, s.Clock(), satapi.MaxListLimit) // the rest on the next run
	if err != nil {
		if ctx.Err() == nil {
			s.Logger.ErrorContext(ctx, "survey expiry scan failed", "error", err)
		}
		return 0
	}
	for _, id := range ids {
		if err := s.Expire(ctx, id); err != nil && ctx.Err() == nil {
			s.Logger.WarnContext(ctx, "survey expiry failed", "survey", id, "error", err)
		}
	}
	return len(ids)
}
