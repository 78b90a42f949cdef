package e2e_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestBadInput sends malformed and invalid requests through the whole
// system: each gets a problem+json answer with the right status, never a
// 500, and nothing is written.
func TestBadInput(t *testing.T) {
	sys := startSystem(t, t.TempDir())
	a := newActors(t, sys)
	created := a.customer.must(http.StatusCreated, "POST", "/api/v1/tickets", map[string]any{"title": "正常工单"})
	path := "/api/v1/tickets/" + created.str("id")
	stale := created.Header.Get("ETag")
	etag := a.customer.must(http.StatusOK, "POST", path+"/replies", map[string]any{"body": "补充说明"}).Header.Get("ETag")

	tests := []struct {
		name    string
		who     *client
		method  string
		path    string
		body    any
		headers []string
		status  int
	}{
		{"unknown field", a.customer, "POST", "/api/v1/tickets", `{"title":"x","colour":"red"}`, nil, 400},
		{"wrong type", a.customer, "POST", "/api/v1/tickets", `{"title":42}`, nil, 400},
		{"not json", a.customer, "POST", "/api/v1/tickets", `{"title":`, nil, 400},
		{"bad utf-8", a.customer, "POST", "/api/v1/tickets", []byte("{\"title\":\"\xff\xfe\"}"), nil, 400},
		{"oversized body", a.customer, "POST", "/api/v1/tickets", `{"title":"x","description":"` + strings.Repeat("长", 1<<20) + `"}`, nil, 413},
		{"title too long", a.customer, "POST", "/api/v1/tickets", map[string]any{"title": strings.Repeat("长", 201)}, nil, 422},
		{"description too long", a.customer, "POST", "/api/v1/tickets", map[string]any{"title": "x", "description": strings.Repeat("d", 20001)}, nil, 422},
		{"bad priority", a.customer, "POST", "/api/v1/tickets", map[string]any{"title": "x", "priority": "P9"}, nil, 422},
		{"missing title", a.customer, "POST", "/api/v1/tickets", map[string]any{"description": "x"}, nil, 422},
		{"no token", newClient(t, sys.URL), "GET", "/api/v1/tickets", nil, nil, 401},
		{"unknown ticket", a.agent, "GET", "/api/v1/tickets/0190c0de-0000-7000-8000-000000000000", nil, nil, 404},
		{"not a ticket id", a.agent, "GET", "/api/v1/tickets/..%2F*", nil, nil, 404},
		{"stale If-Match", a.agent, "POST", path + "/start", map[string]any{}, []string{"If-Match", stale}, 412},
		{"malformed If-Match", a.agent, "POST", path + "/start", map[string]any{}, []string{"If-Match", "soon"}, 400},
		{"invalid transition", a.agent, "POST", path + "/start", map[string]any{}, []string{"If-Match", etag}, 409},
		{"customer assigns", a.customer, "POST", path + "/assign", map[string]any{"assignee": a.agentID}, nil, 403},
		{"open for an unknown requester", a.agent, "POST", "/api/v1/tickets", map[string]any{"title": "代客户提交", "requester": "0190c0de-0000-7000-8000-000000000009"}, nil, 422},
		{"assign to a customer", a.agent, "POST", path + "/assign", map[string]any{"assignee": a.otherID}, nil, 422},
		{"bad list limit", a.agent, "GET", "/api/v1/tickets?limit=0", nil, nil, 422},
		{"bad list status", a.agent, "GET", "/api/v1/tickets?status=lost", nil, nil, 422},
		{"bad cursor", a.agent, "GET", "/api/v1/tickets?cursor=bm90LWEtY3Vyc29y", nil, nil, 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.who.do(tt.method, tt.path, tt.body, tt.headers...)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Raw)
			}
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Errorf("Content-Type %q, want application/problem+json", ct)
			}
		})
	}
	// Nothing above changed the ticket.
	if got := a.agent.must(http.StatusOK, "GET", path, nil); got.Header.Get("ETag") != etag || got.str("status") != "new" {
		t.Errorf("ticket changed by rejected requests: %s", got.Raw)
	}
}
