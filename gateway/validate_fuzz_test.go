package gateway

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v5"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/custapi"
	"helpdesk/contracts/identityapi"
	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/ticketapi"
)

// fuzzedRoute is a JSON route whose body FuzzRequestBody sends through the
// validation middleware and the strict decoder, into the type its handler
// decodes.
type fuzzedRoute struct {
	method, path string
	target       func() any
}

var fuzzedRoutes = []fuzzedRoute{
	{http.MethodPost, "/api/v1/tickets", func() any { return &ticketapi.OpenTicket{} }},
	{http.MethodPost, "/api/v1/tickets/t-1/replies", func() any { return &ticketapi.AddReply{} }},
	{http.MethodPost, "/api/v1/tickets/t-1/resolve", func() any { return &ticketapi.ResolveTicket{} }},
	{http.MethodPost, "/api/v1/auth/login", func() any { return &identityapi.Authenticate{} }},
	{http.MethodPost, "/api/v1/users", func() any { return &identityapi.RegisterUser{} }},
	{http.MethodPost, "/api/v1/kb/categories", func() any { return &kbapi.CreateCategory{} }},
	{http.MethodPost, "/api/v1/kb/articles", func() any { return &kbapi.DraftArticle{} }},
	{http.MethodPost, "/api/v1/customization-requests", func() any { return &custapi.Submit{} }},
	{http.MethodPost, "/api/v1/calls", func() any { return &callapi.Offer{} }},
	{http.MethodPost, "/api/v1/auth/refresh", func() any { return &identityapi.Refresh{} }},
	{http.MethodPost, "/api/v1/auth/password", func() any { return &identityapi.ChangePassword{} }},
}

// fuzzGateway serves fuzzedRoutes behind the real validation middleware
// and the real error handler; each handler decodes strictly and answers
// 200 with the JSON of what it decoded.
func fuzzGateway(tb testing.TB) *echo.Echo {
	tb.Helper()
	v, err := newValidator()
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{cfg: Config{BodyLimit: 1 << 20}, validator: v}
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(slog.New(slog.DiscardHandler))
	api := e.Group("/api/v1", s.validate)
	for _, r := range fuzzedRoutes {
		path := strings.Replace(strings.TrimPrefix(r.path, "/api/v1"), "t-1", ":id", 1)
		api.Add(r.method, path, func(c *echo.Context) error {
			v := r.target()
			if err := decode(c, v); err != nil {
				return err
			}
			return c.JSON(http.StatusOK, v)
		})
	}
	return e
}

// FuzzRequestBody: any body sent to a JSON route is answered 200 (valid),
// 400 (malformed) or 422 (breaks a rule), never 500 and never a panic; a
// problem is application/problem+json; what a handler decodes encodes and
// strictly decodes back to the same value.
func FuzzRequestBody(f *testing.F) {
	seeds := []string{
		`{"title":"打印机无法连接网络","description":"三楼的打印机离线 🖨️","priority":"P2"}`,
		`{"body":"<script>alert(1)</script>","internal":true}`,
		`{"resolution":"'; DROP TABLE tickets; --"}`,
		`{"username":"admin","password":"' OR 1=1 --"}`,
		`{"username":"zhang.san","password":"Str0ng-Passw0rd!","role":"agent","display_name":"张三"}`,
		`{"name":"硬件","parent_id":""}`,
		`{"title":"VPN","body":"\"><img src=x onerror=alert(1)>","category_id":"c","tags":["vpn","网络"]}`,
		`{"kind":"feature","title":"导出报表","description":"javascript:alert(1)"}`,
		`{"call_id":"c-1","caller":"13800000000","hotline":"400"}`,
		`{"refresh_token":"' OR 1=1 --"}`,
		`{"current_password":"Str0ng-Passw0rd!","new_password":"<script>alert(1)</script>Aa1!"}`,
		`{"title":"x","title":"y"}`, `{"title":`, `{"title":42}`, `[]`, `null`, `{}`, `{"a":{"b":{"c":[[[[1]]]]}}}`,
		"{\"title\":\"\xff\xfe\"}", `{"title":"x"} {"title":"y"}`, `{"title":"\u0000"}`,
		strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000),
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	e := fuzzGateway(f)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := fuzzedRoutes[int(route)%len(fuzzedRoutes)]
		req := httptest.NewRequest(r.method, r.path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusUnprocessableEntity:
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("%s %q: %d with Content-Type %q", r.path, body, rec.Code, ct)
			}
			return
		default:
			t.Fatalf("%s %q: status %d: %s", r.path, body, rec.Code, rec.Body)
		}
		first := r.target()
		if err := json.Unmarshal(rec.Body.Bytes(), first); err != nil {
			t.Fatalf("%s: the answer %s does not decode: %v", r.path, rec.Body, err)
		}
		again := r.target()
		dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(again); err != nil || !reflect.DeepEqual(first, again) {
			t.Fatalf("%s: %s does not round-trip: %+v vs %+v (%v)", r.path, rec.Body, first, again, err)
		}
	})
}

