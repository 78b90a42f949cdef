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

// RoleSystem is the role of internal actors, such as the reaction that
// drafts articles from resolved tickets.
const RoleSystem = "system"

// Actor is who gives a command.
type Actor struct {
	ID   string
	Role string
}

// SystemActor is the actor of an internal component.
func SystemActor(component string) Actor {
	return Actor{ID: "system:" + component, Role: RoleSystem}
}

// IsStaff tells whether the actor is an agent or admin.
func (a Actor) IsStaff() bool { return identityapi.IsStaff(a.Role) }

func (a Actor) isAdmin() bool { return a.Role == identityapi.RoleAdmin }

func (a Actor) isSystem() bool { return a.Role == RoleSystem }

func (a Actor) isSignedIn() bool { return a.ID != "" && a.Role != "" }

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
