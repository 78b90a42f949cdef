// Command loadgen measures Helpdesk on this machine, in one run: the raw
// JetStream append rate (the baseline), ticket creations per second through
// the REST gateway of a freshly started all-in-one system, their latency, and
// how long a new ticket takes to show up in the list read model; then the
// knowledge base with generated articles: index rebuild rate, index size,
// and search and suggestion latency from many clients; then the system as
// it is deployed (scale): `helpdesk up` and the split services as child
// processes, projection rebuild rates into SQLite and PostgreSQL, and the
// startup time over a large event log. Every target is on loopback; every
// phase is bounded in time.
//
//	go run ./tests/cmd/loadgen [-c 32] [-d 10s] [-phase all|raw|system|hotline|kb|scale] [-kb-articles 100000]
//	    [-kb-clients 50] [-kb-pause 150ms] [-kb-cache 10000|-1] [-kb-clients-in-process]
//	    [-scale-events 1000000] [-scale-rebuild-events 200000] [-scale-restarts 3] [-scale-parts all|deploy,rebuild,startup]
//	    [-scale-cache DIR] [-scale-max-batch N]
//	    [-helpdesk bin/helpdesk]
//	    [-postgres URL] [-json out.json] [-cpuprofile cpu.prof]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/events"
	"helpdesk/contracts/subjects"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/launcher"
	"helpdesk/infra/natsembed"
	"helpdesk/tests/load"
)

type config struct {
	concurrency int
	duration    time.Duration
	warmup      time.Duration
	phase       string
	jsonOut     string
	cpuProfile  string
	keep        bool
	kbArticles  int
	kbClients   int
	kbPause     time.Duration
	kbCache     int
	kbInProcess bool
	// scaleEvents is the size of the event log the startup is timed
	// with; scaleRebuildEvents how many events the rebuilds replay.
	scaleEvents        int
	scaleRebuildEvents int
	scaleRestarts      int
	// scaleParts are the scale phase's parts to run: all, or a
	// comma-separated list of deploy, rebuild and startup.
	scaleParts string
	// scaleCache keeps the startup's caught-up data directory for later
	// runs; empty generates it in the run's temporary directory.
	scaleCache string
	// scaleMaxBatch is the projection runner's MaxBatch in the rebuilds.
	scaleMaxBatch int
	// helpdesk is the helpdesk binary the scale phase runs; empty builds it.
	helpdesk string
	// postgres is the PostgreSQL URL of the rebuild; empty skips it.
	postgres string
}

