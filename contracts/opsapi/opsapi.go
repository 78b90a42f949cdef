// Package opsapi is the operators' interface to running services:
// projection status and rebuilds, used by the helpdesk CLI over NATS.
package opsapi

// Endpoint names, served by every service that owns projections under
// "helpdesk.<service>.projections.<op>".
const (
	EndpointProjectionStatus  = "projections.status"
	EndpointProjectionRebuild = "projections.rebuild"
)

// ProjectionStatusRequest asks for the status of every projection of a service.
type ProjectionStatusRequest struct{}

// ProjectionStatus is one projection's position in its stream.
type ProjectionStatus struct {
	Name   string `json:"name"`
	Stream string `json:"stream"`
	// Position is the stream sequence of the last applied event.
	Position uint64 `json:"position"`
	// StreamLast is the stream's last sequence.
	StreamLast uint64 `json:"stream_last"`
	// LagEvents is StreamLast - Position.
	LagEvents uint64 `json:"lag_events"`
	// Parked counts the events the projection skipped after repeated
	// failures (see projection_parked in its database); 0 is healthy.
	Parked uint64 `json:"parked"`
}

// ProjectionStatuses lists a service's projections.
type ProjectionStatuses struct {
	Service     string             `json:"service"`
	Projections []ProjectionStatus `json:"projections"`
}

// RebuildProjection asks a service to rebuild one projection from the start
// of its stream. Progress is published on subjects.ProjectionProgress(name)
// while it runs.
type RebuildProjection struct {
	Name string `json:"name"`
}

// RebuildProgress is one progress report of a rebuild.
type RebuildProgress struct {
	Name  string `json:"name"`
	Done  uint64 `json:"done"`
	Total uint64 `json:"total"`
}

// RebuildSummary is the result of a finished rebuild.
type RebuildSummary struct {
	Name       string `json:"name"`
	Events     uint64 `json:"events"`
	Position   uint64 `json:"position"`
	DurationMS int64  `json:"duration_ms"`
}
