package gateway

import (
	"slices"
	"strings"

	"github.com/labstack/echo/v5"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/problem"
)

// handle registers a route under g whose operation, in the authorization
// matrix (contracts/authz), is op. The operation is the route's name; the
// group's authorize middleware checks it before the request is validated
// or any service is called. Every /api/v1 route is registered this way: a
// route registered otherwise has no operation and is refused to everyone.
func handle(g *echo.Group, method, path string, op authz.Operation, h echo.HandlerFunc) {
	if _, err := g.AddRoute(echo.Route{Method: method, Path: path, Name: string(op), Handler: h}); err != nil {
		panic(err) // a programming error, found at start-up, as Echo's GET and POST do
	}
}

// pastViews are operations that become another one when the request asks
// for a past state with as_of: reading a ticket as it was is reading its
// history, which the auditor may; reading it as it is now is not.
var pastViews = map[authz.Operation]authz.Operation{
	authz.TicketRead: authz.TicketHistoryRead,
}

// operationOf returns the operation of the request's route.
func operationOf(c *echo.Context) authz.Operation {
	op := authz.Operation(c.RouteInfo().Name)
	if past, ok := pastViews[op]; ok && c.QueryParam("as_of") != "" {
		return past
	}
	return op
}

// authorize is the middleware of every /api/v1 group, after the caller is
// known: it answers 403 unless the matrix allows the caller's role the
// route's operation. Requests that match no route pass on to their 404.
func (s *Server) authorize(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		ri := c.RouteInfo()
		if ri.Method == echo.RouteNotFound || ri.Name == echo.NotFoundRouteName || ri.Name == echo.MethodNotAllowedRouteName {
			return next(c)
		}
		op := operationOf(c)
		rule, ok := authz.Lookup(op)
		if !ok || rule.Service {
			return problem.New(problem.CodePermissionDenied, "%s %s has no rule in the authorization matrix", ri.Method, ri.Path)
		}
		role := callerOf(c).Role
		if !authz.Allowed(role, op) {
			if role == "" {
				return problem.New(problem.CodeUnauthenticated, "send an access token: Authorization: Bearer <token>")
			}
			return problem.New(problem.CodePermissionDenied, "your role (%s) may not %s", role, rule.Summary)
		}
		return next(c)
	}
}

// Route is a registered /api/v1 route and its operation in the
// authorization matrix ("" when it has none, which is a mistake).
type Route struct {
	Method, Path string
	Operation    authz.Operation
}

// Routes lists the /api/v1 routes the gateway serves, sorted by path and
// method, each with its operation: what the authorization matrix test walks.
func (s *Server) Routes() []Route {
	var out []Route
	for _, ri := range s.echo.Router().Routes() {
		if ri.Method == echo.RouteNotFound || !strings.HasPrefix(ri.Path, "/api/v1/") {
			continue
		}
		r := Route{Method: ri.Method, Path: ri.Path}
		if _, ok := authz.Lookup(authz.Operation(ri.Name)); ok {
			r.Operation = authz.Operation(ri.Name)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Route) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Method, b.Method)
	})
	return out
}