// Result is everything one run measured.
type Result struct {
	Machine           string         `json:"machine"`
	Concurrency       int            `json:"concurrency"`
	DurationSeconds   float64        `json:"duration_seconds"`
	RawAppendsPerSec  float64        `json:"raw_appends_per_sec"`
	RawP50Ms          float64        `json:"raw_p50_ms"`
	RawP99Ms          float64        `json:"raw_p99_ms"`
	CreatesPerSec     float64        `json:"creates_per_sec"`
	CreateP50Ms       float64        `json:"create_p50_ms"`
	CreateP99Ms       float64        `json:"create_p99_ms"`
	CreateMaxMs       float64        `json:"create_max_ms"`
	CreateErrors      int64          `json:"create_errors"`
	LagLoadedP50Ms    float64        `json:"visibility_lag_under_load_p50_ms"`
	LagLoadedP99Ms    float64        `json:"visibility_lag_under_load_p99_ms"`
	LagLoadedSamples  int            `json:"visibility_lag_under_load_samples"`
	LagQuietP50Ms     float64        `json:"visibility_lag_quiet_p50_ms"`
	LagQuietP99Ms     float64        `json:"visibility_lag_quiet_p99_ms"`
	LagQuietSamples   int            `json:"visibility_lag_quiet_samples"`
	RatioToRawPercent float64        `json:"ratio_to_raw_percent"`
	KB                *KBResult      `json:"knowledge_base,omitempty"`
	Hotline           *HotlineResult `json:"hotline,omitempty"`
	Scale             *ScaleResult   `json:"scale,omitempty"`
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == kbClientCommand {
		if err := kbClientMain(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen kb-client:", err)
			os.Exit(1)
		}
		return
	}
	var cfg config
	flag.IntVar(&cfg.concurrency, "c", 32, "concurrent clients (and concurrent raw appenders)")
	flag.DurationVar(&cfg.duration, "d", 10*time.Second, "measured duration of each phase")
	flag.DurationVar(&cfg.warmup, "warmup", time.Second, "unmeasured warm-up before each phase")
	flag.StringVar(&cfg.phase, "phase", "all", "all, raw, system, hotline, kb or scale (scale runs the raw baseline too)")
	flag.IntVar(&cfg.kbArticles, "kb-articles", 100_000, "generated articles in the knowledge-base phase")
	flag.IntVar(&cfg.kbClients, "kb-clients", 50, "concurrent search and suggestion clients")
	flag.BoolVar(&cfg.kbInProcess, "kb-clients-in-process", false, "run the search clients in this process, beside the system, instead of in a child process")
	flag.IntVar(&cfg.kbCache, "kb-cache", 10000, "search results the knowledge service caches; -1 for none")
	flag.DurationVar(&cfg.kbPause, "kb-pause", 150*time.Millisecond, "mean pause between one client's requests in the paced runs (a typing pace; each pause is 0.5 to 1.5 times it)")
	flag.IntVar(&cfg.scaleEvents, "scale-events", 1_000_000, "events in the log the scale phase times the startup of helpdesk up with")
	flag.IntVar(&cfg.scaleRebuildEvents, "scale-rebuild-events", 200_000, "ticket events the scale phase rebuilds the ticket_list projection from")
	flag.IntVar(&cfg.scaleRestarts, "scale-restarts", 3, "timed restarts of helpdesk up over the large event log (the median is reported)")
	flag.StringVar(&cfg.scaleParts, "scale-parts", "all", "parts of the scale phase: all, or a comma-separated list of deploy (all-in-one and split under load), rebuild, startup")
	flag.StringVar(&cfg.scaleCache, "scale-cache", "", "keep the scale phase's generated and caught-up event log in this directory and reuse it in later runs; default: generate it in the run's temporary directory")
	flag.IntVar(&cfg.scaleMaxBatch, "scale-max-batch", 0, "the projection runner's MaxBatch in the scale phase's rebuilds; 0 for its default, as the services run it")
	flag.StringVar(&cfg.helpdesk, "helpdesk", "", "the helpdesk binary of the scale phase; default: go build it")
	flag.StringVar(&cfg.postgres, "postgres", envOr("HELPDESK_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"),
		"PostgreSQL of the scale phase's rebuild (a schema of its own, dropped afterwards); empty to skip (HELPDESK_TEST_POSTGRES)")
	flag.StringVar(&cfg.jsonOut, "json", "", "also write the results as JSON to this file")
	flag.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the measured load of the phase chosen with -phase (the system phase with -phase all; the SQLite rebuild with -phase scale) to this file")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the temporary data directories")
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	if _, err := scaleParts(cfg.scaleParts); err != nil {
		return err
	}
	res := Result{Machine: machine(), Concurrency: cfg.concurrency, DurationSeconds: cfg.duration.Seconds()}
	fmt.Printf("Helpdesk load test — %s\nconcurrency %d, %s per phase after %s warm-up\n\n", res.Machine, cfg.concurrency, cfg.duration, cfg.warmup)
	if cfg.phase == "all" || cfg.phase == "raw" || cfg.phase == "scale" {
		if err := rawPhase(cfg, &res); err != nil {
			return fmt.Errorf("raw phase: %w", err)
		}
	}
	if cfg.phase == "all" || cfg.phase == "system" {
		if err := systemPhase(cfg, &res); err != nil {
			return fmt.Errorf("system phase: %w", err)
		}
	}
	if cfg.phase == "all" || cfg.phase == "hotline" {
		res.Hotline = &HotlineResult{}
		if err := hotlinePhase(cfg, res.Hotline); err != nil {
			return fmt.Errorf("hotline phase: %w", err)
		}
	}
	if cfg.phase == "all" || cfg.phase == "kb" {
		res.KB = &KBResult{}
		if err := kbPhase(cfg, res.KB); err != nil {
			return fmt.Errorf("knowledge-base phase: %w", err)
		}
	}
	if cfg.phase == "all" || cfg.phase == "scale" {
		res.Scale = &ScaleResult{}
		if err := scalePhase(cfg, res.Scale); err != nil {
			return fmt.Errorf("scale phase: %w", err)
		}
	}
	if res.RawAppendsPerSec > 0 {
		res.RatioToRawPercent = 100 * res.CreatesPerSec / res.RawAppendsPerSec
	}
	report(res)
	if cfg.jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(cfg.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				model = strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs, GOMAXPROCS %d, %s", model, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
}

