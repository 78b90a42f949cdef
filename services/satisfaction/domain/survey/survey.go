// Package survey is the satisfaction survey of one ticket resolution or
// one hotline call, and the follow-up an unhappy answer opens. It does no
// I/O and reads no clock.
package survey

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/satapi"
)

// Survey is one survey. New gives a survey that is not issued yet.
type Survey struct {
	id       string
	version  uint64
	issued   *satapi.SurveyIssued
	issuedAt time.Time
	status   string
	answer   *satapi.SurveyAnswered
	answerAt time.Time
}

// New returns the survey with the given id before it is issued.
func New(id string) *Survey { return &Survey{id: id} }

// FromEvents folds a survey's events, in order.
func FromEvents(evs []events.Envelope) (*Survey, error) {
	s := &Survey{}
	for _, env := range evs {
		s.id = env.AggregateID
		switch env.Type {
		case satapi.EventSurveyIssued:
			var p satapi.SurveyIssued
			if err := env.Decode(&p); err != nil {
				return nil, fmt.Errorf("survey event %d: %w", env.AggregateVersion, err)
			}
			s.issued, s.issuedAt, s.status = &p, env.OccurredAt, satapi.StatusOpen
		case satapi.EventSurveyAnswered:
			var p satapi.SurveyAnswered
			if err := env.Decode(&p); err != nil {
				return nil, fmt.Errorf("survey event %d: %w", env.AggregateVersion, err)
			}
			s.answer, s.answerAt, s.status = &p, env.OccurredAt, satapi.StatusAnswered
		case satapi.EventSurveyExpired:
			s.status = satapi.StatusExpired
		}
		s.version = env.AggregateVersion
	}
	return s, nil
}

// Version is the stream sequence of the survey's last event.
func (s *Survey) Version() uint64 { return s.version }

// Issued tells whether the survey was issued.
func (s *Survey) Issued() bool { return s.issued != nil }

// About returns what the survey was issued about.
func (s *Survey) About() satapi.SurveyIssued {
	if s.issued == nil {
		return satapi.SurveyIssued{}
	}
	return *s.issued
}

// Answer returns the survey's answer, if it has one.
func (s *Survey) Answer() (satapi.SurveyAnswered, bool) {
	if s.answer == nil {
		return satapi.SurveyAnswered{}, false
	}
	return *s.answer, true
}

// Issue issues the survey; issuing it again changes nothing.
func (s *Survey) Issue(p satapi.SurveyIssued) []events.Payload {
	if s.issued != nil {
		return nil
	}
	return []events.Payload{p}
}

// CanView tells whether the actor may see the survey: its respondent,
// roles the matrix lets see every survey (staff) and internal components.
func (s *Survey) CanView(a identityapi.Actor) bool {
	return s.issued != nil && (authz.Allowed(a.Role, authz.SurveyReadAll) || a.IsSystem() || a.ID != "" && a.ID == s.issued.Respondent)
}

// Respond records the respondent's answer on the web. Only the survey's
// respondent answers, once, before it expires; solved is asked of tickets
// only.
func (s *Survey) Respond(a identityapi.Actor, ans satapi.SurveyAnswered, now time.Time) ([]events.Payload, error) {
	if s.issued == nil || s.issued.Respondent == "" || a.ID != s.issued.Respondent {
		return nil, problem.NotFound("survey", s.id)
	}
	if ans.Solved != nil && s.issued.About != satapi.AboutTicket {
		return nil, problem.Validation(problem.FieldError{Field: "solved", Message: "is asked of a ticket's survey only"})
	}
	ans.Via = satapi.ViaWeb
	return s.record(ans, now)
}

// RateByIVR records the caller's rating of a call on the IVR keypad.
func (s *Survey) RateByIVR(score int, now time.Time) ([]events.Payload, error) {
	if s.issued == nil {
		return nil, problem.NotFound("survey", s.id)
	}
	if s.answer != nil && s.answer.Via == satapi.ViaIVR && s.answer.Score == score {
		return nil, nil // the same rating delivered again
	}
	return s.record(satapi.SurveyAnswered{Score: score, Via: satapi.ViaIVR}, now)
}

// record checks an answer and the survey's state and returns the event.
func (s *Survey) record(ans satapi.SurveyAnswered, now time.Time) ([]events.Payload, error) {
	ans.Comment = strings.TrimSpace(ans.Comment)
	var bad []problem.FieldError
	if ans.Score < 1 || ans.Score > 5 {
		bad = append(bad, problem.FieldError{Field: "score", Message: "must be 1 to 5"})
	}
	if utf8.RuneCountInString(ans.Comment) > satapi.MaxComment {
		bad = append(bad, problem.FieldError{Field: "comment", Message: fmt.Sprintf("at most %d characters", satapi.MaxComment)})
	}
	for name, v := range map[string]int{"dimensions.speed": ans.Dimensions.Speed,
		"dimensions.professionalism": ans.Dimensions.Professionalism, "dimensions.outcome": ans.Dimensions.Outcome} {
		if v < 0 || v > 5 {
			bad = append(bad, problem.FieldError{Field: name, Message: "must be 1 to 5 (or left out)"})
		}
	}
	if len(bad) > 0 {
		return nil, problem.Validation(sortFields(bad)...)
	}
	switch {
	case s.status == satapi.StatusAnswered:
		return nil, problem.New(problem.CodeConflict, "survey %s was already answered", s.id)
	case s.status == satapi.StatusExpired || !now.Before(s.issued.ExpiresAt):
		return nil, problem.New(problem.CodeConflict, "survey %s expired at %s", s.id, s.issued.ExpiresAt.Format(time.RFC3339))
	}
	return []events.Payload{ans}, nil
}

// Expire expires an open survey whose time has come; anything else
// changes nothing.
func (s *Survey) Expire(now time.Time) []events.Payload {
	if s.status != satapi.StatusOpen || now.Before(s.issued.ExpiresAt) {
		return nil
	}
	return []events.Payload{satapi.SurveyExpired{}}
}

// FollowUpReason tells whether the survey's answer calls for a follow-up:
// "not solved" first, then a score of 1 or 2.
func (s *Survey) FollowUpReason() (string, bool) {
	switch {
	case s.answer == nil:
		return "", false
	case s.answer.Solved != nil && !*s.answer.Solved:
		return satapi.ReasonNotSolved, true
	case s.answer.Score <= 2:
		return satapi.ReasonLowScore, true
	}
	return "", false
}

// View is the survey as the API shows it.
func (s *Survey) View() satapi.Survey {
	v := satapi.Survey{ID: s.id, Version: s.version, Status: s.status, IssuedAt: s.issuedAt}
	if s.issued != nil {
		i := s.issued
		v.About, v.TicketID, v.CallID, v.Respondent, v.AgentID = i.About, i.TicketID, i.CallID, i.Respondent, i.AgentID
		v.Category, v.Channel, v.ExpiresAt = i.Category, i.Channel, i.ExpiresAt
	}
	if a := s.answer; a != nil {
		at := s.answerAt
		v.AnsweredAt, v.Score, v.Comment, v.Solved, v.Via = &at, a.Score, a.Comment, a.Solved, a.Via
		if a.Dimensions != (satapi.Dimensions{}) {
			d := a.Dimensions
			v.Dimensions = &d
		}
	}
	return v
}
