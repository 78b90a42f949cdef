package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"helpdesk/contracts/authz"
	"helpdesk/gateway"
	"helpdesk/infra/launcher"
)

// matrixUser is a signed-in user of the matrix test.
type matrixUser struct {
	role, id, token string
	// ticket and request are a ticket and a custom-development request the
	// user may act on: their own, or (for the auditor) a customer's.
	ticket, request string
}

// matrixSystem is the real system, in process, with a user per role.
type matrixSystem struct {
	srv   *httptest.Server
	gw    *gateway.Server
	users map[string]*matrixUser // by role
	// other is a second customer, victim a customer the user
	// administration routes act on.
	other, victim *matrixUser
	pbxKey        string
	survey        string // customer's survey
	article       string
	category      string
	agentNote     string // the text of an internal note on the customer's ticket
}

// startMatrixSystem runs every service and the gateway on an embedded NATS
// server and real SQLite, and signs in one user per role.
func startMatrixSystem(t *testing.T) *matrixSystem {
	t.Helper()
	sys := startTestSystem(t, testSystem{services: launcher.Services})
	m := &matrixSystem{srv: sys.srv, gw: sys.gw, users: map[string]*matrixUser{}}
	admin := &matrixUser{role: authz.Admin, token: m.signIn(t, "admin", adminPassword)}
	admin.id = m.must(t, admin, 200, "GET", "/api/v1/me", "")["id"].(string)
	m.users[authz.Admin] = admin
	for _, role := range []string{authz.Customer, authz.Agent, authz.Supervisor, authz.Auditor} {
		m.users[role] = m.createUser(t, role, role)
	}
	m.other = m.createUser(t, authz.Customer, "other")
	m.victim = m.createUser(t, authz.Customer, "victim")
	return m
}

// createUser creates an account as the admin and signs it in.
func (m *matrixSystem) createUser(t *testing.T, role, name string) *matrixUser {
	t.Helper()
	body := fmt.Sprintf(`{"username":"matrix-%s","password":"Matrix-Passw0rd!","role":%q,"display_name":"矩阵 %s"}`, name, role, name)
	r := do(t, m.srv, "POST", "/api/v1/users", m.users[authz.Admin].token, body)
	if r.status != http.StatusCreated {
		t.Fatalf("create a %s: %d %s (is the role known to the identity service?)", role, r.status, r.raw)
	}
	return &matrixUser{role: role, id: r.body["id"].(string), token: m.signIn(t, "matrix-"+name, "Matrix-Passw0rd!")}
}

// signIn logs in; a session that must change its password first changes it.
func (m *matrixSystem) signIn(t *testing.T, username, password string) string {
	t.Helper()
	r := do(t, m.srv, "POST", "/api/v1/auth/login", "", fmt.Sprintf(`{"username":%q,"password":%q}`, username, password))
	if r.status != http.StatusOK {
		t.Fatalf("login %s: %d %s", username, r.status, r.raw)
	}
	tok, _ := r.body["access_token"].(string)
	if must, _ := r.body["password_change_required"].(bool); must {
		fresh := password + "-2"
		c := do(t, m.srv, "POST", "/api/v1/auth/password", tok, fmt.Sprintf(`{"current_password":%q,"new_password":%q}`, password, fresh))
		if c.status != http.StatusOK {
			t.Fatalf("change the password of %s: %d %s", username, c.status, c.raw)
		}
		return m.signIn(t, username, fresh)
	}
	return tok
}

// must sends a request as u and fails unless it answers status.
func (m *matrixSystem) must(t *testing.T, u *matrixUser, status int, method, path, body string, headers ...string) map[string]any {
	t.Helper()
	r := do(t, m.srv, method, path, u.token, body, headers...)
	if r.status != status {
		t.Fatalf("%s %s as %s: %d, want %d: %s", method, path, u.role, r.status, status, r.raw)
	}
	return r.body
}