func tempDir(cfg config, name string) (string, func(), error) {
	dir, err := os.MkdirTemp("", "helpdesk-bench-"+name+"-")
	if err != nil {
		return "", nil, err
	}
	return dir, func() {
		if !cfg.keep {
			os.RemoveAll(dir)
		}
	}, nil
}

// measure runs work from the configured number of workers for the warm-up
// (unrecorded) and the duration, printing progress every second.
func measure(cfg config, phase string, work func(ctx context.Context, worker int, rec *load.Recorder) error) (*load.Recorder, float64, int64) {
	warm, cancel := context.WithTimeout(context.Background(), cfg.warmup)
	load.Run(warm, cfg.concurrency, func(ctx context.Context, w int) error { return work(ctx, w, &load.Recorder{}) })
	cancel()

	rec := &load.Recorder{}
	var done atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), cfg.duration)
	defer cancel()
	stop := progress(phase, &done)
	start := time.Now()
	ok, failed := load.Run(ctx, cfg.concurrency, func(ctx context.Context, w int) error {
		err := work(ctx, w, rec)
		if err == nil {
			done.Add(1)
		}
		return err
	})
	elapsed := time.Since(start)
	stop()
	return rec, float64(ok) / elapsed.Seconds(), failed
}

func progress(phase string, done *atomic.Int64) func() {
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		var last int64
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			case <-t.C:
				n := done.Load()
				fmt.Printf("  %-8s %3ds  %9d done  %8d/s\n", phase, i, n, n-last)
				last = n
			}
		}
	}()
	return func() { close(stop); <-finished }
}

// payload is a realistic ticket.opened body (about 500 bytes, Chinese text).
func payload() ticketapi.Opened {
	return ticketapi.Opened{
		Title:       "打印机无法连接网络，无法打印考试报名表",
		Description: "办公室的网络打印机从昨天下午开始无法连接网络。已经尝试重启打印机和路由器，问题依旧。打印机型号 HP LaserJet M404，IP 地址 10.0.3.25。影响到整个部门的考试报名表打印，请尽快处理。",
		Category:    "系统故障", Priority: "P2", Channel: "web", Requester: uuid.NewString(),
		FirstResponseDue: time.Now().Add(4 * time.Hour).UTC(), ResolutionDue: time.Now().Add(24 * time.Hour).UTC(),
	}
}

// startEmbedded starts an embedded NATS server with its store in dir
// (fsync every sync; 0 for the server's default) and connects to it; stop
// closes both.
func startEmbedded(dir string, sync time.Duration) (*nats.Conn, jetstream.JetStream, func(), error) {
	srv, err := natsembed.Start(natsembed.Config{DataDir: dir, Listen: "127.0.0.1:-1", SyncInterval: sync})
	if err != nil {
		return nil, nil, nil, err
	}
	nc, err := srv.Connect()
	if err != nil {
		srv.Shutdown()
		return nil, nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		srv.Shutdown()
		return nil, nil, nil, err
	}
	return nc, js, func() { nc.Close(); srv.Shutdown() }, nil
}

