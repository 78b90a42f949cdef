// Package app is the ticket service's application layer: the command and
// query handlers that its ports call.
package app

import (
	"helpdesk/contracts/ticketapi"
	"helpdesk/services/ticket/app/command"
	"helpdesk/services/ticket/app/query"
)

// Application is everything the ports of the ticket service may call.
type Application struct {
	Commands Commands
	Queries  Queries
}

// Commands change tickets.
type Commands struct {
	Open           command.OpenTicketHandler
	Assign         command.AssignTicketHandler
	StartWork      command.ChangeHandler[ticketapi.StartWork]
	Reply          command.ChangeHandler[ticketapi.AddReply]
	Resolve        command.ChangeHandler[ticketapi.ResolveTicket]
	Close          command.ChangeHandler[ticketapi.CloseTicket]
	Reopen         command.ChangeHandler[ticketapi.ReopenTicket]
	CheckDeadlines command.CheckDeadlinesHandler
}

// Queries read tickets.
type Queries struct {
	Ticket  query.TicketHandler
	List    query.ListTicketsHandler
	History query.HistoryHandler
}
