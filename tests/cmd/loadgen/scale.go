package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/subjects"
	"helpdesk/infra/launcher"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/projection"
	"helpdesk/infra/sqlstore"
	"helpdesk/services/ticket/adapters"
)

// ScaleResult is what the scale phase (issue 8) measured: the system as
// separate processes, the way it is deployed, against the raw append
// baseline of the same run.
type ScaleResult struct {
	// AllInOne is `helpdesk up` as a child process; Split is a NATS server
	// (embedded in the load generator) with every service and the gateway
	// as child processes of their own.
	AllInOne Deployment `json:"all_in_one"`
	Split    Deployment `json:"split"`
	// RebuildSQLite and RebuildPostgres are rebuilds of the ticket_list
	// projection from a stream of generated ticket events.
	RebuildSQLite   Rebuild `json:"rebuild_sqlite"`
	RebuildPostgres Rebuild `json:"rebuild_postgres"`
	// Startup is `helpdesk up` restarted over a large event log.
	Startup Startup `json:"startup"`
}

// Deployment is ticket creations through the gateway of one deployment.
type Deployment struct {
	Processes     int     `json:"processes"`
	StartupMs     float64 `json:"startup_ms"`
	CreatesPerSec float64 `json:"creates_per_sec"`
	CreateP50Ms   float64 `json:"create_p50_ms"`
	CreateP99Ms   float64 `json:"create_p99_ms"`
	CreateErrors  int64   `json:"create_errors"`
	LagP50Ms      float64 `json:"lag_p50_ms"`
	LagP99Ms      float64 `json:"lag_p99_ms"`
	LagSamples    int     `json:"lag_samples"`
	// IdleRSSMiB is the resident memory of the deployment's processes a
	// few seconds after it became ready; PeakRSSMiB the most seen under
	// load. The split deployment's NATS server runs in the load generator
	// and is not counted.
	IdleRSSMiB float64 `json:"idle_rss_mib"`
	PeakRSSMiB float64 `json:"peak_rss_mib"`
}

// Rebuild is one projection rebuild.
type Rebuild struct {
	Events  uint64  `json:"events"`
	Seconds float64 `json:"seconds"`
	PerSec  float64 `json:"events_per_sec"`
	// CPUMicros is the load generator's CPU time per event (the runner,
	// the database driver and the embedded NATS server; PostgreSQL's own
	// work not included): a figure less at the mercy of other processes
	// than the rate.
	CPUMicros float64 `json:"cpu_us_per_event"`
	Skipped   string  `json:"skipped,omitempty"`
}

// Startup is `helpdesk up` over a log of generated ticket events with its
// read models already caught up.
type Startup struct {
	Events          int     `json:"events"`
	GenerateSeconds float64 `json:"generate_seconds"`
	CatchUpSeconds  float64 `json:"catch_up_seconds"`
	StoreMiB        float64 `json:"store_mib"`
	// Recent are restarts with every event appended minutes ago, within
	// the stream's 24-hour duplicate window; Aged restarts of the same log
	// with its events older than the window (see ageLog).
	Recent Restarts `json:"recent"`
	Aged   Restarts `json:"aged"`
}

// Restarts are timed restarts of `helpdesk up` to /readyz 200.
type Restarts struct {
	ReadyMs       []float64 `json:"ready_ms"`
	MedianReadyMs float64   `json:"median_ready_ms"`
	// IdleRSSMiB is read a few seconds after the first restart was ready.
	IdleRSSMiB float64 `json:"idle_rss_mib"`
}

