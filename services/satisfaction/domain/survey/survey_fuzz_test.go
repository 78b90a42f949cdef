package survey_test

import (
	"testing"

	"helpdesk/contracts/catalog/eventfuzz"
	"helpdesk/contracts/satapi"
	"helpdesk/services/satisfaction/domain/survey"
)

// FuzzFromEvents: any two events, of any type and with any data, fold
// into a survey and a follow-up, or errors, never a panic; what folds
// renders.
func FuzzFromEvents(f *testing.F) {
	eventfuzz.Seed(f, satapi.SurveyIssued{About: "ticket", TicketID: "t-1"}, satapi.SurveyAnswered{Score: 2, Comment: "<script>alert(1)</script> 不满意 😞", Via: "web"})
	eventfuzz.Seed(f, satapi.FollowUpOpened{SurveyID: "s-1", Reason: "low_score", Score: 1}, satapi.FollowUpCompleted{})
	f.Fuzz(func(t *testing.T, first uint8, data1 []byte, second uint8, data2 []byte) {
		evs := eventfuzz.Events(first, data1, second, data2)
		if s, err := survey.FromEvents(evs); err == nil {
			s.View()
		}
		if fu, err := survey.FollowUpFromEvents(evs); err == nil {
			fu.View(evs[1].OccurredAt)
		}
	})
}
