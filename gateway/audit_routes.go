package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v5"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/events"
	"helpdesk/contracts/problem"
	"helpdesk/infra/eventlog"
)

// auditPage is the answer of GET /audit/events.
type auditPage struct {
	// Items are whole event envelopes, secrets redacted from their data and
	// what the caller's role may not see hidden (eventlog.View).
	Items []events.Envelope `json:"items"`
	// NextCursor resumes after the last item; "" on the last page. A page
	// may hold fewer items than the limit and still have a next page.
	NextCursor string `json:"next_cursor"`
}

// auditRoutes registers the audit trail. The gateway reads the event
// streams itself through JetStream (infra/eventlog): the events are the
// record, and no service owns all of them.
func (s *Server) auditRoutes(authed *echo.Group) {
	js, err := jetstream.New(s.cfg.Conn)
	if err != nil {
		panic(fmt.Sprintf("audit routes: jetstream: %v", err)) // only bad options fail here: a programming error
	}
	handle(authed, http.MethodGet, "/audit/events", authz.AuditEventsRead, s.auditEvents(eventlog.NewReader(js)))
}

// auditEvents answers one page of the events that match the query's
// filters (see eventlog.Params), merged across services by occurred_at,
// each as the caller's role may see it (eventlog.View: no internal notes'
// text, callers' numbers masked but for admins). A page may be short when
// reading took long; only an empty next_cursor means the end.
func (s *Server) auditEvents(log *eventlog.Reader) echo.HandlerFunc {
	return func(c *echo.Context) error {
		f, limit, cur, err := auditQuery(c)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.RequestTimeout)
		defer cancel()
		// Half the request's time for reading: a filter that matches few of
		// many events answers a short page and a cursor rather than a timeout.
		items, next, err := log.Page(ctx, f, cur, limit, s.cfg.RequestTimeout/2)
		if err != nil {
			return fmt.Errorf("read audit events: %w", err)
		}
		role := callerOf(c).Role
		page := auditPage{Items: make([]events.Envelope, len(items)), NextCursor: next}
		for i, ev := range items {
			page.Items[i] = eventlog.View(role, ev.Envelope)
		}
		return c.JSON(http.StatusOK, page)
	}
}

// auditQuery reads the filters, limit and cursor of GET /audit/events and
// reports every bad one at once.
func auditQuery(c *echo.Context) (eventlog.Filter, int, eventlog.Cursor, error) {
	var bad []problem.FieldError
	f, err := eventlog.ParseFilter(eventlog.Params{
		Service: c.QueryParam("service"), Aggregate: c.QueryParam("aggregate"), Type: c.QueryParam("type"),
		Actor: c.QueryParam("actor"), From: c.QueryParam("from"), To: c.QueryParam("to"),
	})
	if p := problem.As(err); p != nil {
		bad = append(bad, p.Fields...)
	}
	limit := eventlog.DefaultPageSize
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > eventlog.MaxPageSize {
			bad = append(bad, problem.FieldError{Field: "limit", Message: fmt.Sprintf("a number from 1 to %d", eventlog.MaxPageSize)})
		}
		limit = n
	}
	var cur eventlog.Cursor
	if len(bad) == 0 {
		cur, err = eventlog.DecodeCursor(c.QueryParam("cursor"), f)
		if p := problem.As(err); p != nil {
			bad = append(bad, p.Fields...)
		}
	}
	if len(bad) > 0 {
		return f, 0, nil, &problem.Error{Code: problem.CodeInvalidArgument, Message: "invalid audit query", Fields: bad}
	}
	return f, limit, cur, nil
}
