package gateway

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v5"

	"helpdesk/contracts/authz"
	"helpdesk/infra/rpc"
)

// TestAuthorize checks the middleware alone: the route's operation decides,
// a route without one is refused to everyone (fail closed), and requests
// that match no route keep their 404.
func TestAuthorize(t *testing.T) {
	s := &Server{}
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(slog.New(slog.DiscardHandler))
	g := e.Group("/api/v1", func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			setCaller(c, rpc.Caller{ID: "u-1", Role: c.Request().Header.Get("X-Test-Role")})
			return next(c)
		}
	}, s.authorize)
	ok := func(c *echo.Context) error { return c.NoContent(http.StatusNoContent) }
	handle(g, http.MethodGet, "/tickets", authz.TicketList, ok)
	handle(g, http.MethodGet, "/tickets/:id", authz.TicketRead, ok)
	handle(g, http.MethodGet, "/notes", authz.TicketInternalNote, ok) // a service rule is no route operation
	g.GET("/unnamed", ok)

	tests := []struct {
		name, role, path string
		status           int
		detail           string
	}{
		{"allowed", authz.Customer, "/api/v1/tickets", 204, ""},
		{"denied", authz.Auditor, "/api/v1/tickets", 403, "your role (auditor) may not list tickets"},
		{"unknown role", "root", "/api/v1/tickets", 403, "your role (root) may not"},
		{"no role", "", "/api/v1/tickets", 401, "access token"},
		{"present state denied to the auditor", authz.Auditor, "/api/v1/tickets/t1", 403, "current state"},
		{"past state allowed to the auditor", authz.Auditor, "/api/v1/tickets/t1?as_of=2026-01-01T00:00:00Z", 204, ""},
		{"route without operation", authz.Admin, "/api/v1/unnamed", 403, "has no rule in the authorization matrix"},
		{"service rule as route operation", authz.Admin, "/api/v1/notes", 403, "has no rule in the authorization matrix"},
		{"no such route", authz.Admin, "/api/v1/nothing", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			req.Header.Set("X-Test-Role", tt.role)
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.detail) {
				t.Fatalf("%d %s, want %d with %q", rec.Code, rec.Body, tt.status, tt.detail)
			}
			if tt.status >= 400 && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/problem+json") {
				t.Errorf("Content-Type %q, want a problem", rec.Header().Get("Content-Type"))
			}
		})
	}
}
