package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTicketFlow drives a ticket through its whole life over HTTP: a customer
// opens it, an agent works it with a public reply and an internal note, the
// agent resolves it and the customer confirms, which closes it.
func TestTicketFlow(t *testing.T) {
	sys := startSystem(t, t.TempDir())
	a := newActors(t, sys)

	created := a.customer.must(http.StatusCreated, "POST", "/api/v1/tickets", map[string]any{
		"title": "打印机无法连接网络", "description": "办公室的打印机从昨天开始无法连接网络。", "priority": "P2", "channel": "web",
	})
	id := created.str("id")
	if got := created.Header.Get("Location"); got != "/api/v1/tickets/"+id {
		t.Errorf("Location = %q, want /api/v1/tickets/%s", got, id)
	}
	if created.str("status") != "new" || created.str("requester") != a.customerID {
		t.Errorf("created ticket = %s", created.Raw)
	}
	etag := created.Header.Get("ETag")
	if etag != fmt.Sprintf(`"%v"`, created.Body["version"]) {
		t.Errorf("ETag %q does not carry version %v", etag, created.Body["version"])
	}
	path := "/api/v1/tickets/" + id

	r := a.agent.must(http.StatusOK, "POST", path+"/assign", map[string]any{"assignee": a.agentID}, "If-Match", etag)
	if r.str("status") != "assigned" || r.str("assignee") != a.agentID {
		t.Fatalf("after assign: %s", r.Raw)
	}
	a.agent.must(http.StatusOK, "POST", path+"/start", map[string]any{})
	a.agent.must(http.StatusOK, "POST", path+"/replies", map[string]any{"body": "请重启打印机后再试。", "internal": false, "await_customer": true})
	r = a.agent.must(http.StatusOK, "POST", path+"/replies", map[string]any{"body": "内部备注：可能是DHCP问题", "internal": true})
	if r.str("status") != "waiting_on_customer" {
		t.Errorf("status after awaiting reply = %q", r.str("status"))
	}
	if n := len(r.Body["replies"].([]any)); n != 2 {
		t.Errorf("agent sees %d replies, want 2", n)
	}

	// The customer never sees internal notes, neither in the ticket nor in its history.
	mine := a.customer.must(http.StatusOK, "GET", path, nil)
	if strings.Contains(string(mine.Raw), "内部备注") || len(mine.Body["replies"].([]any)) != 1 {
		t.Errorf("customer view leaks the internal note: %s", mine.Raw)
	}
	hist := a.customer.must(http.StatusOK, "GET", path+"/events", nil)
	if strings.Contains(string(hist.Raw), "内部备注") {
		t.Errorf("customer history leaks the internal note: %s", hist.Raw)
	}
	a.customer.must(http.StatusOK, "POST", path+"/replies", map[string]any{"body": "重启后还是不行。", "internal": false})
	r = a.agent.must(http.StatusOK, "POST", path+"/resolve", map[string]any{"resolution": "更换了网线，打印机已恢复。"})
	if r.str("status") != "resolved" || r.str("resolution") == "" {
		t.Fatalf("after resolve: %s", r.Raw)
	}
	// Agents cannot close; the requester confirms.
	a.agent.must(http.StatusForbidden, "POST", path+"/close", map[string]any{})
	r = a.customer.must(http.StatusOK, "POST", path+"/close", map[string]any{})
	if r.str("status") != "closed" {
		t.Fatalf("after close: %s", r.Raw)
	}
	// An invalid transition is a conflict.
	a.agent.must(http.StatusConflict, "POST", path+"/resolve", map[string]any{"resolution": "again"})

	hist = a.agent.must(http.StatusOK, "GET", path+"/events", nil)
	var types []string
	for _, e := range hist.Body["events"].([]any) {
		types = append(types, e.(map[string]any)["type"].(string))
	}
	want := "ticket.opened ticket.assigned ticket.work_started ticket.replied ticket.replied ticket.replied ticket.resolved ticket.closed"
	if got := strings.Join(types, " "); got != want {
		t.Errorf("history = %s\nwant      %s", got, want)
	}

	// The list read model catches up within a second and is scoped per customer.
	eventually(t, time.Second, "closed ticket in the list", func() bool {
		l := a.agent.must(http.StatusOK, "GET", "/api/v1/tickets?status=closed&requester="+a.customerID, nil)
		items := l.Body["items"].([]any)
		return len(items) == 1 && items[0].(map[string]any)["id"] == id
	})
	if l := a.other.must(http.StatusOK, "GET", "/api/v1/tickets", nil); len(l.Body["items"].([]any)) != 0 {
		t.Errorf("another customer lists someone else's tickets: %s", l.Raw)
	}
	a.other.must(http.StatusNotFound, "GET", path, nil)
	a.other.must(http.StatusNotFound, "GET", path+"/events", nil)
	a.other.must(http.StatusNotFound, "POST", path+"/replies", map[string]any{"body": "hi"})
}

