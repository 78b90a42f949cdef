package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"helpdesk/tests/load"
)

// HotlineResult is what the hotline phase measured, with 200 signed-in
// agents: routing decisions (POST /api/v1/calls, which the PBX waits on)
// when 50 calls arrive at once (Burst: the goal), and the most decisions
// per second that 50 PBX channels get when each places call after call as
// fast as it can, every call answered, ended and its agent ready again
// (Saturated); beside GET /healthz from 50 clients.
type HotlineResult struct {
	Agents  int   `json:"agents"`
	Callers int   `json:"callers"`
	Bursts  int   `json:"bursts"`
	Calls   int64 `json:"calls"`
	Queued  int64 `json:"queued"`
	Errors  int64 `json:"errors"`
	// Burst is the routing latency of calls arriving 50 at a time.
	Burst Latency `json:"burst"`
	// Decisions is the routing decisions per second at saturation, and
	// Saturated their latency there.
	Decisions float64 `json:"decisions_per_sec"`
	Saturated Latency `json:"saturated"`
	// Cycle is a whole call at saturation: offer, answer, end, agent ready.
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
		id, err := admin.createUser(fmt.Sprintf("hotline-%03d", i), "agent", fmt.Sprintf("%04d", 1000+i))
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
	call := func(ctx context.Context, rec, cycle *load.Recorder) error {
		err := placeCall(ctx, pbx, seq.Add(1), skills, rec, cycle, &queued)
		if err != nil && ctx.Err() == nil {
			firstErr.CompareAndSwap(nil, err)
		}
		return err
	}
	res.Agents, res.Callers = hotlineAgents, hotlineCallers
	burst, failed := bursts(cfg, pbx, &seq, skills, &queued, &res.Bursts)
	res.Burst = latencyOf(burst, 0)
	fmt.Printf("  => %d bursts of %d calls: routing p50 %.1f ms, p99 %.1f ms\n", res.Bursts, hotlineCallers, res.Burst.P50Ms, res.Burst.P99Ms)

	cycle := &load.Recorder{}
	rcfg := cfg
	rcfg.concurrency = hotlineCallers
	stopProfile, err := startCPUProfile(cfg.cpuProfile)
	if err != nil {
		return err
	}
	rec, rate, sfailed := measure(rcfg, "hotline", func(ctx context.Context, w int, rec *load.Recorder) error {
		return call(ctx, rec, cycle)
	})
	stopProfile()
	if err, _ := firstErr.Load().(error); err != nil {
		fmt.Printf("  first error: %v\n", err)
	}
	res.Calls, res.Decisions, res.Queued, res.Errors = seq.Load(), rate, queued.Load(), failed+sfailed
	res.Saturated = latencyOf(rec, rate)
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
	fmt.Printf("  => saturated: %.0f routing decisions/s, p50 %.1f ms, p99 %.1f ms (floor p99 %.1f ms), %d queued, %d errors\n\n",
		rate, res.Saturated.P50Ms, res.Saturated.P99Ms, res.Floor.P99Ms, res.Queued, res.Errors)
	return nil
}

// bursts places calls hotlineCallers at a time for the configured
// duration: the calls of a burst arrive at once and are routed (their
// latency recorded), then they are answered and ended and their agents
// made ready, then the next burst arrives. It returns the routing
// latencies and how many calls failed.
func bursts(cfg config, pbx *api, seq *atomic.Int64, skills []string, queued *atomic.Int64, n *int) (*load.Recorder, int64) {
	var failed atomic.Int64
	burst := func(rec *load.Recorder) {
		ids, agents := make([]string, hotlineCallers), make([]string, hotlineCallers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range hotlineCallers {
			wg.Go(func() {
				<-start
				var err error
				if ids[i], agents[i], err = offerCall(context.Background(), pbx, seq.Add(1), skills, rec); err != nil {
					failed.Add(1)
					ids[i] = ""
				}
			})
		}
		close(start)
		wg.Wait()
		for i := range hotlineCallers {
			if ids[i] == "" {
				continue
			}
			wg.Go(func() {
				if completeCall(pbx, ids[i], agents[i], queued) != nil {
					failed.Add(1)
				}
			})
		}
		wg.Wait()
	}
	for end := time.Now().Add(cfg.warmup); time.Now().Before(end); {
		burst(&load.Recorder{})
	}
	failed.Store(0)
	rec := &load.Recorder{}
	next := time.Now().Add(time.Second)
	for end := time.Now().Add(cfg.duration); time.Now().Before(end); *n++ {
		burst(rec)
		if time.Now().After(next) {
			fmt.Printf("  %-8s %6d bursts\n", "bursts", *n+1)
			next = next.Add(time.Second)
		}
	}
	return rec, failed.Load()
}

// placeCall is one call as the PBX places it: offered (the routing
// decision recorded in rec), then completed (the whole call recorded in
// cycle).
func placeCall(ctx context.Context, pbx *api, n int64, skills []string, rec, cycle *load.Recorder, queued *atomic.Int64) error {
	start := time.Now()
	id, agent, err := offerCall(ctx, pbx, n, skills, rec)
	if err != nil {
		return err
	}
	if err := completeCall(pbx, id, agent, queued); err != nil {
		return err
	}
	cycle.Add(time.Since(start))
	return nil
}

// offerCall offers the n-th call and records how long the decision took;
// it returns the agent the call rings, "" when it waits.
func offerCall(ctx context.Context, pbx *api, n int64, skills []string, rec *load.Recorder) (id, agent string, err error) {
	id = fmt.Sprintf("bench-%d", n)
	start := time.Now()
	status, body, err := pbx.post(ctx, "/api/v1/calls", map[string]any{
		"call_id": id, "caller": fmt.Sprintf("138%08d", n%100_000_000), "hotline": "4001234567", "skill": skills[n%3],
	})
	if err != nil || status != http.StatusOK {
		return id, "", fmt.Errorf("offer %s: %d %s %v", id, status, body, err)
	}
	rec.Add(time.Since(start))
	var d struct {
		Action string
		Agent  struct{ ID string }
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return id, "", err
	}
	return id, d.Agent.ID, nil
}

// completeCall answers and ends a ringing call and makes its agent ready
// again; a waiting call is abandoned at once.
func completeCall(pbx *api, id, agent string, queued *atomic.Int64) error {
	if agent == "" {
		queued.Add(1)
		return pbx.expect(http.StatusOK, "/api/v1/calls/"+id+"/ended", map[string]any{"disposition": "abandoned"})
	}
	for _, step := range []struct {
		path string
		body any
	}{
		{"/api/v1/calls/" + id + "/answered", map[string]any{}},
		{"/api/v1/calls/" + id + "/ended", map[string]any{"disposition": "answered"}},
		{"/api/v1/hotline/agents/" + agent + "/state", map[string]any{"state": "ready"}},
	} {
		if err := pbx.expect(http.StatusOK, step.path, step.body); err != nil {
			return err
		}
	}
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