// scalePhase measures issue 8's figures; the report sets them beside the
// raw baseline, which runs before.
func scalePhase(cfg config, res *ScaleResult) error {
	parts, err := scaleParts(cfg.scaleParts)
	if err != nil {
		return err
	}
	dir, cleanup, err := tempDir(cfg, "scale")
	if err != nil {
		return err
	}
	defer cleanup()
	bin, err := helpdeskBinary(cfg, dir)
	if err != nil {
		return err
	}

	part := func(name string) bool { return slices.Contains(parts, "all") || slices.Contains(parts, name) }
	if part("deploy") {
		fmt.Println("Phase scale 1: all-in-one (helpdesk up as a child process) — ticket creations through the gateway")
		if err := allInOne(cfg, bin, filepath.Join(dir, "up"), &res.AllInOne); err != nil {
			return fmt.Errorf("all-in-one: %w", err)
		}
		fmt.Println("Phase scale 2: split (NATS server, every service and the gateway in processes of their own)")
		if err := split(cfg, bin, filepath.Join(dir, "split"), &res.Split); err != nil {
			return fmt.Errorf("split: %w", err)
		}
	}
	if part("rebuild") {
		fmt.Printf("Phase scale 3: rebuild of the ticket_list projection, %d generated ticket events\n", cfg.scaleRebuildEvents)
		if err := rebuilds(cfg, filepath.Join(dir, "rebuild"), res); err != nil {
			return fmt.Errorf("rebuild: %w", err)
		}
	}
	if part("startup") {
		fmt.Printf("Phase scale 4: startup of helpdesk up with %d events in the log\n", cfg.scaleEvents)
		if err := startup(cfg, bin, filepath.Join(dir, "startup"), &res.Startup); err != nil {
			return fmt.Errorf("startup: %w", err)
		}
	}
	return nil
}

// scaleParts reads -scale-parts: "all" or a comma-separated list of
// deploy, rebuild and startup.
func scaleParts(v string) ([]string, error) {
	parts := strings.Split(v, ",")
	for _, p := range parts {
		if !slices.Contains([]string{"all", "deploy", "rebuild", "startup"}, p) {
			return nil, fmt.Errorf("-scale-parts: unknown part %q (want all, or some of deploy, rebuild, startup)", p)
		}
	}
	return parts, nil
}

// helpdeskBinary returns cfg.helpdesk or builds the helpdesk command into
// dir.
func helpdeskBinary(cfg config, dir string) (string, error) {
	if cfg.helpdesk != "" {
		return cfg.helpdesk, nil
	}
	bin := filepath.Join(dir, "helpdesk")
	fmt.Println("  building helpdesk")
	cmd := exec.Command("go", "build", "-o", bin, "helpdesk/infra/cmd/helpdesk")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build helpdesk (or give -helpdesk): %w", err)
	}
	return bin, nil
}

// child is a helpdesk process started by the load generator; its output
// goes to a log file beside its data.
type child struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan error
}

func startChild(bin, logDir, name string, args ...string) (*child, error) {
	if err := os.MkdirAll(logDir, 0o750); err != nil {
		return nil, err
	}
	logPath := filepath.Join(logDir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), "HELPDESK_ADMIN_PASSWORD="+adminPassword, "HELPDESK_LOG_LEVEL=warn")
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, log: logPath, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait(); f.Close() }()
	return c, nil
}

// stop sends SIGTERM and waits for the process to end, killing it after
// 30 seconds.
func (c *child) stop() error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		return err
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
		return fmt.Errorf("%s did not stop within 30s; killed", c.name)
	}
}

