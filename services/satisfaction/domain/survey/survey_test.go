package survey_test

import (
	"testing"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/satapi"
	"helpdesk/services/satisfaction/domain/survey"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// issued is a survey of a ticket resolution, open until three days on.
func issued(t *testing.T, about string) *survey.Survey {
	t.Helper()
	p := satapi.SurveyIssued{About: about, Channel: "web", Respondent: "cust", AgentID: "agent", ExpiresAt: t0.Add(72 * time.Hour)}
	if about == satapi.AboutTicket {
		p.TicketID, p.Resolution = "T", 7
	} else {
		p.CallID, p.Respondent, p.Channel = "C", "", "phone"
	}
	return fold(t, survey.New("S").Issue(p)...)
}

// fold rebuilds a survey from payloads stamped at t0.
func fold(t *testing.T, ps ...events.Payload) *survey.Survey {
	t.Helper()
	var envs []events.Envelope
	for i, p := range ps {
		env, err := events.New(satapi.Source, satapi.AggregateSurvey, "S", p, t0, events.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		env.AggregateVersion = uint64(i + 1)
		envs = append(envs, env)
	}
	s, err := survey.FromEvents(envs)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func yes() *bool { v := true; return &v }
func no() *bool  { v := false; return &v }

func TestSurvey_Respond(t *testing.T) {
	cust := identityapi.Actor{ID: "cust", Role: identityapi.RoleCustomer}
	tests := []struct {
		name  string
		about string
		actor identityapi.Actor
		ans   satapi.SurveyAnswered
		at    time.Time
		want  problem.Code // "" for an answer
	}{
		{"the requester answers", satapi.AboutTicket, cust, satapi.SurveyAnswered{Score: 5, Solved: yes()}, t0, ""},
		{"with a comment and dimensions", satapi.AboutTicket, cust, satapi.SurveyAnswered{Score: 3, Comment: " 还行 ", Dimensions: satapi.Dimensions{Speed: 2}}, t0, ""},
		{"someone else", satapi.AboutTicket, identityapi.Actor{ID: "other", Role: identityapi.RoleCustomer}, satapi.SurveyAnswered{Score: 5}, t0, problem.CodeNotFound},
		{"staff cannot answer for the customer", satapi.AboutTicket, identityapi.Actor{ID: "agent", Role: identityapi.RoleAgent}, satapi.SurveyAnswered{Score: 5}, t0, problem.CodeNotFound},
		{"score 0", satapi.AboutTicket, cust, satapi.SurveyAnswered{Score: 0}, t0, problem.CodeValidation},
		{"score 6", satapi.AboutTicket, cust, satapi.SurveyAnswered{Score: 6}, t0, problem.CodeValidation},
		{"a dimension of 7", satapi.AboutTicket, cust, satapi.SurveyAnswered{Score: 4, Dimensions: satapi.Dimensions{Outcome: 7}}, t0, problem.CodeValidation},
		{"a comment too long", satapi.AboutTicket, cust, satapi.SurveyAnswered{Score: 4, Comment: string(make([]rune, 2001))}, t0, problem.CodeValidation},
		{"after it expired", satapi.AboutTicket, cust, satapi.SurveyAnswered{Score: 4}, t0.Add(72 * time.Hour), problem.CodeConflict},
		{"a call's survey on the web", satapi.AboutCall, cust, satapi.SurveyAnswered{Score: 4}, t0, problem.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := issued(t, tt.about).Respond(tt.actor, tt.ans, tt.at)
			if got := problem.CodeOf(err); err != nil && got != tt.want || err == nil && tt.want != "" {
				t.Fatalf("Respond = %v, %v; want %q", evs, err, tt.want)
			}
			if tt.want == "" && (len(evs) != 1 || evs[0].(satapi.SurveyAnswered).Via != satapi.ViaWeb) {
				t.Fatalf("Respond = %v", evs)
			}
		})
	}
}

func TestSurvey_answers_once(t *testing.T) {
	s := issued(t, satapi.AboutTicket)
	evs, err := s.Respond(identityapi.Actor{ID: "cust"}, satapi.SurveyAnswered{Score: 2, Solved: no()}, t0)
	if err != nil {
		t.Fatal(err)
	}
	s = fold(t, append(survey.New("S").Issue(s.About()), evs...)...)
	if _, err := s.Respond(identityapi.Actor{ID: "cust"}, satapi.SurveyAnswered{Score: 2, Solved: no()}, t0); problem.CodeOf(err) != problem.CodeConflict {
		t.Fatalf("a second answer: %v, want a conflict", err)
	}
	if reason, ok := s.FollowUpReason(); !ok || reason != satapi.ReasonNotSolved {
		t.Fatalf("follow-up: %q %v, want not_solved", reason, ok)
	}
	if v := s.View(); v.Status != satapi.StatusAnswered || v.Score != 2 || v.Solved == nil || *v.Solved {
		t.Fatalf("view: %+v", v)
	}
	if s.Expire(t0.Add(100*time.Hour)) != nil {
		t.Fatal("an answered survey expired")
	}
}

func TestSurvey_FollowUpReason(t *testing.T) {
	for _, tt := range []struct {
		ans    satapi.SurveyAnswered
		reason string
	}{
		{satapi.SurveyAnswered{Score: 1}, satapi.ReasonLowScore},
		{satapi.SurveyAnswered{Score: 2, Solved: yes()}, satapi.ReasonLowScore},
		{satapi.SurveyAnswered{Score: 3}, ""},
		{satapi.SurveyAnswered{Score: 5, Solved: no()}, satapi.ReasonNotSolved},
		{satapi.SurveyAnswered{Score: 5, Solved: yes()}, ""},
	} {
		s := fold(t, append(survey.New("S").Issue(issued(t, satapi.AboutTicket).About()), tt.ans)...)
		if reason, _ := s.FollowUpReason(); reason != tt.reason {
			t.Errorf("%+v: follow-up %q, want %q", tt.ans, reason, tt.reason)
		}
	}
}

func TestSurvey_IVR_rating_and_expiry(t *testing.T) {
	s := issued(t, satapi.AboutCall)
	evs, err := s.RateByIVR(4, t0)
	if err != nil || len(evs) != 1 {
		t.Fatalf("RateByIVR = %v, %v", evs, err)
	}
	s = fold(t, append(survey.New("S").Issue(s.About()), evs...)...)
	if again, err := s.RateByIVR(4, t0); err != nil || again != nil {
		t.Fatalf("the same rating again: %v, %v; want nothing", again, err)
	}
	if _, err := s.RateByIVR(2, t0); problem.CodeOf(err) != problem.CodeConflict {
		t.Fatalf("another rating: %v, want a conflict", err)
	}
	open := issued(t, satapi.AboutTicket)
	if open.Expire(t0.Add(71*time.Hour)) != nil || len(open.Expire(t0.Add(72*time.Hour))) != 1 {
		t.Fatal("a survey expires at its expiry time, not before")
	}
}

func TestFollowUp_Complete(t *testing.T) {
	f := survey.NewFollowUp("F")
	opened := f.Open(satapi.FollowUpOpened{SurveyID: "S", Reason: satapi.ReasonLowScore, Score: 1, DueAt: t0.Add(24 * time.Hour)})
	env, _ := events.New(satapi.Source, satapi.AggregateFollowUp, "F", opened[0], t0, events.Metadata{})
	env.AggregateVersion = 1
	f, err := survey.FollowUpFromEvents([]events.Envelope{env})
	if err != nil {
		t.Fatal(err)
	}
	if f.View(t0.Add(25*time.Hour)).Status != satapi.FollowUpOverdue || f.View(t0).Status != satapi.FollowUpOpen {
		t.Fatal("overdue only after the due time")
	}
	admin := identityapi.Actor{ID: "boss", Role: identityapi.RoleAdmin}
	for _, tt := range []struct {
		actor            identityapi.Actor
		contact, outcome string
		want             problem.Code
	}{
		{identityapi.Actor{ID: "a", Role: identityapi.RoleAgent}, "电话", "已解决", problem.CodePermissionDenied},
		{identityapi.Actor{ID: "au", Role: identityapi.RoleAuditor}, "电话", "已解决", problem.CodePermissionDenied},
		{identityapi.Actor{ID: "sup", Role: identityapi.RoleSupervisor}, "", "已解决", problem.CodeValidation}, // past the role check
		{admin, "", "已解决", problem.CodeValidation},
		{admin, "电话回访 13812345678", "客户表示满意", ""},
	} {
		evs, err := f.Complete(tt.actor, tt.contact, tt.outcome)
		if problem.CodeOf(err) != tt.want && !(err == nil && tt.want == "") || err == nil && len(evs) != 1 {
			t.Errorf("Complete by %s: %v, %v; want %q", tt.actor.Role, evs, err, tt.want)
		}
	}
}