// fixtures makes the resources the walk acts on: each business user's own
// ticket and custom-development request, an internal note, a resolved
// ticket's survey, a published article in a category, and a PBX key.
func (m *matrixSystem) fixtures(t *testing.T) {
	t.Helper()
	customer, agent, supervisor := m.users[authz.Customer], m.users[authz.Agent], m.users[authz.Supervisor]
	for _, u := range []*matrixUser{customer, agent, supervisor, m.users[authz.Admin], m.other} {
		u.ticket = m.must(t, u, 201, "POST", "/api/v1/tickets", fmt.Sprintf(`{"title":"%s 的工单"}`, u.role))["id"].(string)
		u.request = m.must(t, u, 201, "POST", "/api/v1/customization-requests",
			`{"kind":"new_feature","title":"导出报表","description":"按月导出","justification":"统计需要"}`)["id"].(string)
	}
	m.users[authz.Auditor].ticket, m.users[authz.Auditor].request = customer.ticket, customer.request

	base := "/api/v1/tickets/" + customer.ticket
	m.must(t, agent, 200, "POST", base+"/assign", fmt.Sprintf(`{"assignee":%q}`, agent.id))
	m.must(t, agent, 200, "POST", base+"/start", "{}")
	m.agentNote = "内部备注：客户是 VIP"
	m.must(t, agent, 200, "POST", base+"/replies", fmt.Sprintf(`{"body":%q,"internal":true}`, m.agentNote))
	m.must(t, agent, 200, "POST", base+"/resolve", `{"resolution":"已处理"}`)
	deadline := time.Now().Add(10 * time.Second)
	for m.survey == "" {
		if time.Now().After(deadline) {
			t.Fatal("no survey for the resolved ticket within 10s")
		}
		items, _ := m.must(t, customer, 200, "GET", "/api/v1/surveys", "")["items"].([]any)
		for _, it := range items {
			if s := it.(map[string]any); s["ticket_id"] == customer.ticket {
				m.survey = s["id"].(string)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}

	m.category = m.must(t, supervisor, 201, "POST", "/api/v1/kb/categories", `{"name":"账号"}`)["id"].(string)
	m.article = m.must(t, agent, 201, "POST", "/api/v1/kb/articles",
		fmt.Sprintf(`{"title":"重置密码","body":"在登录页点击忘记密码。","category_id":%q}`, m.category))["id"].(string)
	m.must(t, supervisor, 200, "POST", "/api/v1/kb/articles/"+m.article+"/publish", "{}")
	m.pbxKey = m.must(t, m.users[authz.Admin], 201, "POST", "/api/v1/hotline/pbx-keys", `{"name":"矩阵 PBX"}`)["key"].(string)
}

// unknownID names nothing.
const unknownID = "0190c0de-0000-7000-8000-000000000000"

// concrete fills the route's parameters for a caller (nil: anonymous or
// the PBX): their own resources where ownership matters.
func (m *matrixSystem) concrete(rt gateway.Route, u *matrixUser) string {
	owner := u
	if owner == nil {
		owner = m.users[authz.Agent]
	}
	var out []string
	parts := strings.Split(rt.Path, "/")
	for i, p := range parts {
		if !strings.HasPrefix(p, ":") {
			out = append(out, p)
			continue
		}
		prev := parts[i-1]
		switch {
		case prev == "tickets":
			p = owner.ticket
		case prev == "customization-requests":
			p = owner.request
		case prev == "articles":
			p = m.article
		case prev == "categories":
			p = m.category
		case prev == "surveys":
			p = m.survey
		case prev == "users" && rt.Method == http.MethodGet:
			p = owner.id
		case prev == "users":
			p = m.victim.id // administration acts on an account nobody else uses
		case prev == "agents":
			p = owner.id
		case prev == "calls":
			p = "matrix-call-unknown"
		default: // PBX keys, follow-ups, and whatever comes: nothing to act on
			p = unknownID
		}
		out = append(out, p)
	}
	return strings.Join(out, "/")
}

// TestAuthorizationMatrix walks every /api/v1 route the gateway registers
// with every role, the PBX and no credentials, over HTTP against the real
// services: a role the matrix denies gets 403 (no credentials 401) before
// any service acts; a role it allows gets anything else. It also fails for
// a route without an operation in the matrix.
func TestAuthorizationMatrix(t *testing.T) {
	m := startMatrixSystem(t)
	m.fixtures(t)

	routes := m.gw.Routes()
	if len(routes) < 60 {
		t.Fatalf("only %d routes listed: %v", len(routes), routes)
	}
	// Signing out ends the session: walk it last.
	slices.SortStableFunc(routes, func(a, b gateway.Route) int {
		return boolInt(a.Operation == authz.AuthLogout) - boolInt(b.Operation == authz.AuthLogout)
	})
	roles := []string{authz.Customer, authz.Agent, authz.Supervisor, authz.Admin, authz.Auditor}
	checks := 0
	for _, rt := range routes {
		rule, ok := authz.Lookup(rt.Operation)
		if !ok {
			t.Errorf("%s %s has no operation in the authorization matrix: register it with handle and a contracts/authz operation", rt.Method, rt.Path)
			continue
		}
		if rule.Service {
			t.Errorf("%s %s names the service rule %s; routes need route operations", rt.Method, rt.Path, rt.Operation)
			continue
		}
		variants := []string{""}
		if rt.Operation == authz.TicketRead {
			variants = append(variants, "?as_of="+time.Now().UTC().Format(time.RFC3339Nano))
		}
		for _, query := range variants {
			op := rt.Operation
			if query != "" {
				op = authz.TicketHistoryRead
			}
			for _, role := range roles {
				u := m.users[role]
				m.check(t, rt, op, role, m.concrete(rt, u)+query, u.token)
			}
			m.check(t, rt, op, authz.PBX, m.concrete(rt, nil)+query, "", "X-API-Key", m.pbxKey)
			m.check(t, rt, op, "", m.concrete(rt, nil)+query, "")
			checks += len(roles) + 2
		}
	}
	t.Logf("%d routes, %d requests", len(routes), checks)
}

// check sends the route's request as role and asserts the matrix's answer.
func (m *matrixSystem) check(t *testing.T, rt gateway.Route, op authz.Operation, role, path, token string, headers ...string) {
	t.Helper()
	body := ""
	if rt.Method != http.MethodGet && rt.Method != http.MethodDelete {
		body = "{}"
	}
	r := do(t, m.srv, rt.Method, path, token, body, headers...)
	who := role
	if who == "" {
		who = "anonymous"
	}
	allowed := authz.Allowed(role, op)
	switch {
	case allowed && (r.status == http.StatusUnauthorized || r.status == http.StatusForbidden):
		t.Errorf("%s %s (%s) as %s: %d, want allowed: %s", rt.Method, path, op, who, r.status, r.raw)
	case allowed:
	case role == "" && r.status != http.StatusUnauthorized:
		t.Errorf("%s %s (%s) without credentials: %d, want 401: %s", rt.Method, path, op, r.status, r.raw)
	case role == authz.PBX && r.status != http.StatusForbidden && r.status != http.StatusUnauthorized:
		// A PBX key is no bearer token: user-only routes answer 401.
		t.Errorf("%s %s (%s) as the PBX: %d, want 401 or 403: %s", rt.Method, path, op, r.status, r.raw)
	case role != "" && role != authz.PBX && r.status != http.StatusForbidden:
		t.Errorf("%s %s (%s) as %s: %d, want 403: %s", rt.Method, path, op, who, r.status, r.raw)
	case role != "" && role != authz.PBX && !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json"):
		t.Errorf("%s %s as %s: 403 without a problem document", rt.Method, path, who)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestAuthorizationMatrix_ownership checks over HTTP what the services
// re-check inside an allowed operation: a customer reaches only their own
// tickets, surveys and requests (others are "not found"), and internal
// notes never reach a customer or an auditor.
func TestAuthorizationMatrix_ownership(t *testing.T) {
	m := startMatrixSystem(t)
	m.fixtures(t)
	customer, other, auditor, agent := m.users[authz.Customer], m.other, m.users[authz.Auditor], m.users[authz.Agent]

	notFound := []struct{ name, method, path, body string }{
		{"another's ticket", "GET", "/api/v1/tickets/" + customer.ticket, ""},
		{"another's ticket history", "GET", "/api/v1/tickets/" + customer.ticket + "/events", ""},
		{"a reply to another's ticket", "POST", "/api/v1/tickets/" + customer.ticket + "/replies", `{"body":"我也来说两句"}`},
		{"reopening another's ticket", "POST", "/api/v1/tickets/" + customer.ticket + "/reopen", `{"reason":"没解决"}`},
		{"another's survey", "GET", "/api/v1/surveys/" + m.survey, ""},
		{"answering another's survey", "POST", "/api/v1/surveys/" + m.survey + "/response", `{"score":1}`},
		{"another's request", "GET", "/api/v1/customization-requests/" + customer.request, ""},
		{"another's request history", "GET", "/api/v1/customization-requests/" + customer.request + "/events", ""},
	}
	for _, tt := range notFound {
		t.Run(tt.name, func(t *testing.T) {
			isProblem(t, do(t, m.srv, tt.method, tt.path, other.token, tt.body), http.StatusNotFound)
		})
	}

	t.Run("lists hold only one's own", func(t *testing.T) {
		for _, path := range []string{"/api/v1/tickets", "/api/v1/surveys", "/api/v1/customization-requests"} {
			raw := do(t, m.srv, "GET", path, other.token, "").raw
			for _, id := range []string{customer.ticket, m.survey, customer.request} {
				if strings.Contains(raw, id) {
					t.Errorf("GET %s as another customer shows %s: %s", path, id, raw)
				}
			}
		}
	})

	t.Run("internal notes stay with staff", func(t *testing.T) {
		views := []struct {
			who  *matrixUser
			path string
			want bool
		}{
			{agent, "/api/v1/tickets/" + customer.ticket, true},
			{agent, "/api/v1/tickets/" + customer.ticket + "/events", true},
			{customer, "/api/v1/tickets/" + customer.ticket, false},
			{customer, "/api/v1/tickets/" + customer.ticket + "/events", false},
			{auditor, "/api/v1/tickets/" + customer.ticket + "/events", false},
			{auditor, "/api/v1/tickets/" + customer.ticket + "?as_of=" + time.Now().UTC().Format(time.RFC3339Nano), false},
			{auditor, "/api/v1/audit/events?aggregate=ticket/" + customer.ticket, false},
		}
		for _, v := range views {
			r := do(t, m.srv, "GET", v.path, v.who.token, "")
			if r.status != http.StatusOK {
				t.Fatalf("GET %s as %s: %d %s", v.path, v.who.role, r.status, r.raw)
			}
			if got := strings.Contains(r.raw, jsonText(m.agentNote)); got != v.want {
				t.Errorf("GET %s as %s shows the internal note: %v, want %v", v.path, v.who.role, got, v.want)
			}
		}
		// The audit trail still shows that the note was written, by whom
		// and when: only its text is withheld.
		var page struct {
			Items []struct {
				Type       string    `json:"type"`
				Actor      string    `json:"actor"`
				OccurredAt time.Time `json:"occurred_at"`
				Data       struct {
					Body     string `json:"body"`
					Internal bool   `json:"internal"`
				} `json:"data"`
			} `json:"items"`
		}
		r := do(t, m.srv, "GET", "/api/v1/audit/events?type=ticket.replied&aggregate=ticket/"+customer.ticket, auditor.token, "")
		if err := json.Unmarshal([]byte(r.raw), &page); err != nil {
			t.Fatalf("audit events: %d %v %s", r.status, err, r.raw)
		}
		notes := 0
		for _, it := range page.Items {
			if !it.Data.Internal {
				continue
			}
			notes++
			if it.Actor != agent.id || it.OccurredAt.IsZero() || it.Data.Body != "[internal note]" {
				t.Errorf("the auditor sees the internal note as %+v, want its envelope by %s and the text withheld", it, agent.id)
			}
		}
		if notes != 1 {
			t.Errorf("the auditor sees %d internal notes in the audit trail, want 1: %s", notes, r.raw)
		}
	})

	t.Run("the auditor reads history, not the present", func(t *testing.T) {
		isProblem(t, do(t, m.srv, "GET", "/api/v1/tickets/"+customer.ticket, auditor.token, ""), http.StatusForbidden)
		r := do(t, m.srv, "GET", "/api/v1/tickets", auditor.token, "")
		isProblem(t, r, http.StatusForbidden)
		if detail, _ := r.body["detail"].(string); !strings.Contains(detail, "your role (auditor) may not list tickets") {
			t.Errorf("detail %q, want it to name the role and the operation", detail)
		}
	})
}

// jsonText is s as it appears inside a JSON string.
func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}
