package projection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"helpdesk/contracts/opsapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/rpc"
)

// RegisterControl adds the operators' endpoints for the given runners to a
// service: projections.status and projections.rebuild (see opsapi). Only
// system callers (the CLI) and admins may use them.
func RegisterControl(svc *rpc.Service, runners ...*Runner) error {
	byName := map[string]*Runner{}
	for _, r := range runners {
		byName[r.Name()] = r
	}
	status := func(ctx context.Context, _ opsapi.ProjectionStatusRequest) (opsapi.ProjectionStatuses, error) {
		if err := operator(ctx); err != nil {
			return opsapi.ProjectionStatuses{}, err
		}
		out := opsapi.ProjectionStatuses{Service: svc.Name()}
		for _, r := range runners {
			st, err := r.js.Stream(ctx, r.Stream())
			if err != nil {
				return out, fmt.Errorf("status of %s: %w", r.Name(), err)
			}
			last, pos := st.CachedInfo().State.LastSeq, r.Position()
			var parked uint64
			if c, ok := r.target.(ParkedCounter); ok {
				if parked, err = c.ParkedCount(ctx); err != nil {
					return out, fmt.Errorf("status of %s: %w", r.Name(), err)
				}
			}
			out.Projections = append(out.Projections, opsapi.ProjectionStatus{
				Name: r.Name(), Stream: r.Stream(), Position: pos, StreamLast: last, LagEvents: last - min(pos, last), Parked: parked,
			})
		}
		return out, nil
	}
	rebuild := func(ctx context.Context, req opsapi.RebuildProjection) (opsapi.RebuildSummary, error) {
		if err := operator(ctx); err != nil {
			return opsapi.RebuildSummary{}, err
		}
		r, ok := byName[req.Name]
		if !ok {
			return opsapi.RebuildSummary{}, problem.NotFound("projection", req.Name)
		}
		ctx = context.WithoutCancel(ctx) // a rebuild, once started, finishes
		sum, err := r.Rebuild(ctx, func(done, total uint64) {
			data, _ := json.Marshal(opsapi.RebuildProgress{Name: r.Name(), Done: done, Total: total})
			_ = r.cfg.Conn.Publish(subjects.ProjectionProgress(r.Name()), data)
		})
		if err != nil {
			return opsapi.RebuildSummary{}, err
		}
		return opsapi.RebuildSummary{Name: sum.Name, Events: sum.Events, Position: sum.Position, DurationMS: sum.Duration.Milliseconds()}, nil
	}
	return errors.Join(
		rpc.Register(svc, opsapi.EndpointProjectionStatus, status),
		rpc.Register(svc, opsapi.EndpointProjectionRebuild, rebuild),
	)
}

func operator(ctx context.Context) error {
	switch rpc.CallerFrom(ctx).Role {
	case "system", "admin":
		return nil
	}
	return problem.New(problem.CodePermissionDenied, "only operators may manage projections")
}