// FuzzIfMatch: If-Match is either absent, "*", or a quoted positive
// version that the ETag of that version gives back; anything else is a 400
// problem, never a panic.
func FuzzIfMatch(f *testing.F) {
	for _, h := range []string{``, `*`, `"1"`, `"42"`, ` "7" `, `W/"3"`, `"0"`, `"-1"`, `"18446744073709551616"`, `"`, `""`, `"1`, `1"`, `"+1"`, `"007"`} {
		f.Add(h, uint64(12))
	}
	f.Fuzz(func(t *testing.T, header string, version uint64) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/tickets/x/start", nil)
		req.Header.Set("If-Match", header)
		got, err := expectedVersion(newTestContext(req))
		trimmed := strings.TrimSpace(req.Header.Get("If-Match"))
		switch {
		case err != nil:
			if problem.CodeOf(err) != problem.CodeInvalidArgument {
				t.Fatalf("If-Match %q: %v, want invalid_argument", header, err)
			}
		case trimmed == "" || trimmed == "*":
			if got != 0 {
				t.Fatalf("If-Match %q: version %d, want 0", header, got)
			}
		default:
			inner := strings.TrimSuffix(strings.TrimPrefix(trimmed, `"`), `"`)
			if n, perr := strconv.ParseUint(inner, 10, 64); got == 0 || perr != nil || n != got {
				t.Fatalf("If-Match %q: version %d", header, got)
			}
		}
		if version == 0 {
			return
		}
		req.Header.Set("If-Match", etag(version))
		if back, err := expectedVersion(newTestContext(req)); err != nil || back != version {
			t.Fatalf("ETag %s reads back as %d, %v", etag(version), back, err)
		}
	})
}

// FuzzSanitizeID: a client-sent id (X-Request-Id, Idempotency-Key) is kept
// only as it is, when it is 1 to 128 printable ASCII characters.
func FuzzSanitizeID(f *testing.F) {
	for _, s := range []string{"req-1", "", " x ", "../../etc/passwd", "a\x00b", "工单", strings.Repeat("x", 129), "\r\nSet-Cookie: a=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		got := sanitizeID(id)
		if got == "" {
			return
		}
		if got != id || len(got) > 128 {
			t.Fatalf("sanitizeID(%q) = %q", id, got)
		}
		for i := 0; i < len(got); i++ {
			if got[i] < 0x21 || got[i] > 0x7e {
				t.Fatalf("sanitizeID(%q) kept byte %#x", id, got[i])
			}
		}
	})
}

// FuzzQueryParams: integer and time query parameters parse or give a 400
// problem naming the parameter; an absent one is zero; a time that parses
// formats and parses back to the same instant.
func FuzzQueryParams(f *testing.F) {
	for _, q := range []string{"limit=20", "limit=-1", "limit=1e9", "limit=99999999999999999999", "from=2026-10-01T00:00:00%2B08:00",
		"from=2026-13-45T99:99:99Z", "limit=%00", "from=' OR 1=1 --", "limit=20&limit=abc", "%zz"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/calls", nil)
		req.URL.RawQuery = rawQuery
		c := newTestContext(req)
		if n, err := intParam(c, "limit"); err != nil {
			if pe := problem.As(err); pe == nil || pe.Code != problem.CodeInvalidArgument || len(pe.Fields) != 1 || pe.Fields[0].Field != "limit" {
				t.Fatalf("limit in %q: %v", rawQuery, err)
			}
		} else if c.QueryParam("limit") == "" && n != 0 {
			t.Fatalf("no limit in %q read as %d", rawQuery, n)
		}
		at, err := timeParam(c, "from")
		if err != nil {
			if pe := problem.As(err); pe == nil || pe.Code != problem.CodeInvalidArgument {
				t.Fatalf("from in %q: %v", rawQuery, err)
			}
			return
		}
		if back, err := time.Parse(time.RFC3339Nano, at.Format(time.RFC3339Nano)); c.QueryParam("from") != "" && (err != nil || !back.Equal(at)) {
			t.Fatalf("from %q read as %v does not round-trip: %v", c.QueryParam("from"), at, err)
		}
	})
}
