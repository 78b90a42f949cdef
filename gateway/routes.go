package gateway

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/openapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/rpc"
)

func (s *Server) routes() {
	e := s.echo
	e.Use(s.observe, secureHeaders, cors(s.cfg.Edge.CORSOrigins), s.limitIP, middleware.Recover())
	e.GET("/healthz", func(c *echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	e.GET("/readyz", s.ready)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.cfg.Gatherer, promhttp.HandlerOpts{})))
	e.GET("/openapi.yaml", func(c *echo.Context) error { return c.Blob(http.StatusOK, "application/yaml", openapi.Spec()) })

	// Every /api/v1 route is registered with handle and its operation in
	// the authorization matrix (contracts/authz). The caller is known
	// first, then authorized, then the request validated.
	api := e.Group("/api/v1", s.authorize, s.validate) // public operations only
	handle(api, http.MethodPost, "/auth/login", authz.AuthLogin, s.login)
	authed := e.Group("/api/v1", s.authenticate, s.limitAccount, s.authorize, s.validate)
	s.authRoutes(api, authed) // auth_routes.go
	handle(authed, http.MethodGet, "/me", authz.AccountRead, s.me)
	handle(authed, http.MethodPost, "/users", authz.UserCreate, s.createUser)
	handle(authed, http.MethodGet, "/users/:id", authz.UserRead, s.getUser)
	handle(authed, http.MethodPost, "/tickets", authz.TicketOpen, s.openTicket)
	handle(authed, http.MethodGet, "/tickets", authz.TicketList, s.listTickets)
	handle(authed, http.MethodGet, "/tickets/:id", authz.TicketRead, s.getTicket)
	handle(authed, http.MethodGet, "/tickets/:id/events", authz.TicketHistoryRead, s.ticketEvents)
	handle(authed, http.MethodPost, "/tickets/:id/assign", authz.TicketAssign, ticketCommand(s, ticketapi.EndpointAssign, func(t ticketapi.Target, c *echo.Context) (any, error) {
		cmd := ticketapi.AssignTicket{Target: t}
		err := decode(c, &cmd)
		return cmd, err
	}))
	handle(authed, http.MethodPost, "/tickets/:id/start", authz.TicketStart, ticketCommand(s, ticketapi.EndpointStart, func(t ticketapi.Target, c *echo.Context) (any, error) {
		cmd := ticketapi.StartWork{Target: t}
		return cmd, decode(c, &struct{}{})
	}))
	handle(authed, http.MethodPost, "/tickets/:id/replies", authz.TicketReply, ticketCommand(s, ticketapi.EndpointReply, func(t ticketapi.Target, c *echo.Context) (any, error) {
		cmd := ticketapi.AddReply{Target: t}
		err := decode(c, &cmd)
		return cmd, err
	}))
	handle(authed, http.MethodPost, "/tickets/:id/resolve", authz.TicketResolve, ticketCommand(s, ticketapi.EndpointResolve, func(t ticketapi.Target, c *echo.Context) (any, error) {
		cmd := ticketapi.ResolveTicket{Target: t}
		err := decode(c, &cmd)
		return cmd, err
	}))
	handle(authed, http.MethodPost, "/tickets/:id/close", authz.TicketClose, ticketCommand(s, ticketapi.EndpointClose, func(t ticketapi.Target, c *echo.Context) (any, error) {
		cmd := ticketapi.CloseTicket{Target: t}
		err := decode(c, &cmd)
		return cmd, err
	}))
	handle(authed, http.MethodPost, "/tickets/:id/reopen", authz.TicketReopen, ticketCommand(s, ticketapi.EndpointReopen, func(t ticketapi.Target, c *echo.Context) (any, error) {
		cmd := ticketapi.ReopenTicket{Target: t}
		err := decode(c, &cmd)
		return cmd, err
	}))
	s.kbRoutes(authed)
	s.callRoutes(e, authed)
	s.satisfactionRoutes(authed)
	s.customizationRoutes(authed)
	s.auditRoutes(authed) // audit_routes.go
	e.RouteNotFound("/*", func(*echo.Context) error { return echo.ErrNotFound })
}

// call sends a request to a service endpoint with the caller of c.
func call[Resp any](s *Server, c *echo.Context, service, endpoint string, req any) (Resp, error) {
	ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.RequestTimeout)
	defer cancel()
	return rpc.Call[Resp](ctx, s.cfg.Conn, subjects.Endpoint(service, endpoint), req)
}

// relay sends a query to a service endpoint and answers 200 with the
// service's JSON as it is: no decoding and encoding again for replies the
// gateway does not change.
func relay(s *Server, c *echo.Context, service, endpoint string, req any) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.RequestTimeout)
	defer cancel()
	raw, err := rpc.CallRaw(ctx, s.cfg.Conn, subjects.Endpoint(service, endpoint), req)
	if err != nil {
		return err
	}
	return c.JSONBlob(http.StatusOK, raw)
}

// withIdempotencyKey copies a valid Idempotency-Key header to the caller.
func withIdempotencyKey(c *echo.Context) error {
	key := c.Request().Header.Get("Idempotency-Key")
	if key == "" {
		return nil
	}
	if len(key) > 200 || sanitizeID(key) != key {
		return &problem.Error{Code: problem.CodeInvalidArgument, Message: "malformed Idempotency-Key header",
			Fields: []problem.FieldError{{Field: "Idempotency-Key", Message: "1 to 200 printable ASCII characters"}}}
	}
	caller := callerOf(c)
	caller.IdempotencyKey = key
	setCaller(c, caller)
	return nil
}

