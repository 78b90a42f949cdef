package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/labstack/echo/v5"

	"helpdesk/contracts/openapi"
	"helpdesk/contracts/problem"
)

// validator checks requests against the OpenAPI document.
type validator struct {
	router routers.Router
}

func newValidator() (*validator, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Spec())
	if err != nil {
		return nil, fmt.Errorf("load OpenAPI document: %w", err)
	}
	if err := doc.Validate(openapi3.NewLoader().Context); err != nil {
		return nil, fmt.Errorf("OpenAPI document is invalid: %w", err)
	}
	doc.Servers = nil // match requests on any host
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("OpenAPI router: %w", err)
	}
	return &validator{router: router}, nil
}

// bodyKey keeps the raw, checked request body in the echo context.
const bodyKey = "helpdesk.body"

// validate is the middleware that reads the body (bounded, valid UTF-8) and
// validates the request against the OpenAPI document. Malformed requests
// become invalid_argument (400); rule violations validation_failed (422).
func (s *Server) validate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		req := c.Request()
		if !utf8.ValidString(req.URL.Path) {
			return problem.New(problem.CodeInvalidArgument, "the path is not valid UTF-8")
		}
		for name, values := range req.URL.Query() {
			for _, v := range values {
				if !utf8.ValidString(name) || !utf8.ValidString(v) {
					return &problem.Error{Code: problem.CodeInvalidArgument, Message: "a query parameter is not valid UTF-8",
						Fields: []problem.FieldError{{Field: strings.ToValidUTF8(name, "?"), Message: "not valid UTF-8"}}}
				}
			}
		}
		var body []byte
		if req.Body != nil && req.Body != http.NoBody {
			var err error
			body, err = io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, s.cfg.BodyLimit))
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return problem.New(problem.CodeTooLarge, "the request body is larger than %d bytes", s.cfg.BodyLimit)
			}
			if err != nil {
				return problem.New(problem.CodeInvalidArgument, "cannot read the request body: %v", err)
			}
			if !utf8.Valid(body) {
				return problem.New(problem.CodeInvalidArgument, "the request body is not valid UTF-8")
			}
			if key := duplicateKey(body); key != "" {
				return &problem.Error{Code: problem.CodeInvalidArgument, Message: "malformed JSON body: a key appears twice in one object",
					Fields: []problem.FieldError{{Field: key, Message: "duplicate key"}}}
			}
		}
		if len(bytes.TrimSpace(body)) == 0 && req.Method == http.MethodPost {
			body = []byte("{}") // commands without fields may omit the body
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		if req.Header.Get("Content-Type") == "" {
			req.Header.Set("Content-Type", "application/json")
		}
		route, params, err := s.validator.router.FindRoute(req)
		if err != nil {
			return echo.ErrNotFound
		}
		err = openapi3filter.ValidateRequest(req.Context(), &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		})
		if err != nil {
			return requestProblem(err)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		c.Set(bodyKey, body)
		return next(c)
	}
}

// requestProblem turns kin-openapi's errors into a problem with one entry
// per field. Shape errors (not JSON, wrong type, unknown field, a parameter
// that does not parse) are invalid_argument (400); rule violations
// (required, length, enum, range) are validation_failed (422).
func requestProblem(err error) error {
	var fields []problem.FieldError
	malformed := false
	var walk func(err error, param string)
	walk = func(err error, param string) {
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, inner := range e {
				walk(inner, param)
			}
		case *openapi3filter.RequestError:
			if e.Parameter != nil {
				param = e.Parameter.Name
				if e.Parameter.In == openapi3.ParameterInHeader || e.Parameter.In == openapi3.ParameterInPath {
					malformed = true // a bad header or path segment is a malformed request
				}
			}
			if e.Err == nil {
				fields = append(fields, problem.FieldError{Field: param, Message: e.Reason})
				return
			}
			walk(e.Err, param)
		case *openapi3.SchemaError:
			field := param
			if p := e.JSONPointer(); len(p) > 0 {
				field = strings.Join(p, ".")
			}
			switch {
			case e.SchemaField == "additionalProperties" || e.SchemaField == "properties" && strings.HasSuffix(e.Reason, "is unsupported"):
				malformed = true
				if name := unknownField(e); name != "" {
					field = strings.TrimPrefix(field+"."+name, ".")
				}
				fields = append(fields, problem.FieldError{Field: field, Message: "unknown field"})
				return
			case e.SchemaField == "type":
				malformed = true
			}
			fields = append(fields, problem.FieldError{Field: field, Message: e.Reason})
		default:
			malformed = true
			fields = append(fields, problem.FieldError{Field: param, Message: err.Error()})
		}
	}
	walk(err, "")
	if malformed {
		return &problem.Error{Code: problem.CodeInvalidArgument, Message: "the request is malformed", Fields: fields}
	}
	return problem.Validation(fields...)
}

// unknownField names the property that additionalProperties refused.
func unknownField(e *openapi3.SchemaError) string {
	if obj, ok := e.Value.(map[string]any); ok && e.Schema != nil {
		for k := range obj {
			if _, known := e.Schema.Properties[k]; !known {
				return k
			}
		}
	}
	return ""
}

// decode unmarshals the validated body strictly into v.
func decode(c *echo.Context, v any) error {
	body, _ := c.Get(bodyKey).([]byte)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return problem.New(problem.CodeInvalidArgument, "malformed JSON body: %v", err)
	}
	if dec.More() {
		return problem.New(problem.CodeInvalidArgument, "malformed JSON body: data after the JSON value")
	}
	return nil
}

// jsonObject is an object being read by duplicateKey: the keys seen so far,
// and whether the next string token is a key.
type jsonObject struct {
	keys      map[string]bool
	expectKey bool
}

// duplicateKey returns the first key that appears twice in one object of
// the JSON document data, or "". encoding/json would silently keep the last
// value, so {"title":"a","title":"b"} could pass a check of the first title
// and store the second. A document that is not JSON gives "": the validator
// reports it.
func duplicateKey(data []byte) string {
	dec := json.NewDecoder(bytes.NewReader(data))
	var stack []*jsonObject // nil entries are arrays
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1] != nil {
			stack[n-1].expectKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &jsonObject{keys: map[string]bool{}, expectKey: true})
			case '[':
				stack = append(stack, nil)
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1] != nil && stack[n-1].expectKey {
				top := stack[n-1]
				if top.keys[t] {
					return t
				}
				top.keys[t], top.expectKey = true, false
				continue
			}
			valueDone()
		default:
			valueDone()
		}
	}
}
