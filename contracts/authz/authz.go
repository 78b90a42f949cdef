// Package authz is the authorization matrix of Helpdesk: which role may
// perform which operation. It is written once, here; the gateway enforces it
// on every /api/v1 route before a service is called, and the services
// re-check the same rules (and who owns the data) when they act.
//
// An operation is either a route's operation (one per REST route, named
// when the gateway registers the route) or a service rule: a finer decision
// a service makes inside an allowed operation, such as seeing every ticket
// rather than one's own, or reading internal notes.
//
// Everything unknown is denied: an unknown role, an unknown operation, an
// empty role.
package authz

import (
	"slices"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/identityapi"
)

// Operation names something a caller does, such as "ticket.open".
type Operation string

// Role names used in the matrix: the user roles of identityapi and the PBX
// of callapi (a request signed with a PBX key).
const (
	Customer   = identityapi.RoleCustomer
	Agent      = identityapi.RoleAgent
	Supervisor = identityapi.RoleSupervisor
	Admin      = identityapi.RoleAdmin
	Auditor    = identityapi.RoleAuditor
	PBX        = callapi.RolePBX
)

// Roles are the matrix's columns, in the order the table shows them.
var Roles = []string{Customer, Agent, Supervisor, Admin, Auditor, PBX}

// Rule is one line of the matrix.
type Rule struct {
	Op Operation
	// Summary says what the operation does, after "may not" in a denial:
	// "open tickets".
	Summary string
	// Own names the ownership the services check on top of the role, if
	// any: "customers their own".
	Own string
	// Roles may perform the operation.
	Roles []string
	// Public operations need no caller at all (signing in).
	Public bool
	// Service marks a service rule: decided inside services, not a route.
	Service bool
}

// Allowed tells whether role may perform op. Public operations are allowed
// to every caller; unknown roles and operations are denied.
func Allowed(role string, op Operation) bool {
	r, ok := index[op]
	if !ok {
		return false
	}
	return r.Public || role != "" && slices.Contains(r.Roles, role)
}

// Lookup returns the rule of op, and whether there is one.
func Lookup(op Operation) (Rule, bool) {
	r, ok := index[op]
	return r, ok
}

// Rules returns the matrix, one rule per operation, in the order written.
func Rules() []Rule {
	out := make([]Rule, len(matrix))
	for i, r := range matrix {
		out[i] = r
		out[i].Roles = slices.Clone(r.Roles)
	}
	return out
}

var index = func() map[Operation]Rule {
	m := make(map[Operation]Rule, len(matrix))
	for _, r := range matrix {
		if _, dup := m[r.Op]; dup {
			panic("authz: operation " + string(r.Op) + " is written twice")
		}
		m[r.Op] = r
	}
	return m
}()