func rawPhase(cfg config, res *Result) error {
	fmt.Println("Phase 1: raw JetStream appends (baseline), embedded NATS with file storage")
	dir, cleanup, err := tempDir(cfg, "raw")
	if err != nil {
		return err
	}
	defer cleanup()
	_, js, stop, err := startEmbedded(dir, syncInterval)
	if err != nil {
		return err
	}
	defer stop()
	store, err := eventstore.NewJetStream(context.Background(), js, subjects.ServiceTicket)
	if err != nil {
		return err
	}
	p := payload()
	rec, rate, failed := measure(cfg, "raw", func(ctx context.Context, _ int, rec *load.Recorder) error {
		id := uuid.Must(uuid.NewV7()).String()
		env, err := events.New(ticketapi.Source, subjects.AggregateTicket, id, p, time.Now(), events.Metadata{Actor: "bench", ActorRole: "system"})
		if err != nil {
			return err
		}
		start := time.Now()
		_, err = store.Append(ctx, subjects.Ticket(id), []events.Envelope{env}, eventstore.AppendOptions{})
		if err == nil {
			rec.Add(time.Since(start))
		}
		return err
	})
	if failed > 0 {
		fmt.Printf("  %d appends failed\n", failed)
	}
	res.RawAppendsPerSec, res.RawP50Ms, res.RawP99Ms = rate, ms(rec.Percentile(50)), ms(rec.Percentile(99))
	fmt.Printf("  => %.0f appends/s, p50 %.2f ms, p99 %.2f ms\n\n", rate, res.RawP50Ms, res.RawP99Ms)
	return nil
}

// startSystem starts `helpdesk up` in dir for the load, with the search
// cache size given (0 for the default), and signs the admin in.
func startSystem(dir string, clients, searchCache int) (sys *launcher.System, anon, admin *api, err error) {
	logger := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sys, err = launcher.Up(context.Background(), launcher.UpConfig{
		DataDir: dir, Listen: "127.0.0.1:0", NATSListen: "127.0.0.1:-1", NATSSyncInterval: syncInterval,
		AdminPassword: adminPassword, Logger: logger, SearchCache: searchCache,
		// The load signs in as the accounts it creates: no forced password
		// change at first login (load generation only).
		Auth: launcher.Auth{AdminSetPasswordsFinal: true, AdminPasswordFinal: true},
	})
	if err != nil {
		return nil, nil, nil, err
	}
	anon = &api{base: sys.URL, http: httpClient(clients)}
	if admin, err = anon.login("admin", adminPassword); err != nil {
		_ = sys.Stop(context.Background())
		return nil, nil, nil, err
	}
	return sys, anon, admin, nil
}

// httpClient is a keep-alive client for n concurrent users.
func httpClient(n int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 4 * n, MaxIdleConnsPerHost: 4 * n, IdleConnTimeout: time.Minute,
	}}
}

// startCPUProfile writes a CPU profile to path until stop; no path, no
// profile.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// api is a small HTTP client of the gateway, signed in with a token or,
// as a PBX, with an API key.
type api struct {
	base, token, apiKey string
	http                *http.Client
}

func (a *api) post(ctx context.Context, path string, body any) (int, []byte, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+path, bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	return a.do(req)
}

func (a *api) get(ctx context.Context, path string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+path, nil)
	if err != nil {
		return 0, nil, err
	}
	return a.do(req)
}