// TestConcurrentUpdate_one_writer_wins sends two commands with the same
// If-Match version at once: exactly one succeeds, the other gets 412.
func TestConcurrentUpdate_one_writer_wins(t *testing.T) {
	sys := startSystem(t, t.TempDir())
	a := newActors(t, sys)
	for round := 0; round < 5; round++ {
		created := a.customer.must(http.StatusCreated, "POST", "/api/v1/tickets", map[string]any{"title": fmt.Sprintf("并发 %d", round)})
		path, etag := "/api/v1/tickets/"+created.str("id"), created.Header.Get("ETag")
		statuses := make(chan int, 2)
		for _, body := range []string{"第一个回复", "第二个回复"} {
			go func() {
				statuses <- a.agent.do("POST", path+"/replies", map[string]any{"body": body}, "If-Match", etag).Status
			}()
		}
		got := map[int]int{<-statuses: 1}
		got[<-statuses]++
		if got[http.StatusOK] != 1 || got[http.StatusPreconditionFailed] != 1 {
			t.Fatalf("round %d: statuses %v, want one 200 and one 412", round, got)
		}
		if n := len(a.agent.must(http.StatusOK, "GET", path, nil).Body["replies"].([]any)); n != 1 {
			t.Fatalf("round %d: %d replies stored, want 1", round, n)
		}
	}
}

// TestIdempotentCreate retries a creation with the same Idempotency-Key.
func TestIdempotentCreate(t *testing.T) {
	sys := startSystem(t, t.TempDir())
	a := newActors(t, sys)
	body := map[string]any{"title": "重复提交"}
	first := a.customer.must(http.StatusCreated, "POST", "/api/v1/tickets", body, "Idempotency-Key", "key-1")
	second := a.customer.do("POST", "/api/v1/tickets", body, "Idempotency-Key", "key-1")
	if second.Status/100 != 2 || second.str("id") != first.str("id") {
		t.Fatalf("retry: status %d id %q, want the first ticket %q", second.Status, second.str("id"), first.str("id"))
	}
	// The same key from another user is a different request.
	other := a.other.must(http.StatusCreated, "POST", "/api/v1/tickets", body, "Idempotency-Key", "key-1")
	if other.str("id") == first.str("id") {
		t.Fatal("idempotency keys of different users collide")
	}
	// A retried command changes nothing the second time.
	path := "/api/v1/tickets/" + first.str("id")
	a.agent.must(http.StatusOK, "POST", path+"/replies", map[string]any{"body": "一次"}, "Idempotency-Key", "reply-1")
	a.agent.must(http.StatusOK, "POST", path+"/replies", map[string]any{"body": "一次"}, "Idempotency-Key", "reply-1")
	if n := len(a.agent.must(http.StatusOK, "GET", path, nil).Body["replies"].([]any)); n != 1 {
		t.Fatalf("%d replies after a retried reply, want 1", n)
	}
}