// expectedVersion reads If-Match: "<version>" (0 when absent).
func expectedVersion(c *echo.Context) (uint64, error) {
	h := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, nil
	}
	inner, quoted := strings.CutPrefix(h, `"`)
	inner, closed := strings.CutSuffix(inner, `"`)
	v, err := strconv.ParseUint(inner, 10, 64)
	if err != nil || v == 0 || !quoted || !closed {
		return 0, &problem.Error{Code: problem.CodeInvalidArgument, Message: `malformed If-Match header: want "<version>"`,
			Fields: []problem.FieldError{{Field: "If-Match", Message: `an entity tag such as "12"`}}}
	}
	return v, nil
}

func etag(version uint64) string { return `"` + strconv.FormatUint(version, 10) + `"` }

func writeTicket(c *echo.Context, status int, t ticketapi.Ticket) error {
	c.Response().Header().Set("ETag", etag(t.Version))
	return c.JSON(status, t)
}

// versionedCommand handles POST (or PATCH) /<things>/:id/<command> on a
// versioned aggregate: If-Match and Idempotency-Key headers, a strictly
// decoded body that build turns into the command, the service call, and
// the result with its version as ETag.
func versionedCommand[R any](s *Server, service, endpoint string, version func(R) uint64,
	build func(id string, expected uint64, c *echo.Context) (any, error)) echo.HandlerFunc {
	return func(c *echo.Context) error {
		expected, err := expectedVersion(c)
		if err != nil {
			return err
		}
		if err := withIdempotencyKey(c); err != nil {
			return err
		}
		cmd, err := build(c.Param("id"), expected, c)
		if err != nil {
			return err
		}
		res, err := call[R](s, c, service, endpoint, cmd)
		if err != nil {
			return err
		}
		c.Response().Header().Set("ETag", etag(version(res)))
		return c.JSON(http.StatusOK, res)
	}
}

// ticketCommand handles POST /tickets/:id/<command>.
func ticketCommand(s *Server, endpoint string, build func(ticketapi.Target, *echo.Context) (any, error)) echo.HandlerFunc {
	return versionedCommand(s, subjects.ServiceTicket, endpoint, func(t ticketapi.Ticket) uint64 { return t.Version },
		func(id string, expected uint64, c *echo.Context) (any, error) {
			return build(ticketapi.Target{TicketID: id, ExpectedVersion: expected}, c)
		})
}

func (s *Server) openTicket(c *echo.Context) error {
	if err := withIdempotencyKey(c); err != nil {
		return err
	}
	var cmd ticketapi.OpenTicket
	if err := decode(c, &cmd); err != nil {
		return err
	}
	t, err := call[ticketapi.Ticket](s, c, subjects.ServiceTicket, ticketapi.EndpointOpen, cmd)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/tickets/"+t.ID)
	return writeTicket(c, http.StatusCreated, t)
}

func (s *Server) getTicket(c *echo.Context) error {
	q := ticketapi.GetTicket{TicketID: c.Param("id")}
	if v := c.QueryParam("as_of"); v != "" {
		at, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return &problem.Error{Code: problem.CodeInvalidArgument, Message: "malformed as_of",
				Fields: []problem.FieldError{{Field: "as_of", Message: "an RFC 3339 time such as 2026-11-20T10:00:00+08:00"}}}
		}
		q.AsOf = &at
	}
	t, err := call[ticketapi.Ticket](s, c, subjects.ServiceTicket, ticketapi.EndpointGet, q)
	if err != nil {
		return err
	}
	return writeTicket(c, http.StatusOK, t)
}

func (s *Server) ticketEvents(c *echo.Context) error {
	return relay(s, c, subjects.ServiceTicket, ticketapi.EndpointEvents, ticketapi.GetEvents{TicketID: c.Param("id")})
}

func (s *Server) listTickets(c *echo.Context) error {
	q := ticketapi.ListTickets{
		Status: c.QueryParam("status"), Assignee: c.QueryParam("assignee"), Requester: c.QueryParam("requester"),
		Category: c.QueryParam("category"), Priority: c.QueryParam("priority"), Cursor: c.QueryParam("cursor"),
	}
	var err error
	if q.Limit, err = intParam(c, "limit"); err != nil {
		return err
	}
	return relay(s, c, subjects.ServiceTicket, ticketapi.EndpointList, q)
}

func (s *Server) createUser(c *echo.Context) error {
	if err := withIdempotencyKey(c); err != nil {
		return err
	}
	var req identityapi.RegisterUser
	if err := decode(c, &req); err != nil {
		return err
	}
	u, err := call[identityapi.User](s, c, subjects.ServiceIdentity, identityapi.EndpointRegister, req)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/users/"+u.ID)
	return c.JSON(http.StatusCreated, u)
}

func (s *Server) getUser(c *echo.Context) error {
	u, err := call[identityapi.User](s, c, subjects.ServiceIdentity, identityapi.EndpointGet, identityapi.GetUser{UserID: c.Param("id")})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

func (s *Server) me(c *echo.Context) error {
	u, err := call[identityapi.User](s, c, subjects.ServiceIdentity, identityapi.EndpointGet, identityapi.GetUser{UserID: callerOf(c).ID})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

// ready answers 200 when NATS is connected and every service answers a
// micro PING within a second.
func (s *Server) ready(c *echo.Context) error {
	if s.cfg.Conn.Status() != nats.CONNECTED {
		return problem.New(problem.CodeUnavailable, "not connected to NATS (%s)", s.cfg.Conn.Status())
	}
	for _, svc := range subjects.Services {
		ctx, cancel := context.WithTimeout(c.Request().Context(), time.Second)
		_, err := s.cfg.Conn.RequestWithContext(ctx, "$SRV.PING.helpdesk-"+svc, nil)
		cancel()
		if err != nil {
			return problem.New(problem.CodeUnavailable, "the %s service does not answer: %v", svc, err)
		}
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
