// Package app is the call-record service's application layer: the command
// and query handlers its ports call.
package app

import (
	"helpdesk/services/callrecord/app/command"
	"helpdesk/services/callrecord/app/query"
)

// Application is everything the ports of the call-record service may call.
type Application struct {
	Commands Commands
	Queries  query.Handlers
}

// Commands change the hotline and its calls.
type Commands struct {
	Hotline    command.HotlineHandler
	Rate       command.RateHandler
	OpenTicket command.OpenTicketHandler
	IngestCDR  command.IngestCDRHandler
	PBXKeys    command.PBXKeysHandler

	StoreRecording  command.StoreRecordingHandler
	PlayRecording   command.PlayRecordingHandler
	PurgeRecordings command.PurgeRecordingsHandler
}
