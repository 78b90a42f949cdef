package gateway

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/nats-io/nats.go"

	"helpdesk/contracts/openapi"
	"helpdesk/contracts/problem"
)

// TestStatusOf_every_code maps every problem code to the status the API
// documents.
func TestStatusOf_every_code(t *testing.T) {
	want := map[problem.Code]int{
		problem.CodeInvalidArgument: 400, problem.CodeValidation: 422, problem.CodeUnauthenticated: 401,
		problem.CodePermissionDenied: 403, problem.CodeNotFound: 404, problem.CodeConflict: 409,
		problem.CodePreconditionFailed: 412, problem.CodeTooManyRequests: 429, problem.CodeTooLarge: 413, problem.CodeUnavailable: 503,
		problem.CodeInternal: 500,
	}
	for code, status := range want {
		p := toProblem(problem.New(code, "x"))
		if p.Status != status || p.Code != code || p.Type != "urn:helpdesk:problem:"+string(code) {
			t.Errorf("%s → %+v, want status %d", code, p, status)
		}
	}
	if len(statusOf) != len(want) {
		t.Errorf("statusOf has %d codes, the test knows %d", len(statusOf), len(want))
	}
	if p := toProblem(http.ErrAbortHandler); p.Status != 500 || p.Detail != "internal error" {
		t.Errorf("an unknown error leaks or is not a 500: %+v", p)
	}
}

// TestRoutes_match_the_OpenAPI_document: every route is documented and
// every documented operation is routed.
func TestRoutes_match_the_OpenAPI_document(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Spec())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(openapi3.NewLoader().Context); err != nil {
		t.Fatalf("the OpenAPI document is invalid: %v", err)
	}
	s, err := New(Config{Conn: &nats.Conn{}, SigningKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`:(\w+)`)
	var routed []string
	for _, r := range s.echo.Router().Routes() {
		if r.Method == echoRouteNotFound || strings.HasSuffix(r.Path, "*") {
			continue
		}
		routed = append(routed, r.Method+" "+param.ReplaceAllString(r.Path, "{$1}"))
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(routed)
	slices.Sort(documented)
	if !slices.Equal(routed, documented) {
		t.Fatalf("routes and document differ\n routed:     %v\n documented: %v", routed, documented)
	}
}

// echoRouteNotFound is the method Echo gives RouteNotFound handlers.
const echoRouteNotFound = "echo_route_not_found"

func TestExpectedVersion(t *testing.T) {
	tests := []struct {
		header string
		want   uint64
		ok     bool
	}{
		{"", 0, true}, {"*", 0, true}, {`"12"`, 12, true}, {`W/"3"`, 0, false},
		{"12", 0, false}, {`"0"`, 0, false}, {`"-1"`, 0, false}, {`"abc"`, 0, false}, {`"99999999999999999999999"`, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			req, _ := http.NewRequest("POST", "/", nil)
			req.Header.Set("If-Match", tt.header)
			c := newTestContext(req)
			got, err := expectedVersion(c)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("expectedVersion(%q) = %d, %v; want %d, ok=%v", tt.header, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestLoginLimiter(t *testing.T) {
	l := newLoginLimiter(3, 60e9)
	now := timeZero()
	for i := 0; i < 3; i++ {
		if w := l.retryAfter("u|ip", now); w != 0 {
			t.Fatalf("attempt %d blocked", i)
		}
		l.fail("u|ip", now)
	}
	if w := l.retryAfter("u|ip", now.Add(10e9)); w <= 0 || w > 50e9 {
		t.Fatalf("retry after %v, want about 50s", w)
	}
	if w := l.retryAfter("other|ip", now); w != 0 {
		t.Fatal("another user is blocked")
	}
	if w := l.retryAfter("u|ip", now.Add(61e9)); w != 0 {
		t.Fatal("still blocked after the window")
	}
	l.fail("u|ip", now)
	l.succeed("u|ip")
	if len(l.failures) != 0 {
		t.Fatal("success did not clear the failures")
	}
}
