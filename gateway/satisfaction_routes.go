package gateway

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v5"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/satapi"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/csvsafe"
)

// satisfactionRoutes adds the surveys and satisfaction API.
func (s *Server) satisfactionRoutes(authed *echo.Group) {
	handle(authed, http.MethodGet, "/surveys", authz.SurveyList, s.listSurveys)
	handle(authed, http.MethodGet, "/surveys/:id", authz.SurveyRead, func(c *echo.Context) error {
		return relay(s, c, subjects.ServiceSatisfaction, satapi.EndpointGetSurvey, satapi.SurveyTarget{SurveyID: c.Param("id")})
	})
	handle(authed, http.MethodPost, "/surveys/:id/response", authz.SurveyRespond, callCommand(s, subjects.ServiceSatisfaction, satapi.EndpointRespond, func(c *echo.Context) (any, error) {
		cmd := satapi.Respond{SurveyID: c.Param("id")}
		err := decode(c, &struct {
			Score      *int               `json:"score"`
			Comment    *string            `json:"comment"`
			Solved     **bool             `json:"solved"`
			Dimensions *satapi.Dimensions `json:"dimensions"`
		}{&cmd.Score, &cmd.Comment, &cmd.Solved, &cmd.Dimensions})
		return cmd, err
	}))
	handle(authed, http.MethodGet, "/satisfaction/stats", authz.SatisfactionStats, s.satisfactionStats)
	handle(authed, http.MethodGet, "/satisfaction/followups", authz.SatisfactionFollowUpList, s.listFollowUps)
	handle(authed, http.MethodPost, "/satisfaction/followups/:id/complete", authz.SatisfactionFollowUpComplete, callCommand(s, subjects.ServiceSatisfaction, satapi.EndpointCompleteFollowUp, func(c *echo.Context) (any, error) {
		cmd := satapi.CompleteFollowUp{FollowUpID: c.Param("id")}
		err := decode(c, &struct {
			Contact *string `json:"contact"`
			Outcome *string `json:"outcome"`
		}{&cmd.Contact, &cmd.Outcome})
		return cmd, err
	}))
}

func (s *Server) listSurveys(c *echo.Context) error {
	q := satapi.ListSurveys{Status: c.QueryParam("status"), Cursor: c.QueryParam("cursor")}
	var err error
	if m := c.QueryParam("mine"); m != "" {
		if q.Mine, err = strconv.ParseBool(m); err != nil {
			return problem.InvalidArgument("mine", "must be true or false")
		}
	}
	if q.Limit, err = intParam(c, "limit"); err != nil {
		return err
	}
	return relay(s, c, subjects.ServiceSatisfaction, satapi.EndpointListSurveys, q)
}

func (s *Server) listFollowUps(c *echo.Context) error {
	q := satapi.ListFollowUps{Status: c.QueryParam("status"), Cursor: c.QueryParam("cursor")}
	var err error
	if q.Limit, err = intParam(c, "limit"); err != nil {
		return err
	}
	return relay(s, c, subjects.ServiceSatisfaction, satapi.EndpointListFollowUps, q)
}

// satisfactionStats answers JSON, or CSV when the client accepts text/csv
// (and not JSON first).
func (s *Server) satisfactionStats(c *echo.Context) error {
	q := satapi.GetStats{GroupBy: c.QueryParam("group_by")}
	var err error
	if q.From, err = timeParam(c, "from"); err != nil {
		return err
	}
	if q.To, err = timeParam(c, "to"); err != nil {
		return err
	}
	if !wantsCSV(c.Request().Header.Get("Accept")) {
		return relay(s, c, subjects.ServiceSatisfaction, satapi.EndpointStats, q)
	}
	st, err := call[satapi.Stats](s, c, subjects.ServiceSatisfaction, satapi.EndpointStats, q)
	if err != nil {
		return err
	}
	body, err := statsCSV(st)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="satisfaction.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", body)
}

// wantsCSV tells whether an Accept header asks for text/csv before JSON.
func wantsCSV(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "text/csv":
			return true
		case "application/json", "application/*", "*/*":
			return false
		}
	}
	return false
}

// statsCSV writes the figures as CSV: a header, a row per group, then
// the total (key "total"). It starts with a UTF-8 byte order mark, so that
// spreadsheet programs read Chinese category names right.
func statsCSV(st satapi.Stats) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	rows := [][]string{{"group_by", "key", "issued", "responses", "csat", "avg_score", "response_rate", "followups", "followups_completed", "followups_overdue"}}
	f := strconv.FormatFloat
	add := func(key string, g satapi.Figures) {
		rows = append(rows, []string{csvsafe.Text(st.GroupBy), csvsafe.Text(key), strconv.Itoa(g.Issued), strconv.Itoa(g.Responses),
			f(g.CSAT, 'f', 4, 64), f(g.AvgScore, 'f', 4, 64), f(g.ResponseRate, 'f', 4, 64),
			strconv.Itoa(g.FollowUps), strconv.Itoa(g.FollowUpsCompleted), strconv.Itoa(g.FollowUpsOverdue)})
	}
	for _, g := range st.Groups {
		add(g.Key, g)
	}
	add("total", st.Total)
	if err := w.WriteAll(rows); err != nil {
		return nil, problem.New(problem.CodeInternal, "write CSV: %v", err)
	}
	return buf.Bytes(), nil
}
