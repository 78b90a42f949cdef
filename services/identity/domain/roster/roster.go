// Package roster is the admin roster: the one aggregate that counts the
// enabled admin accounts, so that nobody demotes or disables the last one.
//
// Every demotion or disabling of an admin first appends admin_removed here
// with the roster's version as the expected version, and changes the
// account only after that succeeded; a promotion, a new admin or an
// enabling changes the account first and appends admin_added after. Two
// concurrent removals therefore serialise on the roster: the second one
// reloads and sees the first. When a process stops between the two
// appends, the roster counts one admin too few, never one too many: it may
// refuse a removal that would have been safe, but never allows the last
// admin to go.
package roster

import (
	"fmt"

	"github.com/google/uuid"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
)

// ID is the id of the one roster aggregate.
var ID = uuid.NewSHA1(uuid.NameSpaceURL, []byte("helpdesk:admin_roster")).String()

// Roster is the set of enabled admins it knows of.
type Roster struct {
	version uint64
	admins  map[string]bool
}

// New is the roster before its first event.
func New(string) *Roster { return &Roster{admins: map[string]bool{}} }

// FromEvents rebuilds the roster.
func FromEvents(evs []events.Envelope) (*Roster, error) {
	r := New(ID)
	for _, e := range evs {
		switch e.Type {
		case identityapi.EventAdminAdded:
			var p identityapi.AdminAdded
			if err := e.Decode(&p); err != nil {
				return nil, err
			}
			r.admins[p.UserID] = true
		case identityapi.EventAdminRemoved:
			var p identityapi.AdminRemoved
			if err := e.Decode(&p); err != nil {
				return nil, err
			}
			delete(r.admins, p.UserID)
		default:
			return nil, fmt.Errorf("admin roster: unknown event type %q", e.Type)
		}
		r.version = e.AggregateVersion
	}
	return r, nil
}

// Version is the stream sequence of the roster's last event.
func (r *Roster) Version() uint64 { return r.version }

// Count is how many admins the roster knows.
func (r *Roster) Count() int { return len(r.admins) }

// Has reports whether the roster counts the user.
func (r *Roster) Has(userID string) bool { return r.admins[userID] }

// Add counts an admin; one already counted changes nothing.
func (r *Roster) Add(userID string) []events.Payload {
	if r.admins[userID] {
		return nil
	}
	return []events.Payload{identityapi.AdminAdded{UserID: userID}}
}

// Remove stops counting an admin who is to be demoted or disabled. It is
// refused (conflict) when no other counted admin would remain. It always
// returns an event, even for an admin the roster did not count, so that the
// append's expected version orders it against every other removal.
func (r *Roster) Remove(userID string) ([]events.Payload, error) {
	others := len(r.admins)
	if r.admins[userID] {
		others--
	}
	if others < 1 {
		return nil, problem.New(problem.CodeConflict, "the last enabled admin cannot be demoted or disabled; make another admin first")
	}
	return []events.Payload{identityapi.AdminRemoved{UserID: userID}}, nil
}
