// Package app is the satisfaction service's application layer.
package app

import (
	"helpdesk/services/satisfaction/app/command"
	"helpdesk/services/satisfaction/app/query"
)

// Application is everything the ports of the satisfaction service may
// call.
type Application struct {
	Respond command.RespondHandler
	Process command.ProcessManager
	Queries query.Handlers
}
