package gateway

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"

	"helpdesk/contracts/problem"
	"helpdesk/infra/eventlog"
)

// FuzzAuditQuery: any query string of GET /audit/events gives a filter,
// a limit from 1 to eventlog.MaxPageSize and a cursor, or one
// invalid_argument problem, which the error handler answers with 400,
// naming only the query's parameters; never a panic. A cursor the
// gateway hands out for the filter is accepted with it.
func FuzzAuditQuery(f *testing.F) {
	for _, q := range []string{
		"", "service=ticket&aggregate=ticket/t-1&type=ticket.opened,ticket.*&limit=50",
		"actor=u-1&from=2026-11-20T10:00:00%2B08:00&to=2026-11-21T00:00:00Z",
		"aggregate=ticket/*&limit=1", "limit=0", "limit=-1", "limit=1e9", "limit=99999999999999999999", "limit=%00",
		"cursor=eyJ2IjoxLCJmIjoiMDAiLCJwIjp7fX0", "cursor=' OR 1=1 --", "cursor=%ff%fe", "cursor=游标&limit=abc",
		"service=工单&type=工单.*&actor=张 三", "aggregate=../../etc/passwd&aggregate=ticket/t-1", "from=yesterday&to=2026-13-45T99:99:99Z",
		"type=" + "a.%2A,", "%zz", "service=ticket;limit=5",
	} {
		f.Add(q, uint64(0))
	}
	f.Fuzz(func(t *testing.T, rawQuery string, seq uint64) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/audit/events", nil)
		req.URL.RawQuery = rawQuery
		c := newTestContext(req)
		flt, limit, cur, err := auditQuery(c)
		if err != nil {
			pe := problem.As(err)
			if pe == nil || pe.Code != problem.CodeInvalidArgument || len(pe.Fields) == 0 || statusOf[pe.Code] != http.StatusBadRequest {
				t.Fatalf("query %q: %v, want an invalid_argument problem (400) with fields", rawQuery, err)
			}
			for _, fe := range pe.Fields {
				if !slices.Contains([]string{"service", "aggregate", "type", "actor", "from", "to", "limit", "cursor"}, fe.Field) {
					t.Fatalf("query %q: problem names field %q", rawQuery, fe.Field)
				}
			}
			return
		}
		if limit < 1 || limit > eventlog.MaxPageSize || cur == nil {
			t.Fatalf("query %q: limit %d, cursor %v", rawQuery, limit, cur)
		}
		if v := c.QueryParam("limit"); v != "" && v != strconv.Itoa(limit) {
			if n, err := strconv.Atoi(v); err != nil || n != limit {
				t.Fatalf("query %q: limit %q read as %d", rawQuery, v, limit)
			}
		}
		next := eventlog.Cursor{"EVENTS_TICKET": seq}.Encode(flt)
		q := req.URL.Query()
		q.Set("cursor", next)
		req.URL.RawQuery = q.Encode()
		if _, _, got, err := auditQuery(newTestContext(req)); err != nil || got["EVENTS_TICKET"] != seq {
			t.Fatalf("query %q: the next page's cursor %q is refused: %v", rawQuery, next, err)
		}
	})
}
