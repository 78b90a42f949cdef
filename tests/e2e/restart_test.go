package e2e_test

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// TestRestart_keeps_data stops the system and starts it again on the same
// data dir: tickets, accounts, passwords and the list read model survive,
// and the admin password is not generated again.
func TestRestart_keeps_data(t *testing.T) {
	dir := t.TempDir()
	sys := startSystem(t, dir)
	a := newActors(t, sys)
	created := a.customer.must(http.StatusCreated, "POST", "/api/v1/tickets", map[string]any{"title": "重启之后还在吗"})
	id := created.str("id")
	a.agent.must(http.StatusOK, "POST", "/api/v1/tickets/"+id+"/assign", map[string]any{"assignee": a.agentID})
	if err := sys.Stop(context.Background()); err != nil {
		t.Fatalf("stop: %v", err)
	}

	again := startSystem(t, dir)
	if again.AdminPassword != "" {
		t.Error("second start created the admin account again")
	}
	agent := newClient(t, again.URL).login(a.agent.tokenOwner(), userPassword)
	got := agent.must(http.StatusOK, "GET", "/api/v1/tickets/"+id, nil)
	if got.str("status") != "assigned" || got.str("title") != "重启之后还在吗" {
		t.Fatalf("after restart: %s", got.Raw)
	}
	eventually(t, 2*time.Second, "ticket in the list after restart", func() bool {
		l := agent.must(http.StatusOK, "GET", "/api/v1/tickets?assignee="+a.agentID, nil)
		items := l.Body["items"].([]any)
		return len(items) == 1 && items[0].(map[string]any)["id"] == id
	})
	// New commands continue the same history.
	agent.must(http.StatusOK, "POST", "/api/v1/tickets/"+id+"/start", map[string]any{}, "If-Match", got.Header.Get("ETag"))
}
