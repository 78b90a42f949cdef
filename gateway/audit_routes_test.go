package gateway_test

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// auditPage is the body of GET /api/v1/audit/events.
type auditPage struct {
	Items []struct {
		ID            string          `json:"id"`
		Type          string          `json:"type"`
		AggregateID   string          `json:"aggregate_id"`
		AggregateType string          `json:"aggregate_type"`
		Actor         string          `json:"actor"`
		OccurredAt    time.Time       `json:"occurred_at"`
		Data          json.RawMessage `json:"data"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func auditGet(t *testing.T, srv *httptest.Server, tok, query string) (result, auditPage) {
	t.Helper()
	r := do(t, srv, "GET", "/api/v1/audit/events?"+query, tok, "")
	var page auditPage
	if r.status == 200 {
		if err := json.Unmarshal([]byte(r.raw), &page); err != nil {
			t.Fatalf("page: %v: %s", err, r.raw)
		}
	}
	return r, page
}

// TestAuditEvents reads the audit trail over HTTP after real requests: an
// account created by the admin, a ticket opened by a customer and answered
// by an agent.
func TestAuditEvents(t *testing.T) {
	srv := newGateway(t, false)
	admin := login(t, srv, "admin", adminPassword)
	if r := do(t, srv, "POST", "/api/v1/users", admin, `{"username":"zhao.lei","display_name":"Zhao Lei","password":"Audit-Passw0rd-long!","role":"agent"}`); r.status != 201 {
		t.Fatalf("create user: %d %s", r.status, r.raw)
	}
	customer := token(t, "cust-audit", "customer", time.Now().Add(time.Hour), key)
	agent := token(t, "agent-audit", "agent", time.Now().Add(time.Hour), key)
	auditor := token(t, "auditor-1", "auditor", time.Now().Add(time.Hour), key)
	opened := do(t, srv, "POST", "/api/v1/tickets", customer, `{"title":"无法登录 VPN"}`)
	if opened.status != 201 {
		t.Fatalf("open: %d %s", opened.status, opened.raw)
	}
	ticketID := opened.body["id"].(string)
	if r := do(t, srv, "POST", "/api/v1/tickets/"+ticketID+"/replies", agent, `{"body":"请重启客户端"}`); r.status != 200 {
		t.Fatalf("reply: %d %s", r.status, r.raw)
	}
	const note, caller = "内部备注：客户是 VIP", "13812345678"
	if r := do(t, srv, "POST", "/api/v1/tickets/"+ticketID+"/replies", agent, `{"body":"`+note+`","internal":true}`); r.status != 200 {
		t.Fatalf("internal note: %d %s", r.status, r.raw)
	}
	if r := do(t, srv, "POST", "/api/v1/calls", admin, `{"call_id":"audit-call-1","caller":"`+caller+`","hotline":"4008001234"}`); r.status >= 300 {
		t.Fatalf("offer a call: %d %s", r.status, r.raw)
	}

	r, all := auditGet(t, srv, auditor, "")
	if r.status != 200 {
		t.Fatalf("audit events: %d %s", r.status, r.raw)
	}
	registered := 0
	for i, it := range all.Items {
		if i > 0 && it.OccurredAt.Before(all.Items[i-1].OccurredAt) {
			t.Errorf("item %d (%s) is older than the one before it", i, it.Type)
		}
		if it.Type == "user.registered" && strings.Contains(string(it.Data), `"username":"zhao.lei"`) {
			registered++
			if !strings.Contains(string(it.Data), `"password_hash":"[redacted]"`) {
				t.Errorf("password hash not redacted: %s", it.Data)
			}
		}
	}
	if registered != 1 || all.NextCursor != "" {
		t.Fatalf("want zhao.lei's registration once and one page, got %d, next %q: %s", registered, all.NextCursor, r.raw)
	}
	if strings.Contains(r.raw, "$argon2") || strings.Contains(r.raw, "$2a$") {
		t.Fatalf("a password hash left the event store: %s", r.raw)
	}

	t.Run("the auditor sees that a note was written and a call came, not the note or the number", func(t *testing.T) {
		if strings.Contains(r.raw, note) || strings.Contains(r.raw, caller) {
			t.Fatalf("the note's text or the caller's full number reached the auditor: %s", r.raw)
		}
		notes, calls := 0, 0
		for _, it := range all.Items {
			switch it.Type {
			case "ticket.replied":
				if strings.Contains(string(it.Data), `"internal":true`) {
					notes++
					if it.Actor != "agent-audit" || it.AggregateID != ticketID || it.OccurredAt.IsZero() ||
						!strings.Contains(string(it.Data), `"body":"[internal note]"`) || !strings.Contains(string(it.Data), `"author":"agent-audit"`) {
						t.Errorf("internal note as the auditor sees it: %+v %s", it, it.Data)
					}
				} else if !strings.Contains(string(it.Data), `"body":"请重启客户端"`) {
					t.Errorf("a public reply lost its text: %s", it.Data)
				}
			case "hotline.call_received":
				calls++
				if !strings.Contains(string(it.Data), `"caller":"138****5678"`) {
					t.Errorf("caller not masked: %s", it.Data)
				}
			}
		}
		if notes != 1 || calls != 1 {
			t.Fatalf("want the internal note and the call once each, got %d and %d: %s", notes, calls, r.raw)
		}
	})

	t.Run("filters", func(t *testing.T) {
		for _, tt := range []struct {
			query string
			want  []string
		}{
			{"aggregate=ticket/" + ticketID, []string{"ticket.opened", "ticket.replied", "ticket.replied"}},
			{"service=ticket&actor=agent-audit", []string{"ticket.replied", "ticket.replied"}},
			{"type=ticket.opened,ticket.replied&aggregate=" + ticketID, []string{"ticket.opened", "ticket.replied", "ticket.replied"}},
			{"type=ticket.*&actor=cust-audit", []string{"ticket.opened"}},
			{"service=ticket&from=" + url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339)), nil},
			{"service=ticket&to=" + url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339)), nil},
		} {
			r, page := auditGet(t, srv, auditor, tt.query)
			if r.status != 200 {
				t.Fatalf("%s: %d %s", tt.query, r.status, r.raw)
			}
			var got []string
			for _, it := range page.Items {
				got = append(got, it.Type)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("%s: got %v, want %v", tt.query, got, tt.want)
			}
		}
	})

	t.Run("pages of one give every event once", func(t *testing.T) {
		seen := map[string]bool{}
		query := "limit=1"
		for pages := 0; ; pages++ {
			if pages > len(all.Items) {
				t.Fatal("paging does not end")
			}
			r, page := auditGet(t, srv, auditor, query)
			if r.status != 200 || len(page.Items) != 1 {
				t.Fatalf("page %d: %d %s", pages, r.status, r.raw)
			}
			if seen[page.Items[0].ID] {
				t.Fatalf("event %s came twice", page.Items[0].ID)
			}
			seen[page.Items[0].ID] = true
			if page.NextCursor == "" {
				break
			}
			query = "limit=1&cursor=" + url.QueryEscape(page.NextCursor)
		}
		for _, it := range all.Items {
			if !seen[it.ID] {
				t.Errorf("event %s (%s) missing from the pages", it.ID, it.Type)
			}
		}
	})

	t.Run("bad queries are 400 with the field", func(t *testing.T) {
		_, first := auditGet(t, srv, auditor, "limit=1")
		for _, tt := range []struct{ query, field string }{
			{"service=billing", "service"},
			{"aggregate=ticket/a.b", "aggregate"},
			{"type=ticket.>", "type"},
			{"from=yesterday", "from"},
			{"to=2026-11-20", "to"},
			{"from=2026-11-20T10:00:00Z&to=2026-11-20T09:00:00Z", "to"},
			{"cursor=not-a-cursor", "cursor"},
			{"service=ticket&cursor=" + url.QueryEscape(first.NextCursor), "cursor"},
			{"limit=ten", "limit"},
		} {
			r, _ := auditGet(t, srv, auditor, tt.query)
			isProblem(t, r, 400)
			if !strings.Contains(r.raw, `"field":"`+tt.field+`"`) {
				t.Errorf("%s: no error for %s: %s", tt.query, tt.field, r.raw)
			}
		}
		r, _ := auditGet(t, srv, auditor, "limit=5000")
		isProblem(t, r, 422)
	})

	t.Run("auditors only", func(t *testing.T) {
		for _, tok := range []string{admin, agent, customer, token(t, "sup-1", "supervisor", time.Now().Add(time.Hour), key)} {
			r, _ := auditGet(t, srv, tok, "")
			isProblem(t, r, 403)
		}
		r, _ := auditGet(t, srv, "", "")
		isProblem(t, r, 401)
	})
}
