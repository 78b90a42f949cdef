package e2e_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// surveyOf waits for the survey of a ticket in the customer's list and
// returns it.
func surveyOf(t *testing.T, c *client, ticketID string, not ...string) map[string]any {
	t.Helper()
	var found map[string]any
	eventually(t, 10*time.Second, "a survey for ticket "+ticketID, func() bool {
		for _, it := range items(c.must(http.StatusOK, "GET", "/api/v1/surveys?mine=true", nil)) {
			if it["ticket_id"] == ticketID && !contains(not, it["id"].(string)) {
				found = it
				return true
			}
		}
		return false
	})
	return found
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ticketStatus waits until the ticket has the status.
func ticketStatus(t *testing.T, c *client, ticketID, status string) {
	t.Helper()
	eventually(t, 10*time.Second, "ticket "+ticketID+" "+status, func() bool {
		return c.must(http.StatusOK, "GET", "/api/v1/tickets/"+ticketID, nil).str("status") == status
	})
}

// TestSatisfaction_closes_the_loop: a resolved ticket gets a survey; "not
// solved" with a low score reopens the ticket and opens a follow-up that a
// supervisor completes; the ticket resolved again gets a new survey, and
// "solved" closes it. A hotline call ended answered gets a survey that the
// caller's IVR rating answers. The figures count all of it, also as CSV.
func TestSatisfaction_closes_the_loop(t *testing.T) {
	sys := startSystem(t, t.TempDir())
	a := newActors(t, sys)
	tk := a.customer.must(http.StatusCreated, "POST", "/api/v1/tickets", map[string]any{
		"title": "考试系统无法提交答卷", "category": "考试认证", "description": "点击提交没有反应"})
	tid := tk.str("id")
	a.agent.must(http.StatusOK, "POST", "/api/v1/tickets/"+tid+"/assign", map[string]any{"assignee": a.agentID})
	a.agent.must(http.StatusOK, "POST", "/api/v1/tickets/"+tid+"/resolve", map[string]any{"resolution": "请清除缓存后重试"})

	first := surveyOf(t, a.customer, tid)
	sid := first["id"].(string)
	if first["status"] != "open" || first["agent_id"] != a.agentID || first["channel"] != "web" || first["category"] != "考试认证" {
		t.Fatalf("the survey: %v", first)
	}
	path := "/api/v1/surveys/" + sid + "/response"
	for _, tc := range []struct {
		who    *client
		body   map[string]any
		status int
	}{
		{a.other, map[string]any{"score": 5}, http.StatusNotFound},
		{a.customer, map[string]any{"score": 7}, http.StatusUnprocessableEntity},
		{a.customer, map[string]any{"score": 0}, http.StatusUnprocessableEntity},
		{a.customer, map[string]any{"score": 3, "comment": strings.Repeat("长", 2001)}, http.StatusUnprocessableEntity},
		{a.customer, map[string]any{"score": 3, "mood": "ok"}, http.StatusBadRequest},
	} {
		if r := tc.who.do("POST", path, tc.body); r.Status != tc.status || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%v: %d %s, want a %d problem", tc.body, r.Status, r.Raw, tc.status)
		}
	}
	if r := a.other.do("GET", "/api/v1/surveys/"+sid, nil); r.Status != http.StatusNotFound {
		t.Errorf("another customer reads the survey: %d", r.Status)
	}

	// Not solved: the ticket reopens and a follow-up opens.
	ans := a.customer.must(http.StatusOK, "POST", path, map[string]any{
		"score": 2, "comment": "问题依旧", "solved": false, "dimensions": map[string]any{"speed": 4, "outcome": 1}})
	if ans.str("status") != "answered" || ans.Body["score"] != 2.0 || ans.Body["solved"] != false {
		t.Fatalf("the answer: %s", ans.Raw)
	}
	a.customer.must(http.StatusConflict, "POST", path, map[string]any{"score": 4})
	ticketStatus(t, a.agent, tid, "in_progress")
	var followup map[string]any
	eventually(t, 10*time.Second, "a follow-up", func() bool {
		its := items(a.admin.must(http.StatusOK, "GET", "/api/v1/satisfaction/followups?status=open", nil))
		if len(its) == 1 {
			followup = its[0]
		}
		return len(its) == 1
	})
	if followup["reason"] != "not_solved" || followup["survey_id"] != sid || followup["ticket_id"] != tid {
		t.Fatalf("the follow-up: %v", followup)
	}
	fpath := "/api/v1/satisfaction/followups/" + followup["id"].(string) + "/complete"
	a.agent.must(http.StatusForbidden, "POST", fpath, map[string]any{"contact": "电话", "outcome": "x"})
	a.customer.must(http.StatusForbidden, "GET", "/api/v1/satisfaction/followups", nil)
	done := a.admin.must(http.StatusOK, "POST", fpath, map[string]any{"contact": "11月26日电话回访", "outcome": "远程协助后可以提交"})
	if done.str("status") != "done" || done.str("completed_by") == "" {
		t.Fatalf("the completed follow-up: %s", done.Raw)
	}
	a.admin.must(http.StatusConflict, "POST", fpath, map[string]any{"contact": "again", "outcome": "again"})

	// Resolved again: a new survey; solved closes the ticket.
	a.agent.must(http.StatusOK, "POST", "/api/v1/tickets/"+tid+"/resolve", map[string]any{"resolution": "远程协助已修复"})
	second := surveyOf(t, a.customer, tid, sid)
	a.customer.must(http.StatusOK, "POST", "/api/v1/surveys/"+second["id"].(string)+"/response", map[string]any{"score": 5, "solved": true})
	ticketStatus(t, a.customer, tid, "closed")

	// A hotline call ended answered gets a survey; the IVR rating answers it.
	li, liID := hotlineAgent(t, a.admin, sys.URL, "3001")
	key := a.admin.must(http.StatusCreated, "POST", "/api/v1/hotline/pbx-keys", map[string]any{"name": "pbx"})
	p := pbx{client: newClient(t, sys.URL), key: key.str("key")}
	p.must(http.StatusOK, "POST", "/api/v1/hotline/agents/"+liID+"/login", map[string]any{"extension": "8001"})
	li.must(http.StatusOK, "POST", "/api/v1/hotline/agents/"+liID+"/state", map[string]any{"state": "ready"})
	p.must(http.StatusOK, "POST", "/api/v1/calls", map[string]any{"call_id": "sat-1", "caller": "13812345678", "hotline": "4001234567"})
	p.must(http.StatusOK, "POST", "/api/v1/calls/sat-1/answered", nil)
	p.must(http.StatusOK, "POST", "/api/v1/calls/sat-1/ended", map[string]any{"disposition": "answered"})
	p.must(http.StatusOK, "POST", "/api/v1/calls/sat-1/rating", map[string]any{"score": 1})
	eventually(t, 10*time.Second, "the call's survey answered by the IVR rating and its follow-up", func() bool {
		for _, it := range items(a.admin.must(http.StatusOK, "GET", "/api/v1/surveys?status=answered", nil)) {
			if it["call_id"] == "sat-1" && it["via"] == "ivr" && it["score"] == 1.0 && it["agent_id"] == liID {
				its := items(a.admin.must(http.StatusOK, "GET", "/api/v1/satisfaction/followups?status=open", nil))
				return len(its) == 1 && its[0]["reason"] == "low_score" && its[0]["call_id"] == "sat-1"
			}
		}
		return false
	})

	// The figures: three surveys (two of the ticket, one of the call), all
	// answered; scores 2, 5 and 1.
	from, to := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	var stats response
	eventually(t, 10*time.Second, "the figures", func() bool {
		stats = a.admin.must(http.StatusOK, "GET", "/api/v1/satisfaction/stats?group_by=channel&from="+from+"&to="+to, nil)
		total, _ := stats.Body["total"].(map[string]any)
		return total != nil && total["responses"] == 3.0
	})
	total := stats.Body["total"].(map[string]any)
	if total["issued"] != 3.0 || total["avg_score"].(float64) < 2.66 || total["avg_score"].(float64) > 2.67 ||
		total["csat"].(float64) < 0.33 || total["csat"].(float64) > 0.34 || total["response_rate"] != 1.0 || total["followups"] != 2.0 ||
		total["followups_completed"] != 1.0 {
		t.Fatalf("figures: %s", stats.Raw)
	}
	if groups := items(response{Body: map[string]any{"items": stats.Body["groups"]}}); len(groups) != 2 {
		t.Fatalf("groups by channel: %s", stats.Raw)
	}
	csv := a.admin.must(http.StatusOK, "GET", "/api/v1/satisfaction/stats?group_by=channel&from="+from+"&to="+to, nil, "Accept", "text/csv")
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(string(csv.Raw), "\ufeff")), "\n")
	if !strings.HasPrefix(csv.Header.Get("Content-Type"), "text/csv") || len(lines) != 4 ||
		!strings.HasPrefix(lines[0], "group_by,key,issued") || !strings.HasPrefix(lines[3], "channel,total,3,3,") {
		t.Fatalf("CSV: %q", csv.Raw)
	}
	a.customer.must(http.StatusForbidden, "GET", "/api/v1/satisfaction/stats?from="+from+"&to="+to, nil)
	a.admin.must(http.StatusUnprocessableEntity, "GET", "/api/v1/satisfaction/stats?from="+to+"&to="+from, nil)
}