// tail is the end of the child's log, for error messages.
func (c *child) tail() string {
	b, _ := os.ReadFile(c.log)
	if len(b) > 1500 {
		b = b[len(b)-1500:]
	}
	return fmt.Sprintf("%s log (%s):\n%s", c.name, c.log, b)
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitReady polls GET /readyz every 5 ms until it answers 200 and returns
// how long that took from since; it gives up when a child exits or after
// limit.
func waitReady(base string, since time.Time, limit time.Duration, children ...*child) (time.Duration, error) {
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := client.Get(base + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(since), nil
			}
		}
		for _, c := range children {
			select {
			case err := <-c.done:
				c.done <- err
				return 0, fmt.Errorf("%s exited: %v\n%s", c.name, err, c.tail())
			default:
			}
		}
		if time.Since(since) > limit {
			return 0, fmt.Errorf("not ready after %s", limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rssOf is the resident set size of the processes, from /proc.
func rssOf(children ...*child) int64 {
	var total int64
	for _, c := range children {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
		if err != nil {
			continue
		}
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				total += kb << 10
			}
		}
	}
	return total
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// peakRSS samples the processes' RSS every 100 ms until stop is called,
// which returns the highest sum seen.
func peakRSS(children ...*child) (stop func() int64) {
	var peak atomic.Int64
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if v := rssOf(children...); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 { close(quit); <-finished; return peak.Load() }
}

// firstLogin signs a user in whose password must be changed at first
// login (every account of a real deployment), changes it to newPassword
// and returns the signed-in client.
func firstLogin(anon *api, user, password, newPassword string) (*api, error) {
	limited, err := anon.login(user, password)
	if err != nil {
		return nil, err
	}
	status, body, err := limited.post(context.Background(), "/api/v1/auth/password",
		map[string]string{"current_password": password, "new_password": newPassword})
	if err != nil || status != http.StatusOK {
		return nil, fmt.Errorf("first password change of %s: %d %s %v", user, status, truncate(body), err)
	}
	return anon.login(user, newPassword)
}

const (
	adminNewPassword = "Bench-R00t-Pass-2!"
	benchNewPassword = "Bench-Us3r-Pass-2!"
)

// createLoad signs in a customer and a probe customer and measures ticket
// creations through the gateway at base, with visibility probes beside
// them, sampling the processes' RSS.
func createLoad(cfg config, base string, d *Deployment, processes ...*child) error {
	anon := &api{base: base, http: httpClient(cfg.concurrency)}
	admin, err := firstLogin(anon, "admin", adminPassword, adminNewPassword)
	if err != nil {
		return err
	}
	if _, err := admin.createUser("bench-customer", "customer", ""); err != nil {
		return err
	}
	probeID, err := admin.createUser("bench-probe", "customer", "")
	if err != nil {
		return err
	}
	customer, err := firstLogin(anon, "bench-customer", benchPassword, benchNewPassword)
	if err != nil {
		return err
	}
	probe, err := firstLogin(anon, "bench-probe", benchPassword, benchNewPassword)
	if err != nil {
		return err
	}
	stopRSS := peakRSS(processes...)
	tl, err := createUnderProbe(cfg, customer, probe, probeID)
	d.PeakRSSMiB = mib(stopRSS())
	if err != nil {
		return err
	}
	rec, lag, rate := tl.latency, tl.lag, tl.rate
	d.CreatesPerSec, d.CreateErrors = rate, tl.errors
	d.CreateP50Ms, d.CreateP99Ms = ms(rec.Percentile(50)), ms(rec.Percentile(99))
	d.LagP50Ms, d.LagP99Ms, d.LagSamples = ms(lag.Percentile(50)), ms(lag.Percentile(99)), lag.Count()
	fmt.Printf("  => %.0f creations/s, p50 %.2f ms, p99 %.2f ms, %d errors; read-model lag p50 %.1f ms p99 %.1f ms (%d probes); RSS idle %.0f MiB, peak %.0f MiB\n\n",
		rate, d.CreateP50Ms, d.CreateP99Ms, d.CreateErrors, d.LagP50Ms, d.LagP99Ms, d.LagSamples, d.IdleRSSMiB, d.PeakRSSMiB)
	return nil
}

// idleSettle is how long a freshly started deployment sits before its idle
// RSS is read.
const idleSettle = 3 * time.Second

func allInOne(cfg config, bin, dir string, d *Deployment) error {
	gw, err := freeAddr()
	if err != nil {
		return err
	}
	natsAddr, err := freeAddr()
	if err != nil {
		return err
	}
	start := time.Now()
	up, err := startChild(bin, dir, "up", "up", "--data-dir", filepath.Join(dir, "data"), "--listen", gw, "--nats-listen", natsAddr)
	if err != nil {
		return err
	}
	defer up.stop()
	ready, err := waitReady("http://"+gw, start, time.Minute, up)
	if err != nil {
		return err
	}
	time.Sleep(idleSettle)
	d.Processes, d.StartupMs, d.IdleRSSMiB = 1, ms(ready), mib(rssOf(up))
	fmt.Printf("  ready in %.0f ms; idle RSS %.1f MiB\n", d.StartupMs, d.IdleRSSMiB)
	return createLoad(cfg, "http://"+gw, d, up)
}

func split(cfg config, bin, dir string, d *Deployment) error {
	srv, err := natsembed.Start(natsembed.Config{DataDir: filepath.Join(dir, "nats"), Listen: "127.0.0.1:-1", SyncInterval: syncInterval})
	if err != nil {
		return err
	}
	defer srv.Shutdown()
	gw, err := freeAddr()
	if err != nil {
		return err
	}
	data := filepath.Join(dir, "data")
	start := time.Now()
	var children []*child
	defer func() {
		for _, c := range slices.Backward(children) {
			_ = c.stop()
		}
	}()
	for _, svc := range launcher.Services {
		args := []string{"serve", svc, "--nats-url", srv.ClientURL(), "--data-dir", data}
		if svc == subjects.ServiceIdentity {
			args = append(args, "--ensure-admin")
		}
		c, err := startChild(bin, dir, svc, args...)
		if err != nil {
			return err
		}
		children = append(children, c)
	}
	c, err := startChild(bin, dir, "gateway", "gateway", "--nats-url", srv.ClientURL(), "--listen", gw)
	if err != nil {
		return err
	}
	children = append(children, c)
	ready, err := waitReady("http://"+gw, start, time.Minute, children...)
	if err != nil {
		return err
	}
	time.Sleep(idleSettle)
	d.Processes, d.StartupMs, d.IdleRSSMiB = len(children), ms(ready), mib(rssOf(children...))
	fmt.Printf("  %d processes ready in %.0f ms; idle RSS %.1f MiB together (NATS not counted)\n", d.Processes, d.StartupMs, d.IdleRSSMiB)
	return createLoad(cfg, "http://"+gw, d, children...)
}

// rebuilds generates ticket events into a stream of an embedded server and
// rebuilds the ticket_list projection from them into SQLite and into
// PostgreSQL (a schema of its own, dropped afterwards).
func rebuilds(cfg config, dir string, res *ScaleResult) error {
	nc, _, stop, err := startEmbedded(dir, syncInterval)
	if err != nil {
		return err
	}
	defer stop()
	gen, err := generateTickets(nc, cfg.scaleRebuildEvents)
	if err != nil {
		return err
	}
	fmt.Printf("  generated %d events in %.1f s\n", cfg.scaleRebuildEvents, gen.Seconds())

	sqlite, err := sqlstore.Open(context.Background(), sqlstore.Config{Driver: "sqlite", DSN: filepath.Join(dir, "readmodels.db")})
	if err != nil {
		return err
	}
	defer sqlite.Close()
	stopProfile := func() {}
	if cfg.phase == "scale" {
		if stopProfile, err = startCPUProfile(cfg.cpuProfile); err != nil {
			return err
		}
	}
	res.RebuildSQLite, err = rebuildInto(nc, sqlite, "sqlite", cfg.scaleMaxBatch)
	stopProfile()
	if err != nil {
		return err
	}
	if cfg.postgres == "" {
		res.RebuildPostgres.Skipped = "no -postgres URL"
		return nil
	}
	pg, drop, err := postgresSchema(cfg.postgres)
	if err != nil {
		res.RebuildPostgres.Skipped = err.Error()
		fmt.Printf("  PostgreSQL skipped: %v\n", err)
		return nil
	}
	defer drop()
	res.RebuildPostgres, err = rebuildInto(nc, pg, "postgres", cfg.scaleMaxBatch)
	return err
}

// postgresSchema opens the read-model database in a schema of its own;
// drop closes it and drops the schema.
func postgresSchema(url string) (*sqlstore.DB, func(), error) {
	ctx := context.Background()
	admin, err := sqlstore.Open(ctx, sqlstore.Config{Driver: "postgres", DSN: url})
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", url, err)
	}
	schema := fmt.Sprintf("bench_%d", time.Now().UnixNano())
	if _, err := admin.Write.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		return nil, nil, fmt.Errorf("create schema: %w", err)
	}
	dropSchema := func() {
		_, _ = admin.Write.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`)
		admin.Close()
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	db, err := sqlstore.Open(ctx, sqlstore.Config{Driver: "postgres", DSN: url + sep + "search_path=" + schema})
	if err != nil {
		dropSchema()
		return nil, nil, fmt.Errorf("open schema %s: %w", schema, err)
	}
	return db, func() { db.Close(); dropSchema() }, nil
}

// rebuildInto runs the ticket_list projection on db and rebuilds it from
// the start of the stream, printing progress every second; maxBatch is
// the runner's MaxBatch (0 for its default, as the services run it).
func rebuildInto(nc *nats.Conn, db *sqlstore.DB, name string, maxBatch int) (Rebuild, error) {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	r, err := projection.NewRunner(projection.RunnerConfig{
		Conn: nc, DB: db, Handler: adapters.NewTicketList(db), Logger: logger, Registerer: launcher.NewRegistry(),
		MaxBatch: maxBatch,
	})
	if err != nil {
		return Rebuild{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { _ = r.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	var last time.Time
	cpu := cpuTime()
	sum, err := r.Rebuild(ctx, func(done, total uint64) {
		if time.Since(last) >= time.Second {
			last = time.Now()
			fmt.Printf("  %-8s %9d / %d events\n", name, done, total)
		}
	})
	if err != nil {
		return Rebuild{}, err
	}
	out := Rebuild{Events: sum.Events, Seconds: sum.Duration.Seconds(), PerSec: float64(sum.Events) / sum.Duration.Seconds(),
		CPUMicros: float64((cpuTime() - cpu).Microseconds()) / float64(max(1, sum.Events))}
	fmt.Printf("  => %s: %d events in %.2f s, %.0f events/s, %.1f µs of CPU per event\n", name, out.Events, out.Seconds, out.PerSec, out.CPUMicros)
	return out, nil
}

// startup generates the event log of an all-in-one system, lets it catch
// up once, then times its restarts to /readyz 200. With cfg.scaleCache the
// caught-up data directory is kept there and reused by later runs.
func startup(cfg config, bin, dir string, res *Startup) error {
	data := filepath.Join(dir, "data")
	if cfg.scaleCache != "" {
		data = filepath.Join(cfg.scaleCache, fmt.Sprintf("events-%d", cfg.scaleEvents))
	}
	caughtUp := filepath.Join(data, "caught-up")
	res.Events = cfg.scaleEvents
	gw, err := freeAddr()
	if err != nil {
		return err
	}
	natsAddr, err := freeAddr()
	if err != nil {
		return err
	}
	args := []string{"up", "--data-dir", data, "--listen", gw, "--nats-listen", natsAddr}
	if _, err := os.Stat(caughtUp); err == nil {
		fmt.Printf("  reusing the caught-up data directory %s\n", data)
	} else if err := prepareLog(cfg, bin, dir, data, args, "http://"+gw, "nats://"+natsAddr, res); err != nil {
		return err
	} else if err := os.WriteFile(caughtUp, nil, 0o644); err != nil {
		return err
	}
	res.StoreMiB = mib(dirSize(data))
	restarts := func(label string, age func() error) (Restarts, error) {
		var out Restarts
		for i := range cfg.scaleRestarts {
			if age != nil {
				if err := age(); err != nil {
					return out, err
				}
			}
			start := time.Now()
			up, err := startChild(bin, dir, fmt.Sprintf("up-%s-%d", label, i+1), args...)
			if err != nil {
				return out, err
			}
			ready, err := waitReady("http://"+gw, start, 5*time.Minute, up)
			if err != nil {
				_ = up.stop()
				return out, err
			}
			out.ReadyMs = append(out.ReadyMs, ms(ready))
			if i == 0 {
				time.Sleep(idleSettle)
				out.IdleRSSMiB = mib(rssOf(up))
			}
			fmt.Printf("  restart %d (%s): ready in %.0f ms\n", i+1, label, ms(ready))
			if err := up.stop(); err != nil {
				return out, err
			}
		}
		sorted := slices.Sorted(slices.Values(out.ReadyMs))
		if len(sorted) > 0 {
			out.MedianReadyMs = sorted[len(sorted)/2]
		}
		fmt.Printf("  => %s: ready in %.0f ms (median of %d), idle RSS %.0f MiB\n", label, out.MedianReadyMs, len(out.ReadyMs), out.IdleRSSMiB)
		return out, nil
	}
	if res.Recent, err = restarts("recent", nil); err != nil {
		return err
	}
	if res.Aged, err = restarts("aged", func() error { return ageLog(data) }); err != nil {
		return err
	}
	fmt.Printf("  (%d events, %.0f MiB on disk)\n\n", res.Events, res.StoreMiB)
	return nil
}

// ageLog makes the ticket stream's next recovery treat its events as older
// than the duplicate window, as in a log that grew over more than a day:
// it shortens the stream's window to a second. JetStream rebuilds, at
// every start, the table of the message ids stored within the window;
// helpdesk up sets the window back to eventstore.DuplicateWindow once the
// stream is recovered.
func ageLog(data string) error {
	_, js, stop, err := startEmbedded(filepath.Join(data, "nats"), 0)
	if err != nil {
		return err
	}
	defer stop()
	ctx := context.Background()
	st, err := js.Stream(ctx, subjects.Stream(subjects.ServiceTicket))
	if err != nil {
		return fmt.Errorf("age the log: %w", err)
	}
	sc := st.CachedInfo().Config
	sc.Duplicates = time.Second
	if _, err := js.UpdateStream(ctx, sc); err != nil {
		return fmt.Errorf("age the log: %w", err)
	}
	return nil
}

// prepareLog generates the events into a fresh data directory, starts
// `helpdesk up` with args on it and waits until every consumer has caught
// up, then stops it.
func prepareLog(cfg config, bin, dir, data string, args []string, base, natsURL string, res *Startup) error {
	if err := os.RemoveAll(data); err != nil {
		return err
	}
	nc, _, stop, err := startEmbedded(filepath.Join(data, "nats"), syncInterval)
	if err != nil {
		return err
	}
	gen, err := generateTickets(nc, cfg.scaleEvents)
	stop()
	if err != nil {
		return err
	}
	res.GenerateSeconds = gen.Seconds()
	fmt.Printf("  generated %d events in %.1f s\n", cfg.scaleEvents, res.GenerateSeconds)
	start := time.Now()
	up, err := startChild(bin, dir, "up-first", args...)
	if err != nil {
		return err
	}
	if _, err := waitReady(base, start, 5*time.Minute, up); err != nil {
		_ = up.stop()
		return err
	}
	if err := waitCaughtUp(natsURL, 20*time.Minute); err != nil {
		_ = up.stop()
		return err
	}
	res.CatchUpSeconds = time.Since(start).Seconds()
	fmt.Printf("  first start caught up in %.1f s\n", res.CatchUpSeconds)
	return up.stop()
}

// waitCaughtUp waits until no durable consumer of any event stream has
// messages pending, printing the ticket stream's progress every second.
func waitCaughtUp(url string, limit time.Duration) error {
	nc, err := nats.Connect(url, nats.Name("loadgen"))
	if err != nil {
		return fmt.Errorf("connect to %s: %w", url, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for {
		var pending, most uint64
		var consumers int
		var slowest string
		for _, svc := range subjects.Services {
			st, err := js.Stream(ctx, subjects.Stream(svc))
			if errors.Is(err, jetstream.ErrStreamNotFound) {
				continue
			}
			if err != nil {
				return fmt.Errorf("stream %s: %w", svc, err)
			}
			infos := st.ListConsumers(ctx)
			for info := range infos.Info() {
				consumers++
				n := info.NumPending + uint64(info.NumAckPending)
				pending += n
				if n > most {
					most, slowest = n, info.Stream+"/"+info.Name
				}
			}
			if err := infos.Err(); err != nil {
				return fmt.Errorf("consumers of %s: %w", svc, err)
			}
		}
		if consumers > 0 && pending == 0 {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%d events still pending for %d consumers after %s", pending, consumers, limit)
		}
		fmt.Printf("  catch-up  %9d events pending for %d consumers, most (%d) for %s\n", pending, consumers, most, slowest)
		time.Sleep(time.Second)
	}
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// reportScale prints the scale phase's table, each figure beside the raw
// baseline of the same run, and issue 8's goals; parts not run are left out.
func reportScale(r Result, s *ScaleResult) {
	fmt.Println()
	fmt.Printf("  scale (issue 8); baseline: raw JetStream appends %.0f/s, p50 %.2f ms, p99 %.2f ms\n", r.RawAppendsPerSec, r.RawP50Ms, r.RawP99Ms)
	row := func(name, format string, v ...any) { fmt.Printf("  %-56s %16s\n", name, fmt.Sprintf(format, v...)) }
	var goals []string
	goal := func(ok bool, format string, v ...any) {
		goals = append(goals, fmt.Sprintf("  goal: %-60s %s", fmt.Sprintf(format, v...), verdict(ok)))
	}
	if s.AllInOne.Processes > 0 {
		fmt.Printf("  %-56s %16s %16s\n", "measure", "all-in-one", "split")
		both := func(name string, f func(d Deployment) string) {
			fmt.Printf("  %-56s %16s %16s\n", name, f(s.AllInOne), f(s.Split))
		}
		both("processes", func(d Deployment) string { return fmt.Sprint(d.Processes) })
		both("fresh start to /readyz 200 (ms)", func(d Deployment) string { return fmt.Sprintf("%.0f", d.StartupMs) })
		both("ticket creations/s", func(d Deployment) string { return fmt.Sprintf("%.0f", d.CreatesPerSec) })
		both("… ÷ raw appends/s", func(d Deployment) string { return percentOf(d.CreatesPerSec, r.RawAppendsPerSec) })
		both("creation p50 / p99 (ms)", func(d Deployment) string { return fmt.Sprintf("%.1f / %.1f", d.CreateP50Ms, d.CreateP99Ms) })
		both("… p99 ÷ raw append p99", func(d Deployment) string { return ratioOf(d.CreateP99Ms, r.RawP99Ms) })
		both("creation errors", func(d Deployment) string { return fmt.Sprint(d.CreateErrors) })
		both("read-model lag under load p50 / p99 (ms)", func(d Deployment) string { return fmt.Sprintf("%.1f / %.1f", d.LagP50Ms, d.LagP99Ms) })
		both("RSS idle / peak under load (MiB)", func(d Deployment) string { return fmt.Sprintf("%.0f / %.0f", d.IdleRSSMiB, d.PeakRSSMiB) })
		mb := s.AllInOne.IdleRSSMiB * 1.048576
		goal(mb < 150, "all-in-one idle RSS < 150 MB (%.0f MB)", mb)
	}
	for _, b := range []struct {
		name string
		v    Rebuild
	}{{"SQLite", s.RebuildSQLite}, {"PostgreSQL", s.RebuildPostgres}} {
		switch {
		case b.v.Skipped != "":
			row("rebuild ticket_list into "+b.name, "skipped")
		case b.v.Events > 0:
			row(fmt.Sprintf("rebuild ticket_list into %s (events/s)", b.name), "%.0f", b.v.PerSec)
			row("… ÷ raw appends/s", "%s", ratioOf(b.v.PerSec, r.RawAppendsPerSec))
			row("… CPU µs per event (load generator)", "%.1f", b.v.CPUMicros)
		}
	}
	if s.RebuildSQLite.Events > 0 {
		goal(s.RebuildSQLite.PerSec >= 50000, "rebuild >= 50,000 events/s into SQLite (%.0f/s)", s.RebuildSQLite.PerSec)
	}
	if st := s.Startup; st.Events > 0 {
		row(fmt.Sprintf("log of %d events: store (MiB)", st.Events), "%.0f", st.StoreMiB)
		if st.CatchUpSeconds > 0 {
			row("… generated in (s) / first start caught up in (s)", "%.1f / %.1f", st.GenerateSeconds, st.CatchUpSeconds)
		}
		for _, v := range []struct {
			name string
			r    Restarts
		}{{"events of the last minutes", st.Recent}, {"events older than a day", st.Aged}} {
			row("restart to /readyz 200, "+v.name+" (ms)", "%.0f", v.r.MedianReadyMs)
			row("… each restart (ms)", "%s", joinMs(v.r.ReadyMs))
			row("… idle RSS after the restart (MiB)", "%.0f", v.r.IdleRSSMiB)
		}
		goal(st.Recent.MedianReadyMs > 0 && st.Recent.MedianReadyMs < 3000, "ready < 3 s, %d recent events (%.0f ms)", st.Events, st.Recent.MedianReadyMs)
		goal(st.Aged.MedianReadyMs > 0 && st.Aged.MedianReadyMs < 3000, "ready < 3 s, %d events older than a day (%.0f ms)", st.Events, st.Aged.MedianReadyMs)
	}
	if len(goals) > 0 {
		fmt.Println()
		fmt.Println(strings.Join(goals, "\n"))
	}
}

func percentOf(v, base float64) string {
	if base <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*v/base)
}

func ratioOf(v, base float64) string {
	if base <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", v/base)
}

func joinMs(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.0f", x)
	}
	return strings.Join(parts, ", ")
}
