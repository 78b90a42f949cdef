package gateway

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v5"

	"helpdesk/contracts/problem"
)

// statusOf maps every error code to its HTTP status: the one place where
// service errors become HTTP.
var statusOf = map[problem.Code]int{
	problem.CodeInvalidArgument:    http.StatusBadRequest,
	problem.CodeValidation:         http.StatusUnprocessableEntity,
	problem.CodeUnauthenticated:    http.StatusUnauthorized,
	problem.CodePermissionDenied:   http.StatusForbidden,
	problem.CodeNotFound:           http.StatusNotFound,
	problem.CodeConflict:           http.StatusConflict,
	problem.CodePreconditionFailed: http.StatusPreconditionFailed,
	problem.CodeTooManyRequests:    http.StatusTooManyRequests,
	problem.CodeTooLarge:           http.StatusRequestEntityTooLarge,
	problem.CodeUnavailable:        http.StatusServiceUnavailable,
	problem.CodeInternal:           http.StatusInternalServerError,
}

// codeOfStatus maps the statuses Echo itself produces back to codes.
var codeOfStatus = map[int]problem.Code{
	http.StatusBadRequest:            problem.CodeInvalidArgument,
	http.StatusUnauthorized:          problem.CodeUnauthenticated,
	http.StatusForbidden:             problem.CodePermissionDenied,
	http.StatusNotFound:              problem.CodeNotFound,
	http.StatusMethodNotAllowed:      problem.CodeInvalidArgument,
	http.StatusRequestEntityTooLarge: problem.CodeTooLarge,
	http.StatusUnsupportedMediaType:  problem.CodeInvalidArgument,
	http.StatusTooManyRequests:       problem.CodeTooManyRequests,
	http.StatusServiceUnavailable:    problem.CodeUnavailable,
}

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type     string               `json:"type"`
	Title    string               `json:"title"`
	Status   int                  `json:"status"`
	Detail   string               `json:"detail,omitempty"`
	Code     problem.Code         `json:"code"`
	Instance string               `json:"instance,omitempty"`
	Errors   []problem.FieldError `json:"errors,omitempty"`
}

// errorHandler answers every error as application/problem+json.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(c *echo.Context, err error) {
		if resp, uerr := echo.UnwrapResponse(c.Response()); uerr == nil && resp.Committed {
			return
		}
		p := toProblem(err)
		if p.Status >= 500 {
			log.ErrorContext(c.Request().Context(), "request failed", "method", c.Request().Method,
				"path", c.Request().URL.Path, "error", err)
		}
		p.Instance = c.Request().URL.Path
		if p.Status == http.StatusUnauthorized {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="helpdesk"`)
		}
		body, _ := json.Marshal(p)
		_ = c.Blob(p.Status, "application/problem+json", body)
	}
}

func toProblem(err error) Problem {
	perr := problem.As(err)
	if perr == nil {
		if status := echo.StatusCode(err); status != 0 {
			code, ok := codeOfStatus[status]
			if !ok {
				code = problem.CodeInternal
			}
			perr = problem.New(code, "%s", http.StatusText(status))
			if status >= 500 {
				perr.Message = "internal error"
			}
			p := newProblem(perr)
			p.Status = status
			return p
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			perr = problem.New(problem.CodeTooLarge, "the request body is larger than %d bytes", tooBig.Limit)
		} else {
			perr = problem.New(problem.CodeInternal, "internal error")
		}
	}
	return newProblem(perr)
}

func newProblem(perr *problem.Error) Problem {
	status, ok := statusOf[perr.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	return Problem{
		Type:   "urn:helpdesk:problem:" + string(perr.Code),
		Title:  http.StatusText(status),
		Status: status,
		Detail: perr.Message,
		Code:   perr.Code,
		Errors: perr.Fields,
	}
}
