package command

import (
	"context"

	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/satapi"
	"helpdesk/services/satisfaction/domain/survey"
)

// RespondHandler takes respondents' answers and supervisors' follow-ups.
type RespondHandler struct {
	d Deps
}

// NewRespondHandler returns the handler.
func NewRespondHandler(d Deps) RespondHandler {
	d.mustBeComplete("NewRespondHandler")
	return RespondHandler{d: d}
}

// Respond records the caller's answer to their survey and returns it.
// What the answer sets off (closing or reopening the ticket, a follow-up)
// follows from the survey.answered event.
func (h RespondHandler) Respond(ctx context.Context, cmd satapi.Respond) (satapi.Survey, error) {
	actor := actorOf(ctx)
	s, err := h.d.Surveys.Update(ctx, cmd.SurveyID, 0, func(s *survey.Survey) ([]events.Payload, error) {
		return s.Respond(actor, satapi.SurveyAnswered{Score: cmd.Score, Comment: cmd.Comment, Solved: cmd.Solved, Dimensions: cmd.Dimensions}, h.d.Clock())
	})
	if err != nil {
		return satapi.Survey{}, err
	}
	return s.View(), nil
}

// Survey returns one survey, current (read from its events), to its
// respondent or staff.
func (h RespondHandler) Survey(ctx context.Context, q satapi.SurveyTarget) (satapi.Survey, error) {
	s, _, err := h.d.Surveys.Load(ctx, q.SurveyID)
	if err != nil {
		return satapi.Survey{}, err
	}
	if !s.CanView(actorOf(ctx)) {
		return satapi.Survey{}, problem.NotFound("survey", q.SurveyID)
	}
	return s.View(), nil
}

// CompleteFollowUp records a supervisor's contact with an unhappy
// customer and its outcome.
func (h RespondHandler) CompleteFollowUp(ctx context.Context, cmd satapi.CompleteFollowUp) (satapi.FollowUp, error) {
	actor := actorOf(ctx)
	f, err := h.d.FollowUps.Update(ctx, cmd.FollowUpID, 0, func(f *survey.FollowUp) ([]events.Payload, error) {
		return f.Complete(actor, cmd.Contact, cmd.Outcome)
	})
	if err != nil {
		return satapi.FollowUp{}, err
	}
	return f.View(h.d.Clock()), nil
}
