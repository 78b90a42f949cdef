package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"

	"helpdesk/contracts/opsapi"
	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
	"helpdesk/infra/launcher"
	"helpdesk/infra/rpc"
)

func projections(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("projections: say 'status' or 'rebuild <name>'")
	}
	op, rest := args[0], args[1:]
	var name string
	if op == "rebuild" {
		if len(rest) == 0 || rest[0] == "" || rest[0][0] == '-' {
			return fmt.Errorf("projections rebuild: name the projection (see 'helpdesk projections status')")
		}
		name, rest = rest[0], rest[1:]
	}
	fs := flag.NewFlagSet("projections "+op, flag.ContinueOnError)
	natsURL := natsFlag(fs)
	timeout := fs.Duration("timeout", time.Hour, "give up after this long")
	if err := parse(fs, rest); err != nil {
		return err
	}
	nc, err := connect(*natsURL, "helpdesk-cli")
	if err != nil {
		return err
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	ctx = rpc.WithCaller(ctx, rpc.Caller{ID: "system:cli", Role: "system"})
	statuses, err := projectionStatuses(ctx, nc)
	if err != nil {
		return err
	}
	switch op {
	case "status":
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "SERVICE\tPROJECTION\tSTREAM\tPOSITION\tSTREAM LAST\tLAG (events)\tPARKED")
		for _, s := range statuses {
			for _, p := range s.Projections {
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%d\t%d\n", s.Service, p.Name, p.Stream, p.Position, p.StreamLast, p.LagEvents, p.Parked)
			}
		}
		return w.Flush()
	case "rebuild":
		for _, s := range statuses {
			for _, p := range s.Projections {
				if p.Name == name {
					return rebuild(ctx, nc, s.Service, name, stdout)
				}
			}
		}
		return fmt.Errorf("no running service owns a projection named %q", name)
	}
	return fmt.Errorf("projections: unknown operation %q", op)
}

// projectionStatuses asks every running service for its projections.
func projectionStatuses(ctx context.Context, nc *nats.Conn) ([]opsapi.ProjectionStatuses, error) {
	var out []opsapi.ProjectionStatuses
	for _, svc := range launcher.Services {
		st, err := rpc.Call[opsapi.ProjectionStatuses](ctx, nc, subjects.Endpoint(svc, opsapi.EndpointProjectionStatus), opsapi.ProjectionStatusRequest{})
		if problem.CodeOf(err) == problem.CodeUnavailable {
			continue // not running, or has no projections
		}
		if err != nil {
			return nil, fmt.Errorf("status of %s: %w", svc, err)
		}
		out = append(out, st)
	}
	return out, nil
}

func rebuild(ctx context.Context, nc *nats.Conn, service, name string, stdout io.Writer) error {
	sub, err := nc.Subscribe(subjects.ProjectionProgress(name), func(m *nats.Msg) {
		var p opsapi.RebuildProgress
		if json.Unmarshal(m.Data, &p) == nil {
			pct := 100.0
			if p.Total > 0 {
				pct = float64(p.Done) * 100 / float64(p.Total)
			}
			fmt.Fprintf(stdout, "rebuilding %s: %d/%d events (%.0f%%)\n", name, p.Done, p.Total, pct)
		}
	})
	if err != nil {
		return fmt.Errorf("subscribe to progress: %w", err)
	}
	defer sub.Unsubscribe()
	fmt.Fprintf(stdout, "rebuilding %s of service %s from the start of its stream...\n", name, service)
	sum, err := rpc.Call[opsapi.RebuildSummary](ctx, nc, subjects.Endpoint(service, opsapi.EndpointProjectionRebuild), opsapi.RebuildProjection{Name: name})
	if err != nil {
		return fmt.Errorf("rebuild %s: %w", name, err)
	}
	_ = nc.Flush()
	fmt.Fprintf(stdout, "rebuilt %s: %d events applied in %s, position %d\n", sum.Name, sum.Events, time.Duration(sum.DurationMS)*time.Millisecond, sum.Position)
	return nil
}
