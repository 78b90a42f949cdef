package adapters

import (
	"context"
	"fmt"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/subjects"
	"helpdesk/services/knowledge/app/command"
)

// CallDrafts is the reaction that brings the hotline into the problem
// library: when an agent notes what a caller asked and how it was
// resolved (call.resolved), it asks for a draft article from the note. A
// caller has no account, so there are no names to keep out; phone numbers
// and the like are scrubbed from every draft. Drafting is idempotent per
// call, so redelivered events, later notes and a rebuild draft nothing
// twice. It is a projection.Reactor: only its position is kept.
type CallDrafts struct {
	drafter Drafter
}

// NewCallDrafts returns the reaction.
func NewCallDrafts(drafter Drafter) *CallDrafts {
	if drafter == nil {
		panic("NewCallDrafts: nil drafter")
	}
	return &CallDrafts{drafter: drafter}
}

// Name implements projection.Reactor.
func (*CallDrafts) Name() string { return "kb_call_drafts" }

// Stream implements projection.Reactor: the call-record service's events.
func (*CallDrafts) Stream() string { return subjects.Stream(subjects.ServiceCallRecord) }

// EventTypes implements projection.Reactor.
func (*CallDrafts) EventTypes() []string { return []string{callapi.EventCallResolved} }

// React drafts an article from a call's resolution note.
func (d *CallDrafts) React(ctx context.Context, env events.Envelope) error {
	if env.Type != callapi.EventCallResolved {
		return nil
	}
	var p callapi.CallResolved
	if err := env.Decode(&p); err != nil {
		return err
	}
	_, err := d.drafter.Handle(ctx, command.DraftFromSource{
		Source:   kbapi.ArticleSource{Kind: kbapi.SourceCall, ID: p.CallID},
		Question: p.Question, Answer: p.Resolution, Category: p.Category,
	})
	if err != nil {
		return fmt.Errorf("draft from call %s: %w", p.CallID, err)
	}
	return nil
}
