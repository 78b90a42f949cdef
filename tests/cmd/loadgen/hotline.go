package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"helpdesk/tests/load"
)

// HotlineResult is what the hotline phase measured: routing decisions
// (POST /api/v1/calls, which the PBX waits on) with 200 agents and 50
// calls arriving at once, each call then answered and ended and its agent
// ready again; beside GET /healthz from the same number of clients.
type HotlineResult struct {
	Agents    int     `json:"agents"`
	Callers   int     `json:"callers"`
	Calls     int64   `json:"calls"`
	Decisions float64 `json:"decisions_per_sec"`
	Queued    int64   `json:"queued"`
	Errors    int64   `json:"errors"`
	Routing   Latency `json:"routing"`
	// Cycle is a whole call: offer, answer, end, agent ready.
	Cycle Latency `json:"cycle"`
	Floor Latency `json:"floor"`
}

const (
	hotlineAgents  = 200
	hotlineCallers = 50
)

// hotlinePhase measures the automatic call distribution through the
// gateway, authenticated as a PBX.
func hotlinePhase(cfg config, res *HotlineResult) error {
	fmt.Printf("Phase: hotline routing, %d agents, %d calls arriving at once\n", hotlineAgents, hotlineCallers)
	dir, cleanup, err := tempDir(cfg, "hotline")
	if err != nil {
		return err
	}
	defer cleanup()
	sys, anon, admin, err := startSystem(dir, hotlineCallers, 0)
	if err != nil {
		return err
	}
	defer sys.Stop(context.Background())
	status, body, err := admin.post(context.Background(), "/api/v1/hotline/pbx-keys", map[string]string{"name": "loadgen"})
	if err != nil || status != http.StatusCreated {
		return fmt.Errorf("create PBX key: %d %s %v", status, body, err)
	}
	var key struct{ Key string }
	if err := json.Unmarshal(body, &key); err != nil {
		return err
	}
	pbx := &api{base: anon.base, http: anon.http, apiKey: key.Key}

	skills := []string{"账号", "考试", "故障"}
	fmt.Printf("  signing in %d agents\n", hotlineAgents)
	for i := range hotlineAgents {
		id, err := admin.createStaff(fmt.Sprintf("hotline-%03d", i), fmt.Sprintf("%04d", 1000+i))
		if err != nil {
			return err
		}
		mine := []string{skills[i%3], skills[(i+1)%3]}
		if err := pbx.expect(http.StatusOK, "/api/v1/hotline/agents/"+id+"/login", map[string]any{"extension": fmt.Sprint(8000 + i), "skills": mine}); err != nil {
			return err
		}
		if err := pbx.expect(http.StatusOK, "/api/v1/hotline/agents/"+id+"/state", map[string]any{"state": "ready"}); err != nil {
			return err
		}
	}

	var seq, queued atomic.Int64
	var firstErr atomic.Value
	cycle := &load.Recorder{}
	rcfg := cfg
	rcfg.concurrency = hotlineCallers
	rec, rate, failed := measure(rcfg, "hotline", func(ctx context.Context, w int, rec *load.Recorder) error {
		err := placeCall(ctx, pbx, seq.Add(1), skills, rec, cycle, &queued)
		if err != nil && ctx.Err() == nil {
			firstErr.CompareAndSwap(nil, err)
		}
		return err
	})
	if err, _ := firstErr.Load().(error); err != nil {
		fmt.Printf("  first error: %v\n", err)
	}
	res.Agents, res.Callers, res.Calls, res.Decisions, res.Queued, res.Errors = hotlineAgents, hotlineCallers, seq.Load(), rate, queued.Load(), failed
	res.Routing = latencyOf(rec, rate)
	res.Cycle = latencyOf(cycle, 0)
	floor, frate, _ := measure(rcfg, "floor", func(ctx context.Context, _ int, rec *load.Recorder) error {
		start := time.Now()
		status, _, err := anon.get(ctx, "/healthz")
		if err != nil || status != http.StatusOK {
			return fmt.Errorf("healthz: %d %v", status, err)
		}
		rec.Add(time.Since(start))
		return nil
	})
	res.Floor = latencyOf(floor, frate)
	fmt.Printf("  => %.0f routing decisions/s, p50 %.1f ms, p99 %.1f ms (floor p99 %.1f ms), %d queued, %d errors\n\n",
		rate, res.Routing.P50Ms, res.Routing.P99Ms, res.Floor.P99Ms, res.Queued, failed)
	return nil
}

// placeCall is one call as the PBX places it: offer (the routing decision
// recorded in rec), then answer, end and the agent ready again (the whole
// call recorded in cycle); a queued call is abandoned at once.
func placeCall(ctx context.Context, pbx *api, n int64, skills []string, rec, cycle *load.Recorder, queued *atomic.Int64) error {
	id := fmt.Sprintf("bench-%d", n)
	start := time.Now()
	status, body, err := pbx.post(ctx, "/api/v1/calls", map[string]any{
		"call_id": id, "caller": fmt.Sprintf("138%08d", n%100_000_000), "hotline": "4001234567", "skill": skills[n%3],
	})
	if err != nil || status != http.StatusOK {
		return fmt.Errorf("offer %s: %d %s %v", id, status, body, err)
	}
	rec.Add(time.Since(start))
	var d struct {
		Action string
		Agent  struct{ ID string }
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return err
	}
	if d.Action != "ring" {
		queued.Add(1)
		return pbx.expect(http.StatusOK, "/api/v1/calls/"+id+"/ended", map[string]any{"disposition": "abandoned"})
	}
	for _, step := range []struct {
		path string
		body any
	}{
		{"/api/v1/calls/" + id + "/answered", map[string]any{}},
		{"/api/v1/calls/" + id + "/ended", map[string]any{"disposition": "answered"}},
		{"/api/v1/hotline/agents/" + d.Agent.ID + "/state", map[string]any{"state": "ready"}},
	} {
		if err := pbx.expect(http.StatusOK, step.path, step.body); err != nil {
			return err
		}
	}
	cycle.Add(time.Since(start))
	return nil
}

// latencyOf summarises a recorder.
func latencyOf(rec *load.Recorder, perSec float64) Latency {
	return Latency{PerSec: perSec, P50Ms: ms(rec.Percentile(50)), P99Ms: ms(rec.Percentile(99))}
}

// expect posts body and wants the status.
func (a *api) expect(status int, path string, body any) error {
	got, resp, err := a.post(context.Background(), path, body)
	if err != nil || got != status {
		return fmt.Errorf("POST %s: %d %s %v", path, got, resp, err)
	}
	return nil
}

// createStaff creates an agent account with a work number.
func (a *api) createStaff(name, workNumber string) (string, error) {
	status, body, err := a.post(context.Background(), "/api/v1/users", map[string]string{
		"username": name, "password": benchPassword, "role": "agent", "display_name": "坐席 " + workNumber, "work_number": workNumber,
	})
	if err != nil || status != http.StatusCreated {
		return "", fmt.Errorf("create %s: %d %s %v", name, status, body, err)
	}
	var u struct {
		ID string `json:"id"`
	}
	return u.ID, json.Unmarshal(body, &u)
}
