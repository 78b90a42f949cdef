package gateway

import (
	"net/http"

	"github.com/labstack/echo/v5"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/custapi"
	"helpdesk/contracts/subjects"
)

// customizationRoutes adds the custom-development requests API: one POST
// per workflow step, each with If-Match and a body the step's schema
// allows.
func (s *Server) customizationRoutes(authed *echo.Group) {
	g := authed.Group("/customization-requests")
	handle(g, http.MethodPost, "", authz.CustomizationSubmit, s.submitCustomization)
	handle(g, http.MethodGet, "", authz.CustomizationList, s.listCustomizations)
	handle(g, http.MethodGet, "/board", authz.CustomizationBoard, func(c *echo.Context) error {
		q := custapi.GetBoard{Kind: c.QueryParam("kind")}
		var err error
		if q.PerStatus, err = intParam(c, "per_status"); err != nil {
			return err
		}
		return relay(s, c, subjects.ServiceCustomization, custapi.EndpointBoard, q)
	})
	handle(g, http.MethodGet, "/stats", authz.CustomizationStats, func(c *echo.Context) error {
		var q custapi.GetStats
		var err error
		if q.From, err = timeParam(c, "from"); err != nil {
			return err
		}
		if q.To, err = timeParam(c, "to"); err != nil {
			return err
		}
		return relay(s, c, subjects.ServiceCustomization, custapi.EndpointStats, q)
	})
	handle(g, http.MethodGet, "/:id", authz.CustomizationRead, func(c *echo.Context) error {
		r, err := call[custapi.Request](s, c, subjects.ServiceCustomization, custapi.EndpointGet, custapi.RequestTarget{RequestID: c.Param("id")})
		if err != nil {
			return err
		}
		c.Response().Header().Set("ETag", etag(r.Version))
		return c.JSON(http.StatusOK, r)
	})
	handle(g, http.MethodGet, "/:id/events", authz.CustomizationHistoryRead, func(c *echo.Context) error {
		return relay(s, c, subjects.ServiceCustomization, custapi.EndpointHistory, custapi.RequestTarget{RequestID: c.Param("id")})
	})
	for _, step := range custapi.Steps {
		handle(g, http.MethodPost, "/:id/"+step, authz.CustomizationStep(step), versionedCommand(s, subjects.ServiceCustomization, custapi.EndpointStep,
			func(r custapi.Request) uint64 { return r.Version },
			func(id string, expected uint64, c *echo.Context) (any, error) {
				cmd := custapi.Step{RequestID: id, ExpectedVersion: expected, Step: step}
				err := decodeOptional(c, &struct {
					Comment       *string  `json:"comment"`
					Reason        *string  `json:"reason"`
					EffortDays    *float64 `json:"effort_days"`
					Cost          *float64 `json:"cost"`
					PlannedStart  *string  `json:"planned_start"`
					PlannedEnd    *string  `json:"planned_end"`
					Milestone     *string  `json:"milestone"`
					Description   **string `json:"description"`
					Justification **string `json:"justification"`
				}{&cmd.Comment, &cmd.Reason, &cmd.EffortDays, &cmd.Cost, &cmd.PlannedStart, &cmd.PlannedEnd, &cmd.Milestone,
					&cmd.Description, &cmd.Justification})
				return cmd, err
			}))
	}
}

func (s *Server) submitCustomization(c *echo.Context) error {
	if err := withIdempotencyKey(c); err != nil {
		return err
	}
	var cmd custapi.Submit
	if err := decode(c, &cmd); err != nil {
		return err
	}
	r, err := call[custapi.Request](s, c, subjects.ServiceCustomization, custapi.EndpointSubmit, cmd)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/customization-requests/"+r.ID)
	c.Response().Header().Set("ETag", etag(r.Version))
	return c.JSON(http.StatusCreated, r)
}

func (s *Server) listCustomizations(c *echo.Context) error {
	q := custapi.ListRequests{Status: c.QueryParam("status"), Kind: c.QueryParam("kind"), Requester: c.QueryParam("requester"),
		Assignee: c.QueryParam("assignee"), Cursor: c.QueryParam("cursor")}
	var err error
	if q.Limit, err = intParam(c, "limit"); err != nil {
		return err
	}
	return relay(s, c, subjects.ServiceCustomization, custapi.EndpointList, q)
}
