package gateway

import (
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v5"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/callapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
)

// maxCDRBytes bounds one CDR request body: it travels to the service in a
// NATS message, base64-encoded, under NATS's 1 MiB payload limit.
const maxCDRBytes = 512 << 10

// callRoutes adds the hotline and calls API. authed takes a user's bearer
// token; the routes a PBX calls take a PBX key or a user's token.
func (s *Server) callRoutes(e *echo.Echo, authed *echo.Group) {
	handle(authed, http.MethodPost, "/hotline/pbx-keys", authz.PBXKeyManage, s.createPBXKey)
	handle(authed, http.MethodGet, "/hotline/pbx-keys", authz.PBXKeyList, func(c *echo.Context) error {
		return relay(s, c, subjects.ServiceCallRecord, callapi.EndpointListKeys, struct{}{})
	})
	handle(authed, http.MethodDelete, "/hotline/pbx-keys/:id", authz.PBXKeyManage, s.revokePBXKey)
	handle(authed, http.MethodGet, "/calls", authz.CallList, s.listCalls)
	handle(authed, http.MethodGet, "/calls/stats", authz.CallStats, s.callStats)
	handle(authed, http.MethodPost, "/calls/:call_id/ticket", authz.CallTicketOpen, s.ticketFromCall)
	handle(authed, http.MethodPost, "/calls/:call_id/resolution", authz.CallResolutionNote, callCommand(s, subjects.ServiceCallRecord, callapi.EndpointResolve, func(c *echo.Context) (any, error) {
		cmd := callapi.Resolve{CallID: c.Param("call_id")}
		err := decode(c, &struct {
			Question   *string `json:"question"`
			Resolution *string `json:"resolution"`
			Category   *string `json:"category"`
		}{&cmd.Question, &cmd.Resolution, &cmd.Category})
		return cmd, err
	}))

	pbx := e.Group("/api/v1", s.authenticatePBXOrUser, s.limitAccount, s.authorize, s.validate)
	handle(pbx, http.MethodGet, "/hotline/agents", authz.HotlineAgentList, func(c *echo.Context) error {
		return relay(s, c, subjects.ServiceCallRecord, callapi.EndpointAgentList, callapi.ListAgents{})
	})
	handle(pbx, http.MethodPost, "/hotline/agents/:user_id/login", authz.HotlineAgentDrive, callCommand(s, subjects.ServiceCallRecord, callapi.EndpointAgentLogin, func(c *echo.Context) (any, error) {
		cmd := callapi.Login{AgentID: c.Param("user_id")}
		err := decode(c, &struct {
			Extension *string   `json:"extension"`
			Skills    *[]string `json:"skills"`
		}{&cmd.Extension, &cmd.Skills})
		return cmd, err
	}))
	handle(pbx, http.MethodPost, "/hotline/agents/:user_id/state", authz.HotlineAgentDrive, callCommand(s, subjects.ServiceCallRecord, callapi.EndpointAgentState, func(c *echo.Context) (any, error) {
		cmd := callapi.SetState{AgentID: c.Param("user_id")}
		err := decode(c, &struct {
			State *string `json:"state"`
		}{&cmd.State})
		return cmd, err
	}))
	handle(pbx, http.MethodPost, "/calls", authz.CallOffer, callCommand(s, subjects.ServiceCallRecord, callapi.EndpointOffer, func(c *echo.Context) (any, error) {
		var cmd callapi.Offer
		err := decode(c, &cmd)
		return cmd, err
	}))
	handle(pbx, http.MethodGet, "/calls/:call_id", authz.CallRead, func(c *echo.Context) error {
		return relay(s, c, subjects.ServiceCallRecord, callapi.EndpointGet, callapi.CallTarget{CallID: c.Param("call_id")})
	})
	handle(pbx, http.MethodPost, "/calls/:call_id/answered", authz.CallReport, callCommand(s, subjects.ServiceCallRecord, callapi.EndpointAnswered, func(c *echo.Context) (any, error) {
		return callapi.CallTarget{CallID: c.Param("call_id")}, decode(c, &struct{}{})
	}))
	handle(pbx, http.MethodPost, "/calls/:call_id/ended", authz.CallReport, callCommand(s, subjects.ServiceCallRecord, callapi.EndpointEnded, func(c *echo.Context) (any, error) {
		cmd := callapi.End{CallID: c.Param("call_id")}
		err := decode(c, &struct {
			Disposition *string `json:"disposition"`
		}{&cmd.Disposition})
		return cmd, err
	}))
	handle(pbx, http.MethodPost, "/calls/:call_id/transfer", authz.CallTransfer, callCommand(s, subjects.ServiceCallRecord, callapi.EndpointTransfer, func(c *echo.Context) (any, error) {
		cmd := callapi.Transfer{CallID: c.Param("call_id")}
		err := decode(c, &struct {
			AgentID *string `json:"agent_id"`
			Skill   *string `json:"skill"`
		}{&cmd.AgentID, &cmd.Skill})
		return cmd, err
	}))
	handle(pbx, http.MethodPost, "/calls/:call_id/rating", authz.CallRate, callCommand(s, subjects.ServiceCallRecord, callapi.EndpointRate, func(c *echo.Context) (any, error) {
		cmd := callapi.Rate{CallID: c.Param("call_id")}
		err := decode(c, &struct {
			Score *int `json:"score"`
		}{&cmd.Score})
		return cmd, err
	}))

	// CDRs and recordings are not JSON: they bypass the validation.
	raw := e.Group("/api/v1/calls", s.authenticatePBXOrUser, s.limitAccount, s.authorize)
	handle(raw, http.MethodPost, "/cdr/freeswitch", authz.CallCDRIngest, s.ingestCDR(callapi.EndpointCDRFreeSWITCH))
	handle(raw, http.MethodPost, "/cdr/asterisk", authz.CallCDRIngest, s.ingestCDR(callapi.EndpointCDRAsterisk))
	s.recordingRoutes(raw)
}

