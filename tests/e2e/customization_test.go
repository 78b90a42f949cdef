package e2e_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestCustomization_from_submission_to_acceptance takes a request raised
// from a ticket through assessment, an estimate sent back and estimated
// again, approval, scheduling, development, testing, a delivery sent back
// for rework and delivered again, to acceptance; every step with If-Match.
// Wrong roles, wrong statuses and stale versions are refused, another
// customer sees nothing, and the board, history and figures follow.
func TestCustomization_from_submission_to_acceptance(t *testing.T) {
	sys := startSystem(t, t.TempDir())
	a := newActors(t, sys)
	tk := a.customer.must(http.StatusCreated, "POST", "/api/v1/tickets", map[string]any{"title": "成绩单无法导出", "description": "需要导出 Excel"})
	a.other.must(http.StatusUnprocessableEntity, "POST", "/api/v1/customization-requests", map[string]any{
		"kind": "new_feature", "title": "别人的工单", "ticket_ids": []string{tk.str("id")}})
	r := a.customer.must(http.StatusCreated, "POST", "/api/v1/customization-requests", map[string]any{
		"kind": "new_feature", "title": "成绩单导出为 Excel", "description": "按班级导出", "justification": "教务处每月统计需要",
		"desired_date": "2027-01-15", "ticket_ids": []string{tk.str("id")}})
	id := r.str("id")
	base := "/api/v1/customization-requests/" + id
	if r.str("status") != "submitted" || r.Header.Get("Location") != base || r.Header.Get("ETag") != `"`+itoa(r.Body["version"])+`"` {
		t.Fatalf("submitted: %s %v", r.Raw, r.Header)
	}
	a.customer.must(http.StatusUnprocessableEntity, "POST", "/api/v1/customization-requests", map[string]any{"kind": "wish", "title": "x"})
	a.other.must(http.StatusNotFound, "GET", base, nil)

	etagOf := func(resp response) string { return resp.Header.Get("ETag") }
	step := func(who *client, name string, status int, body map[string]any, ifMatch string) response {
		t.Helper()
		if body == nil {
			body = map[string]any{}
		}
		return who.must(status, "POST", base+"/"+name, body, "If-Match", ifMatch)
	}
	cur := etagOf(r)
	a.customer.must(http.StatusForbidden, "POST", base+"/assess", map[string]any{})
	a.customer.must(http.StatusConflict, "POST", base+"/approve", map[string]any{}) // nothing to approve yet
	res := step(a.agent, "assess", http.StatusOK, map[string]any{"comment": "开始评估"}, cur)
	step(a.agent, "estimate", http.StatusPreconditionFailed, map[string]any{"effort_days": 5, "cost": 8000,
		"planned_start": "2026-12-01", "planned_end": "2026-12-10"}, cur) // stale If-Match
	a.agent.must(http.StatusUnprocessableEntity, "POST", base+"/estimate", map[string]any{"effort_days": 0, "cost": 1,
		"planned_start": "2026-12-01", "planned_end": "2026-12-10"})
	res = step(a.agent, "estimate", http.StatusOK, map[string]any{"effort_days": 5, "cost": 8000,
		"planned_start": "2026-12-01", "planned_end": "2026-12-10"}, etagOf(res))
	if res.str("assignee") != a.agentID || res.Body["estimate"].(map[string]any)["cost"] != 8000.0 {
		t.Fatalf("estimated: %s", res.Raw)
	}
	res = step(a.customer, "request-reestimate", http.StatusOK, map[string]any{"comment": "太贵了"}, etagOf(res))
	res = step(a.agent, "estimate", http.StatusOK, map[string]any{"effort_days": 4, "cost": 6000,
		"planned_start": "2026-12-01", "planned_end": "2026-12-08"}, etagOf(res))
	a.agent.must(http.StatusForbidden, "POST", base+"/approve", map[string]any{})
	res = step(a.customer, "approve", http.StatusOK, nil, etagOf(res))
	res = step(a.agent, "schedule", http.StatusOK, map[string]any{"milestone": "2026年12月版本"}, etagOf(res))
	res = step(a.agent, "start-development", http.StatusOK, nil, etagOf(res))
	a.customer.must(http.StatusConflict, "POST", base+"/cancel", map[string]any{}) // too late once development started
	res = step(a.agent, "start-testing", http.StatusOK, nil, etagOf(res))
	res = step(a.agent, "deliver", http.StatusOK, nil, etagOf(res))
	a.customer.must(http.StatusUnprocessableEntity, "POST", base+"/rework", map[string]any{"reason": ""})
	res = step(a.customer, "rework", http.StatusOK, map[string]any{"reason": "缺少班级筛选"}, etagOf(res))
	if res.str("status") != "in_development" || res.Body["rework_count"] != 1.0 {
		t.Fatalf("after rework: %s", res.Raw)
	}
	res = step(a.agent, "start-testing", http.StatusOK, nil, etagOf(res))
	res = step(a.agent, "deliver", http.StatusOK, nil, etagOf(res))
	res = step(a.customer, "accept", http.StatusOK, map[string]any{"comment": "已验收"}, etagOf(res))
	if res.str("status") != "accepted" || len(res.Body["steps"].([]any)) != 0 {
		t.Fatalf("accepted: %s", res.Raw)
	}

	history := a.customer.must(http.StatusOK, "GET", base+"/events", nil)
	evs := history.Body["events"].([]any)
	if len(evs) != 14 || evs[0].(map[string]any)["type"] != "customization.submitted" || evs[13].(map[string]any)["type"] != "customization.accepted" {
		t.Fatalf("history: %d events: %s", len(evs), history.Raw)
	}

	// A second request, cancelled; the board, lists and figures follow.
	other := a.other.must(http.StatusCreated, "POST", "/api/v1/customization-requests", map[string]any{"kind": "ui_optimization", "title": "首页字体太小"})
	a.other.must(http.StatusOK, "POST", "/api/v1/customization-requests/"+other.str("id")+"/cancel", map[string]any{"comment": "不需要了"})
	eventually(t, 10*time.Second, "the board", func() bool {
		board := a.agent.must(http.StatusOK, "GET", "/api/v1/customization-requests/board", nil)
		counts := map[string]float64{}
		for _, col := range board.Body["columns"].([]any) {
			c := col.(map[string]any)
			counts[c["status"].(string)] = c["count"].(float64)
		}
		return counts["accepted"] == 1 && counts["cancelled"] == 1 && len(board.Body["columns"].([]any)) == 11
	})
	if mine := items(a.customer.must(http.StatusOK, "GET", "/api/v1/customization-requests", nil)); len(mine) != 1 || mine[0]["id"] != id {
		t.Fatalf("the customer's list: %v", mine)
	}
	if all := items(a.agent.must(http.StatusOK, "GET", "/api/v1/customization-requests?status=accepted", nil)); len(all) != 1 {
		t.Fatalf("accepted requests: %v", all)
	}
	stats := a.admin.must(http.StatusOK, "GET", "/api/v1/customization-requests/stats", nil)
	total := stats.Body["total"].(map[string]any)
	if total["submitted"] != 2.0 || total["accepted"] != 1.0 || total["lead_time_days"].(float64) <= 0 ||
		len(stats.Body["board"].(map[string]any)["columns"].([]any)) != 11 {
		t.Fatalf("figures: %s", stats.Raw)
	}
	a.customer.must(http.StatusForbidden, "GET", "/api/v1/customization-requests/stats", nil)
}

func itoa(v any) string {
	f, _ := v.(float64)
	return strconv.FormatInt(int64(f), 10)
}
