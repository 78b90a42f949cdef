// Package kb is the knowledge base's domain: the category tree, articles
// with their content versions and life cycle, readers' feedback, and the
// rule that personal data never lands in an article. It has no I/O.
package kb

import (
	"fmt"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
)

// Actor is who gives a command: a user, or an internal component such as
// the reaction that drafts articles from resolved tickets.
type Actor = identityapi.Actor

// SystemActor is the actor of an internal component.
func SystemActor(component string) Actor { return identityapi.SystemActor(component) }

func signedIn(a Actor) bool { return a.ID != "" && a.Role != "" }

func denied(format string, args ...any) error {
	return problem.New(problem.CodePermissionDenied, format, args...)
}

// decodeAs decodes an event's payload into T.
func decodeAs[T events.Payload](e events.Envelope) (events.Payload, error) {
	var p T
	if err := e.Decode(&p); err != nil {
		return nil, fmt.Errorf("%s %s v%d: %w", e.AggregateType, e.AggregateID, e.AggregateVersion, err)
	}
	return p, nil
}

func problem409(format string, args ...any) error {
	return problem.New(problem.CodeConflict, format, args...)
}

func unknown(e events.Envelope) error {
	return fmt.Errorf("%s %s: unknown event type %q", e.AggregateType, e.AggregateID, e.Type)
}
