// Package catalog lists every event payload type of every service: the
// registry that JSON Schemas, documentation and consumers are checked
// against.
package catalog

import (
	"helpdesk/contracts/callapi"
	"helpdesk/contracts/custapi"
	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/satapi"
	"helpdesk/contracts/ticketapi"
)

// Payloads returns one zero value of every event payload type.
func Payloads() []events.Payload {
	return []events.Payload{
		ticketapi.Opened{},
		ticketapi.Assigned{},
		ticketapi.WorkStarted{},
		ticketapi.Replied{},
		ticketapi.Resolved{},
		ticketapi.Closed{},
		ticketapi.Reopened{},
		ticketapi.SLABreached{},
		identityapi.UserRegistered{},
		identityapi.UserLoggedIn{},
		identityapi.UserLoginFailed{},
		identityapi.UserLocked{},
		identityapi.UserUnlocked{},
		identityapi.UserRoleChanged{},
		identityapi.UserPasswordChanged{},
		identityapi.UserPasswordRehashed{},
		identityapi.UserPasswordReset{},
		identityapi.UserLoggedOut{},
		identityapi.UserSessionRefreshed{},
		identityapi.UserSessionRevoked{},
		identityapi.UserDisabled{},
		identityapi.UserEnabled{},
		identityapi.AdminAdded{},
		identityapi.AdminRemoved{},
		kbapi.CategoryCreated{},
		kbapi.CategoryRenamed{},
		kbapi.CategoryMoved{},
		kbapi.ArticleDrafted{},
		kbapi.ArticleEdited{},
		kbapi.ArticlePublished{},
		kbapi.ArticleArchived{},
		kbapi.FeedbackVoted{},
		kbapi.FeedbackViewed{},
		callapi.AgentLoggedIn{},
		callapi.AgentStateChanged{},
		callapi.CallReceived{},
		callapi.CallAnswered{},
		callapi.CallNotAnswered{},
		callapi.CallEnded{},
		callapi.CallTransferred{},
		callapi.CallRated{},
		callapi.TicketOpened{},
		callapi.RecordingStored{},
		callapi.RecordingPlayed{},
		callapi.RecordingPurged{},
		callapi.CDRIngested{},
		callapi.CallResolved{},
		callapi.PBXKeyCreated{},
		callapi.PBXKeyRevoked{},
		satapi.SurveyIssued{},
		satapi.SurveyAnswered{},
		satapi.SurveyExpired{},
		satapi.FollowUpOpened{},
		satapi.FollowUpCompleted{},
		custapi.Submitted{},
		custapi.AssessmentStarted{},
		custapi.Rejected{},
		custapi.Estimated{},
		custapi.Approved{},
		custapi.ReestimateRequested{},
		custapi.ScopeChanged{},
		custapi.Scheduled{},
		custapi.DevelopmentStarted{},
		custapi.TestingStarted{},
		custapi.Delivered{},
		custapi.Accepted{},
		custapi.ReworkRequested{},
		custapi.Cancelled{},
	}
}
