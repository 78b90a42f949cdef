package gateway

import (
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/labstack/echo/v5"
)

func newTestContext(req *http.Request) *echo.Context {
	return echo.New().NewContext(req, httptest.NewRecorder())
}

func timeZero() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
