// Package app is the identity service's application layer: the use cases
// that ports call.
package app

import (
	"helpdesk/services/identity/app/command"
	"helpdesk/services/identity/app/query"
)

// Application is everything the ports of the identity service may call.
type Application struct {
	Commands Commands
	Queries  Queries
}

// Commands change accounts.
type Commands struct {
	Register command.RegisterUserHandler
}

// Queries read accounts.
type Queries struct {
	Authenticate query.AuthenticateHandler
	User         query.UserHandler
}