// callCommand handles a POST whose strictly decoded body build turns into
// a command of a service; the service's JSON answer is relayed with 200.
func callCommand(s *Server, service, endpoint string, build func(c *echo.Context) (any, error)) echo.HandlerFunc {
	return func(c *echo.Context) error {
		cmd, err := build(c)
		if err != nil {
			return err
		}
		return relay(s, c, service, endpoint, cmd)
	}
}

func (s *Server) createPBXKey(c *echo.Context) error {
	if err := withIdempotencyKey(c); err != nil {
		return err
	}
	var cmd callapi.CreateKey
	if err := decode(c, &cmd); err != nil {
		return err
	}
	k, err := call[callapi.NewKey](s, c, subjects.ServiceCallRecord, callapi.EndpointCreateKey, cmd)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, k)
}

func (s *Server) revokePBXKey(c *echo.Context) error {
	if _, err := call[callapi.PBXKey](s, c, subjects.ServiceCallRecord, callapi.EndpointRevokeKey, callapi.KeyTarget{ID: c.Param("id")}); err != nil {
		return err
	}
	s.pbxKeys.forget(c.Param("id"))
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) ticketFromCall(c *echo.Context) error {
	cmd := callapi.OpenTicket{CallID: c.Param("call_id")}
	if err := decode(c, &struct {
		Title       *string `json:"title"`
		Description *string `json:"description"`
		Category    *string `json:"category"`
		Priority    *string `json:"priority"`
		Requester   *string `json:"requester"`
	}{&cmd.Title, &cmd.Description, &cmd.Category, &cmd.Priority, &cmd.Requester}); err != nil {
		return err
	}
	t, err := call[callapi.TicketFromCall](s, c, subjects.ServiceCallRecord, callapi.EndpointOpenTicket, cmd)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if t.Created {
		status = http.StatusCreated
	}
	c.Response().Header().Set("Location", "/api/v1/tickets/"+t.TicketID)
	return c.JSON(status, t)
}

func (s *Server) listCalls(c *echo.Context) error {
	q := callapi.ListCalls{AgentID: c.QueryParam("agent_id"), Disposition: c.QueryParam("disposition"), Cursor: c.QueryParam("cursor")}
	var err error
	if q.Limit, err = intParam(c, "limit"); err != nil {
		return err
	}
	if q.From, err = timeParam(c, "from"); err != nil {
		return err
	}
	if q.To, err = timeParam(c, "to"); err != nil {
		return err
	}
	return relay(s, c, subjects.ServiceCallRecord, callapi.EndpointList, q)
}

func (s *Server) callStats(c *echo.Context) error {
	q := callapi.GetStats{GroupBy: c.QueryParam("group_by")}
	var err error
	if q.From, err = timeParam(c, "from"); err != nil {
		return err
	}
	if q.To, err = timeParam(c, "to"); err != nil {
		return err
	}
	return relay(s, c, subjects.ServiceCallRecord, callapi.EndpointStats, q)
}

// timeParam reads an RFC 3339 query parameter (zero when absent).
func timeParam(c *echo.Context, name string) (time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, problem.InvalidArgument(name, "must be an RFC 3339 time such as 2026-10-01T00:00:00+08:00")
	}
	return t, nil
}

// ingestCDR relays a PBX's CDR body, as it is, to the service.
func (s *Server) ingestCDR(endpoint string) echo.HandlerFunc {
	return func(c *echo.Context) error {
		body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxCDRBytes))
		if err != nil {
			return problem.New(problem.CodeInvalidArgument, "the CDR body is unreadable or larger than %d bytes; send fewer records at a time", maxCDRBytes)
		}
		if len(strings.TrimSpace(string(body))) == 0 {
			return problem.New(problem.CodeInvalidArgument, "the CDR body is empty")
		}
		if !utf8.Valid(body) {
			return problem.New(problem.CodeInvalidArgument, "the CDR body is not valid UTF-8")
		}
		return relay(s, c, subjects.ServiceCallRecord, endpoint, callapi.IngestCDR{ContentType: c.Request().Header.Get("Content-Type"), Body: body})
	}
}
