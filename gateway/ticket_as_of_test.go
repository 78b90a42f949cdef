package gateway_test

import (
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"helpdesk/infra/launcher"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// TestGetTicket_as_of opens, answers and resolves a ticket at known times
// and reads it back as it stood between the steps.
func TestGetTicket_as_of(t *testing.T) {
	start := time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC) // a Friday, 09:00 in Beijing
	clock := &fakeClock{now: start}
	srv := startTestSystem(t, testSystem{services: launcher.Services, clock: clock.Now}).srv
	exp := time.Now().Add(time.Hour)
	customer := token(t, "cust-asof", "customer", exp, key)
	other := token(t, "cust-other", "customer", exp, key)
	agent := token(t, "agent-asof", "agent", exp, key)
	auditor := token(t, "auditor-asof", "auditor", exp, key)

	step := func(at time.Duration, tok, path, body string) string {
		t.Helper()
		clock.Set(start.Add(at))
		r := do(t, srv, "POST", path, tok, body)
		if r.status != 200 && r.status != 201 {
			t.Fatalf("POST %s: %d %s", path, r.status, r.raw)
		}
		return r.header.Get("ETag")
	}
	opened := do(t, srv, "POST", "/api/v1/tickets", customer, `{"title":"打印机卡纸"}`)
	if opened.status != 201 {
		t.Fatalf("open: %d %s", opened.status, opened.raw)
	}
	id := opened.body["id"].(string)
	base := "/api/v1/tickets/" + id
	v1 := opened.header.Get("ETag")
	v2 := step(10*time.Minute, agent, base+"/replies", `{"body":"我们来看看"}`)
	v3 := step(20*time.Minute, agent, base+"/replies", `{"body":"可能是进纸器","internal":true}`)
	v4 := step(30*time.Minute, agent, base+"/resolve", `{"resolution":"换了进纸器"}`)
	clock.Set(start.Add(40 * time.Minute))

	beijing := time.FixedZone("CST", 8*3600)
	asOf := func(d time.Duration) string {
		return "?as_of=" + url.QueryEscape(start.Add(d).In(beijing).Format(time.RFC3339))
	}
	for _, tt := range []struct {
		name, token, query string
		status             string
		replies            int
		etag               string
	}{
		{"just opened", customer, asOf(5 * time.Minute), "new", 0, v1},
		{"at the moment of the reply (inclusive)", customer, asOf(10 * time.Minute), "new", 1, v2},
		{"internal note hidden from the customer", customer, asOf(25 * time.Minute), "new", 1, v3},
		{"internal note shown to staff", agent, asOf(25 * time.Minute), "new", 2, v3},
		{"resolved", agent, asOf(35 * time.Minute), "resolved", 2, v4},
		{"now, without as_of", agent, "", "resolved", 2, v4},
		{"auditors read the past, without internal notes", auditor, asOf(25 * time.Minute), "new", 1, v3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, srv, "GET", base+tt.query, tt.token, "")
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			replies, _ := r.body["replies"].([]any)
			if r.body["status"] != tt.status || len(replies) != tt.replies || r.header.Get("ETag") != tt.etag {
				t.Fatalf("status %v, %d replies, ETag %s; want %s, %d, %s: %s", r.body["status"], len(replies), r.header.Get("ETag"),
					tt.status, tt.replies, tt.etag, r.raw)
			}
			if want := strings.Trim(tt.etag, `"`); jsonNumber(r.body["version"]) != want {
				t.Fatalf("version %v, want %s", r.body["version"], want)
			}
		})
	}

	for _, tt := range []struct {
		name, token, query string
		status             int
	}{
		{"before it was opened", customer, asOf(-time.Minute), 404},
		{"in the future", agent, asOf(time.Hour), 400},
		{"malformed", agent, "?as_of=yesterday", 400},
		{"date without a time", agent, "?as_of=2026-11-20", 400},
		{"another customer's ticket", other, asOf(5 * time.Minute), 404},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, srv, "GET", base+tt.query, tt.token, "")
			isProblem(t, r, tt.status)
			if tt.status == 400 && !strings.Contains(r.raw, `"field":"as_of"`) {
				t.Fatalf("no error for as_of: %s", r.raw)
			}
		})
	}
}

func jsonNumber(v any) string {
	f, _ := v.(float64)
	return strconv.FormatFloat(f, 'f', -1, 64)
}