func (a *api) do(req *http.Request) (int, []byte, error) {
	req.Header.Set("Content-Type", "application/json")
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	if a.apiKey != "" {
		req.Header.Set("X-API-Key", a.apiKey)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func (a *api) login(user, password string) (*api, error) {
	status, body, err := a.post(context.Background(), "/api/v1/auth/login", map[string]string{"username": user, "password": password})
	if err != nil || status != http.StatusOK {
		return nil, fmt.Errorf("login %s: %d %s %v", user, status, body, err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tok); err != nil {
		return nil, err
	}
	return &api{base: a.base, token: tok.AccessToken, http: a.http}, nil
}

func (a *api) createUser(name, role, workNumber string) (string, error) {
	status, body, err := a.post(context.Background(), "/api/v1/users", map[string]string{
		"username": name, "password": benchPassword, "role": role, "display_name": "压测用户 " + name, "work_number": workNumber,
	})
	if err != nil || status != http.StatusCreated {
		return "", fmt.Errorf("create %s: %d %s %v", name, status, body, err)
	}
	var u struct {
		ID string `json:"id"`
	}
	return u.ID, json.Unmarshal(body, &u)
}

// syncInterval is the JetStream fsync interval of `helpdesk up`'s default,
// used in both phases so that they compare like with like.
const syncInterval = time.Second

const (
	adminPassword = "Bench-R00t-Pass!"
	benchPassword = "Bench-Us3r-Pass!"
)

func systemPhase(cfg config, res *Result) error {
	fmt.Println("Phase 2: the whole system (helpdesk up) — ticket creations through the REST gateway")
	dir, cleanup, err := tempDir(cfg, "system")
	if err != nil {
		return err
	}
	defer cleanup()
	sys, anon, admin, err := startSystem(dir, cfg.concurrency, 0)
	if err != nil {
		return err
	}
	defer sys.Stop(context.Background())
	if _, err := admin.createUser("bench-customer", "customer", ""); err != nil {
		return err
	}
	probeID, err := admin.createUser("bench-probe", "customer", "")
	if err != nil {
		return err
	}
	customer, err := anon.login("bench-customer", benchPassword)
	if err != nil {
		return err
	}
	probe, err := anon.login("bench-probe", benchPassword)
	if err != nil {
		return err
	}

	stopProfile, err := startCPUProfile(cfg.cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()

	tl, err := createUnderProbe(cfg, customer, probe, probeID)
	if err != nil {
		return err
	}
	rec, loaded, rate := tl.latency, tl.lag, tl.rate
	res.CreatesPerSec, res.CreateErrors = rate, tl.errors
	res.CreateP50Ms, res.CreateP99Ms, res.CreateMaxMs = ms(rec.Percentile(50)), ms(rec.Percentile(99)), ms(rec.Percentile(100))
	res.LagLoadedP50Ms, res.LagLoadedP99Ms, res.LagLoadedSamples = ms(loaded.Percentile(50)), ms(loaded.Percentile(99)), loaded.Count()
	fmt.Printf("  => %.0f creations/s, p50 %.2f ms, p99 %.2f ms; visibility lag under load p50 %.1f ms p99 %.1f ms (%d probes)\n\n",
		rate, res.CreateP50Ms, res.CreateP99Ms, res.LagLoadedP50Ms, res.LagLoadedP99Ms, res.LagLoadedSamples)

	fmt.Println("Phase 3: visibility lag on a quiet system (one probe ticket at a time)")
	quiet := &load.Recorder{}
	ctx, cancel := context.WithTimeout(context.Background(), min(cfg.duration, 5*time.Second))
	defer cancel()
	if err := probeVisibility(ctx, probe, probeID, quiet, 0); err != nil {
		return err
	}
	res.LagQuietP50Ms, res.LagQuietP99Ms, res.LagQuietSamples = ms(quiet.Percentile(50)), ms(quiet.Percentile(99)), quiet.Count()
	fmt.Printf("  => p50 %.1f ms, p99 %.1f ms (%d probes)\n\n", res.LagQuietP50Ms, res.LagQuietP99Ms, res.LagQuietSamples)
	return nil
}

// probeVisibility creates one ticket at a time and polls the list (newest
// first, filtered to the probe customer) every millisecond until the ticket
// is in it; the time from the 201 to the first list that shows it is the
// ticketLoad is what createUnderProbe measured.
type ticketLoad struct {
	rate         float64 // creations per second
	errors       int64
	latency, lag *load.Recorder
}

// createUnderProbe has the configured clients create tickets as customer
// for the configured time, while visibility probes run beside the load:
// one probe ticket at a time from a customer of its own, polled in the
// list until it appears (the read-model lag).
func createUnderProbe(cfg config, customer, probe *api, probeID string) (ticketLoad, error) {
	lagCtx, stopLag := context.WithCancel(context.Background())
	lag := &load.Recorder{}
	lagDone := make(chan error, 1)
	go func() { lagDone <- probeVisibility(lagCtx, probe, probeID, lag, 10*time.Millisecond) }()
	body := map[string]any{
		"title": "打印机无法连接网络，无法打印考试报名表", "priority": "P2", "channel": "web", "category": "系统故障",
		"description": "办公室的网络打印机从昨天下午开始无法连接网络。已经尝试重启打印机和路由器，问题依旧。影响到整个部门的考试报名表打印，请尽快处理。",
	}
	var errs atomic.Int64
	rec, rate, _ := measure(cfg, "create", func(ctx context.Context, _ int, rec *load.Recorder) error {
		start := time.Now()
		status, b, err := customer.post(ctx, "/api/v1/tickets", body)
		if err == nil && status == http.StatusCreated {
			rec.Add(time.Since(start))
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errs.Add(1) <= 3 {
			fmt.Printf("  error: %d %s %v\n", status, truncate(b), err)
		}
		return fmt.Errorf("status %d", status)
	})
	stopLag()
	if err := <-lagDone; err != nil {
		return ticketLoad{}, err
	}
	return ticketLoad{rate: rate, errors: errs.Load(), latency: rec, lag: lag}, nil
}

// visibility lag.
func probeVisibility(ctx context.Context, probe *api, probeID string, rec *load.Recorder, pause time.Duration) error {
	for ctx.Err() == nil {
		status, b, err := probe.post(ctx, "/api/v1/tickets", map[string]any{"title": "可见性探针"})
		if ctx.Err() != nil {
			return nil
		}
		if err != nil || status != http.StatusCreated {
			return fmt.Errorf("probe create: %d %s %v", status, truncate(b), err)
		}
		created := time.Now()
		var t struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(b, &t); err != nil {
			return err
		}
		for {
			status, b, err := probe.get(ctx, "/api/v1/tickets?limit=1&requester="+probeID)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil || status != http.StatusOK {
				return fmt.Errorf("probe list: %d %s %v", status, truncate(b), err)
			}
			if bytes.Contains(b, []byte(t.ID)) {
				rec.Add(time.Since(created))
				break
			}
			if time.Since(created) > 30*time.Second {
				return errors.New("probe ticket not visible after 30s")
			}
			time.Sleep(time.Millisecond)
		}
		if pause > 0 {
			time.Sleep(pause)
		}
	}
	return nil
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

func report(r Result) {
	fmt.Println("Summary")
	fmt.Printf("  %-44s %12s\n", "measure", "value")
	row := func(name, format string, v ...any) { fmt.Printf("  %-44s %12s\n", name, fmt.Sprintf(format, v...)) }
	if r.RawAppendsPerSec > 0 {
		row("raw JetStream appends/s (baseline)", "%.0f", r.RawAppendsPerSec)
		row("raw append latency p50 / p99 (ms)", "%.2f / %.2f", r.RawP50Ms, r.RawP99Ms)
	}
	if r.CreatesPerSec > 0 {
		row("gateway ticket creations/s", "%.0f", r.CreatesPerSec)
		row("creation latency p50 / p99 / max (ms)", "%.1f / %.1f / %.1f", r.CreateP50Ms, r.CreateP99Ms, r.CreateMaxMs)
		row("creation errors", "%d", r.CreateErrors)
		row("visibility lag under load p50 / p99 (ms)", "%.1f / %.1f", r.LagLoadedP50Ms, r.LagLoadedP99Ms)
		row("visibility lag quiet p50 / p99 (ms)", "%.1f / %.1f", r.LagQuietP50Ms, r.LagQuietP99Ms)
	}
	if r.RawAppendsPerSec > 0 && r.CreatesPerSec > 0 {
		ratio := r.RatioToRawPercent
		row("gateway ÷ raw", "%.1f%%", ratio)
		fmt.Println()
		fmt.Printf("  goal: gateway throughput >= 15%% of raw appends: %s (%.1f%%)\n", verdict(ratio >= 15), ratio)
		fmt.Printf("  goal: p99 visibility lag < 100 ms under load:   %s (%.1f ms)\n", verdict(r.LagLoadedP99Ms < 100), r.LagLoadedP99Ms)
	}
	if h := r.Hotline; h != nil {
		fmt.Println()
		row(fmt.Sprintf("hotline: %d agents, calls %d at a time", h.Agents, h.Callers), "")
		row(fmt.Sprintf("routing p50 / p99 (ms), %d bursts", h.Bursts), "%.1f / %.1f", h.Burst.P50Ms, h.Burst.P99Ms)
		row("saturated: routing decisions/s", "%.0f", h.Decisions)
		row("saturated: routing p50 / p99 (ms)", "%.1f / %.1f", h.Saturated.P50Ms, h.Saturated.P99Ms)
		row("saturated: whole call p50 / p99 (ms), 4 requests", "%.1f / %.1f", h.Cycle.P50Ms, h.Cycle.P99Ms)
		row("floor: GET /healthz p50 / p99 (ms)", "%.1f / %.1f", h.Floor.P50Ms, h.Floor.P99Ms)
		row("calls queued / errors", "%d / %d", h.Queued, h.Errors)
		fmt.Println()
		fmt.Printf("  goal: routing p99 < 20 ms, %d calls at once:      %s (%.1f ms)\n", h.Callers, verdict(h.Bursts > 0 && h.Errors == 0 && h.Burst.P99Ms < 20), h.Burst.P99Ms)
	}
	if s := r.Scale; s != nil {
		reportScale(r, s)
	}
	if k := r.KB; k != nil {
		fmt.Println()
		row(fmt.Sprintf("knowledge base: %d articles, %d clients, cache %d", k.Articles, k.Clients, k.CacheSize), "")
		row("index rebuild (articles/s)", "%.0f", k.RebuildArticlesPerS)
		row("index size (MiB) / process RSS (MiB)", "%.0f / %.0f", float64(k.IndexBytes)/(1<<20), float64(k.RSSBytes)/(1<<20))
		row("answered from the result cache", "%.1f%%", k.CacheHitPercent)
		for _, l := range []struct {
			name string
			v    Latency
		}{
			{"floor: GET /healthz at typing pace", k.FloorPaced}, {"search at typing pace", k.SearchPaced}, {"suggest at typing pace", k.SuggestPaced},
			{"floor: GET /healthz back to back", k.Floor}, {"relay floor: GET /api/v1/kb/categories back to back", k.RelayFloor},
			{"search back to back", k.Search}, {"suggest back to back", k.Suggest},
		} {
			row(l.name+" /s, p50 / p99 (ms), cached", "%.0f, %.1f / %.1f, %.0f%%", l.v.PerSec, l.v.P50Ms, l.v.P99Ms, l.v.CacheHitPercent)
		}
		fmt.Println()
		fmt.Printf("  goal: rebuild >= 5000 articles/s:                 %s (%.0f/s)\n", verdict(k.RebuildArticlesPerS >= 5000), k.RebuildArticlesPerS)
		fmt.Printf("  goal: search p99 < 20 ms, %d typing clients:      %s (%.1f ms)\n", k.Clients, verdict(k.SearchPaced.P99Ms < 20), k.SearchPaced.P99Ms)
		fmt.Printf("  goal: suggest p99 < 10 ms, %d typing clients:     %s (%.1f ms)\n", k.Clients, verdict(k.SuggestPaced.P99Ms < 10), k.SuggestPaced.P99Ms)
		fmt.Printf("  goal: search p99 < 20 ms, back to back:          %s (%.1f ms; the no-op floor's p99 is %.1f ms)\n", verdict(k.Search.P99Ms < 20), k.Search.P99Ms, k.Floor.P99Ms)
		fmt.Printf("  goal: suggest p99 < 10 ms, back to back:         %s (%.1f ms; the relayed floor's p99 is %.1f ms)\n", verdict(k.Suggest.P99Ms < 10), k.Suggest.P99Ms, k.RelayFloor.P99Ms)
	}
}

// envOr returns the environment variable or def.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}
