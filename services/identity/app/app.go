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

// Commands change accounts and sessions.
type Commands struct {
	Register       command.RegisterUserHandler
	Login          command.LoginHandler
	Refresh        command.RefreshHandler
	Logout         command.LogoutHandler
	ChangePassword command.ChangePasswordHandler
	ResetPassword  command.ResetPasswordHandler
	Unlock         command.UnlockHandler
	ChangeRole     command.ChangeRoleHandler
	Disable        command.DisableHandler
	Enable         command.EnableHandler
}

// Queries read accounts.
type Queries struct {
	User query.UserHandler
}
