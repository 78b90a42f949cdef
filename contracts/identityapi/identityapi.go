// Package identityapi is the identity service's published language: user
// account events, requests and views.
package identityapi

import "time"

// Source is the CloudEvents source of identity events.
const Source = "/helpdesk/identity"

// Roles a user account can have.
const (
	RoleAdmin      = "admin"
	RoleAgent      = "agent"
	RoleCustomer   = "customer"
	RoleSupervisor = "supervisor"
	// RoleAuditor reads audit data and nothing else (separation of duties).
	RoleAuditor = "auditor"
)

// Roles lists every role.
var Roles = []string{RoleAdmin, RoleAgent, RoleCustomer, RoleSupervisor, RoleAuditor}

// IsStaff reports whether a role works tickets (sees internal notes, all
// tickets): agents, supervisors and admins. Auditors are not staff.
func IsStaff(role string) bool {
	return role == RoleAdmin || role == RoleAgent || role == RoleSupervisor
}

// RoleSystem is the role of internal actors: schedulers and reactions.
const RoleSystem = "system"

// Actor is who gives a command: a signed-in user with a role, or an
// internal component of a service.
type Actor struct {
	ID   string
	Role string
}

// SystemActor is an internal component acting in a service.
func SystemActor(component string) Actor {
	return Actor{ID: "system:" + component, Role: RoleSystem}
}

// IsStaff tells whether the actor is an agent, a supervisor or an admin.
func (a Actor) IsStaff() bool { return IsStaff(a.Role) }

// IsAdmin tells whether the actor is an admin.
func (a Actor) IsAdmin() bool { return a.Role == RoleAdmin }

// IsSystem tells whether the actor is an internal component.
func (a Actor) IsSystem() bool { return a.Role == RoleSystem }

// Event types of the user aggregate.
const (
	EventUserRegistered = "user.registered"
)

// UserRegistered is the payload of user.registered. The password is stored as
// a hash only (argon2id PHC string; bcrypt in accounts made before).
// PasswordChangeRequired is set for accounts whose password someone other
// than the user chose: the user must change it at first login.
type UserRegistered struct {
	Username               string `json:"username" jsonschema:"minLength=3,maxLength=64"`
	DisplayName            string `json:"display_name"`
	Role                   string `json:"role" jsonschema:"enum=admin,enum=agent,enum=customer,enum=supervisor,enum=auditor"`
	WorkNumber             string `json:"work_number,omitempty"`
	PasswordHash           string `json:"password_hash"`
	PasswordChangeRequired bool   `json:"password_change_required,omitempty"`
}

// EventType implements events.Payload.
func (UserRegistered) EventType() string { return EventUserRegistered }

// SchemaVersion implements events.Payload.
func (UserRegistered) SchemaVersion() int { return 1 }

// Endpoint names of the identity service.
const (
	EndpointRegister     = "register"
	EndpointAuthenticate = "authenticate"
	EndpointGet          = "get"
	// EndpointRefresh, EndpointLogout and EndpointChangePassword serve the
	// signed-in user's session (auth.go).
	EndpointRefresh        = "refresh"
	EndpointLogout         = "logout"
	EndpointChangePassword = "change_password"
	// EndpointResetPassword, EndpointUnlock, EndpointChangeRole,
	// EndpointDisable and EndpointEnable are admin operations on accounts.
	EndpointResetPassword = "reset_password"
	EndpointUnlock        = "unlock"
	EndpointChangeRole    = "change_role"
	EndpointDisable       = "disable"
	EndpointEnable        = "enable"
)

// RegisterUser creates an account (admin only).
type RegisterUser struct {
	Username    string `json:"username"`
	Password    string `json:"password"`
	Role        string `json:"role"`
	DisplayName string `json:"display_name"`
	WorkNumber  string `json:"work_number,omitempty"`
}

// Authenticate checks a username and password and, when they are right,
// starts a session (answer: Session).
type Authenticate struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// GetUser asks for one account.
type GetUser struct {
	UserID string `json:"user_id"`
}

// User is the public view of an account.
type User struct {
	ID          string    `json:"id"`
	Username    string    `json:"username"`
	Role        string    `json:"role"`
	DisplayName string    `json:"display_name"`
	WorkNumber  string    `json:"work_number,omitempty"`
	Version     uint64    `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	// Disabled is set while an admin has disabled the account.
	Disabled bool `json:"disabled,omitempty"`
}
