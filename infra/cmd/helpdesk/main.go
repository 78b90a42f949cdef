// Command helpdesk runs Helpdesk.
//
//	helpdesk up                      the whole system in one process (embedded NATS)
//	helpdesk serve <service>         one service against a NATS server
//	helpdesk gateway                 the REST gateway against a NATS server
//	helpdesk projections rebuild <name>   rebuild a read model from its events
//	helpdesk projections status      show every projection's position and lag
//	helpdesk replay [filters]        stream stored events for an audit
//	helpdesk audit verify [--stream] check the event log's hash chains
//	helpdesk version                 print the version
//
// Every flag can also be set by the environment variable named in its help.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"

	"helpdesk/infra/launcher"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/sqlstore"
	"helpdesk/infra/telemetry"
	"helpdesk/services/callrecord/domain/retention"
	ticketdomain "helpdesk/services/ticket/domain/ticket"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "helpdesk:", err)
		os.Exit(1)
	}
}

const usage = `usage: helpdesk <command> [flags]

commands:
  up                          run the whole system in one process (embedded NATS)
  serve <service>             run one service (%s) against --nats-url
  gateway                     run the REST gateway against --nats-url
  projections status          show projection positions
  projections rebuild <name>  rebuild a projection from its events
  replay [filters]            stream stored events for an audit (jsonl or csv)
  audit verify [--stream S]   check the hash chains of the event log
  version                     print the version

Run 'helpdesk <command> -h' for the flags of a command.
`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintf(stderr, usage, strings.Join(launcher.Services, ", "))
		return errors.New("no command given")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "up":
		return up(ctx, args[1:], stdout, stderr)
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "gateway":
		return serveGateway(ctx, args[1:], stdout, stderr)
	case "projections":
		return projections(ctx, args[1:], stdout, stderr)
	case "audit":
		return audit(ctx, args[1:], stdout, stderr)
	case "replay":
		return replay(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "helpdesk", version)
		return nil
	case "-h", "--help", "help":
		fmt.Fprintf(stdout, usage, strings.Join(launcher.Services, ", "))
		return nil
	}
	fmt.Fprintf(stderr, usage, strings.Join(launcher.Services, ", "))
	return fmt.Errorf("unknown command %q", args[0])
}

// env returns the environment variable or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// common flags shared by the commands.
type common struct {
	withDB     bool
	logLevel   string
	dbDriver   string
	dbDSN      string
	autoClose  int
	reopenDays int
	// searchCache is how many knowledge search results are cached.
	searchCache int
	// retentionDays is how many working days call recordings are kept.
	retentionDays int
	// holidays is the deployment's holidays file (see calendar.ParseDays).
	holidays string
	// surveyDays is how many working days a satisfaction survey stays open.
	surveyDays int
}

func (c *common) register(fs *flag.FlagSet, withDB bool) {
	fs.StringVar(&c.logLevel, "log-level", env("HELPDESK_LOG_LEVEL", "info"), "log level: debug, info, warn, error (HELPDESK_LOG_LEVEL)")
	c.withDB = withDB
	if withDB {
		def := ticketdomain.DefaultPolicy()
		fs.IntVar(&c.autoClose, "auto-close-days", envInt("HELPDESK_AUTO_CLOSE_DAYS", def.AutoCloseAfter), "working days a resolved ticket waits for its requester before it closes itself (HELPDESK_AUTO_CLOSE_DAYS)")
		fs.IntVar(&c.reopenDays, "reopen-window-days", envInt("HELPDESK_REOPEN_WINDOW_DAYS", def.ReopenWindow), "working days after resolution within which a ticket can be reopened (HELPDESK_REOPEN_WINDOW_DAYS)")
		fs.StringVar(&c.dbDriver, "db-driver", env("HELPDESK_DB_DRIVER", ""), "older form of --read-store: sqlite or postgres, with --db-dsn (HELPDESK_DB_DRIVER)")
		fs.StringVar(&c.dbDSN, "db-dsn", env("HELPDESK_DB_DSN", ""), "older form of --read-store: SQLite file path or PostgreSQL URL (HELPDESK_DB_DSN)")
		fs.StringVar(&c.holidays, "holidays", env("HELPDESK_HOLIDAYS", ""), "a holidays file adding days off and adjusted working days to the built-in Chinese calendar, e.g. for a year it does not know yet (docs/calendar.md); default <data-dir>/holidays.txt when it exists (HELPDESK_HOLIDAYS)")
		fs.IntVar(&c.surveyDays, "survey-days", envInt("HELPDESK_SURVEY_DAYS", 3), "working days a satisfaction survey stays open; an unanswered survey then expires and closes its resolved ticket (HELPDESK_SURVEY_DAYS)")
		fs.IntVar(&c.retentionDays, "recording-retention-days", envInt("HELPDESK_RECORDING_RETENTION_DAYS", retention.MinimumWorkingDays), "working days call recordings are kept before they are purged; at least 10 (HELPDESK_RECORDING_RETENTION_DAYS)")
		fs.IntVar(&c.searchCache, "search-cache", envInt("HELPDESK_SEARCH_CACHE", 10000), "knowledge search and suggestion results kept until an index changes; 0 for none (HELPDESK_SEARCH_CACHE)")
	}
}

// cacheSize is the search cache size for the service config: -1 for none.
func (c *common) cacheSize() int {
	if c.searchCache <= 0 {
		return -1
	}
	return c.searchCache
}

// setup builds the logger and, for commands that run services, the ticket
// lifecycle policy the flags describe.
func (c *common) setup(stderr io.Writer) (*slog.Logger, ticketdomain.Policy, error) {
	log, err := c.logger(stderr)
	if err != nil || !c.withDB {
		return log, ticketdomain.Policy{}, err
	}
	if c.surveyDays < 1 || c.surveyDays > c.reopenDays {
		return nil, ticketdomain.Policy{}, fmt.Errorf("--survey-days is %d: a survey stays open at least 1 working day and at most the %d of --reopen-window-days, so that \"not solved\" can still reopen its ticket",
			c.surveyDays, c.reopenDays)
	}
	if c.retentionDays < retention.MinimumWorkingDays {
		return nil, ticketdomain.Policy{}, fmt.Errorf("--recording-retention-days is %d: recordings must be kept at least %d working days",
			c.retentionDays, retention.MinimumWorkingDays)
	}
	p := ticketdomain.DefaultPolicy()
	p.AutoCloseAfter, p.ReopenWindow = c.autoClose, c.reopenDays
	if err := p.Validate(); err != nil {
		return nil, p, fmt.Errorf("ticket policy: %w", err)
	}
	return log, p, nil
}

// holidaysFile is the holidays file the flags name, or the data dir's
// holidays.txt when there is one.
func (c *common) holidaysFile(dataDir string) string {
	if c.holidays != "" {
		return c.holidays
	}
	if p := filepath.Join(dataDir, "holidays.txt"); fileExists(p) {
		return p
	}
	return ""
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func (c *common) logger(stderr io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	l := telemetry.NewLogger(stderr, level)
	slog.SetDefault(l)
	return l, nil
}

func (c *common) db(defaultPath string) sqlstore.Config {
	if c.dbDriver == "" && c.dbDSN == "" {
		return sqlstore.Config{Driver: "sqlite", DSN: defaultPath}
	}
	driver := c.dbDriver
	if driver == "" {
		driver = "sqlite"
	}
	return sqlstore.Config{Driver: driver, DSN: c.dbDSN}
}

func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(os.Stderr)
	return fs.Parse(args)
}

func up(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	var c common
	c.register(fs, true)
	dataDir := fs.String("data-dir", env("HELPDESK_DATA_DIR", "./data"), "where the event streams and read models are kept (HELPDESK_DATA_DIR)")
	listen := fs.String("listen", env("HELPDESK_LISTEN", "127.0.0.1:8080"), "REST gateway address (HELPDESK_LISTEN)")
	natsListen := fs.String("nats-listen", env("HELPDESK_NATS_LISTEN", natsembed.DefaultListen), "embedded NATS client address, for integrations and the CLI (HELPDESK_NATS_LISTEN)")
	natsSync := fs.String("nats-sync", env("HELPDESK_NATS_SYNC", "1s"), "when the embedded JetStream fsyncs: 'always' (every acknowledged write, slower) or an interval such as 1s (HELPDESK_NATS_SYNC)")
	readStore := readStoreFlag(fs)
	var af authFlags
	af.register(fs, true)
	ef := registerEdge(fs)
	auditDays := auditRetentionFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkAuditRetention(*auditDays); err != nil {
		return err
	}
	auth, err := af.auth()
	if err != nil {
		return err
	}
	edge, err := ef.edge()
	if err != nil {
		return err
	}
	syncAlways, syncInterval, err := parseSync(*natsSync)
	if err != nil {
		return err
	}
	db, err := c.readStore(*readStore, filepath.Join(*dataDir, "readmodels.db"))
	if err != nil {
		return err
	}
	log, policy, err := c.setup(stderr)
	if err != nil {
		return err
	}
	shutdownTracing, err := telemetry.SetupTracing(ctx, "helpdesk")
	if err != nil {
		return err
	}
	defer shutdownTracing(context.Background())

	sys, err := launcher.Up(ctx, launcher.UpConfig{
		DataDir: *dataDir, Listen: *listen, NATSListen: *natsListen, NATSSyncAlways: syncAlways, NATSSyncInterval: syncInterval,
		AdminPassword: os.Getenv("HELPDESK_ADMIN_PASSWORD"), JWTSecret: os.Getenv("HELPDESK_JWT_SECRET"),
		DB: db, SearchCache: c.cacheSize(), RecordingRetention: c.retentionDays, Policy: policy, Logger: log,
		Holidays: c.holidaysFile(*dataDir), SurveyDays: c.surveyDays, Auth: auth, Edge: edge,
		AuditRetentionDays: *auditDays,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Helpdesk is running.\n  REST gateway:  %s  (OpenAPI: %s/openapi.yaml)\n  NATS:          %s\n  Data:          %s\n",
		sys.URL, sys.URL, sys.NATSURL, *dataDir)
	switch {
	case sys.AdminPassword != "" && os.Getenv("HELPDESK_ADMIN_PASSWORD") != "":
		fmt.Fprintln(stdout, "  First start: account 'admin' created with the password of HELPDESK_ADMIN_PASSWORD")
	case sys.AdminPassword != "":
		fmt.Fprintf(stdout, "  First start: account 'admin' created with password: %s\n", sys.AdminPassword)
	}
	fmt.Fprintln(stdout, "Press Ctrl-C to stop.")
	<-ctx.Done()
	fmt.Fprintln(stdout, "Stopping: draining requests and event consumers...")
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sys.Stop(stopCtx); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	fmt.Fprintln(stdout, "Stopped.")
	return nil
}

// parseSync reads --nats-sync: "always" or a positive duration.
func parseSync(v string) (always bool, interval time.Duration, err error) {
	if v == "always" {
		return true, 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return false, 0, fmt.Errorf("--nats-sync: want 'always' or a positive duration such as 1s, got %q", v)
	}
	return false, d, nil
}

// runParts runs parts of Helpdesk against an external NATS server until
// interrupted; with metricsListen it also serves /metrics, /healthz and
// /readyz there.
func runParts(ctx context.Context, nc *nats.Conn, cfg launcher.PartsConfig, what, metricsListen string, stdout io.Writer) error {
	defer shutdownTracingFor(ctx)()
	// The metrics server first: once the parts have created the admin, a
	// failed start would lose the generated password.
	var ops *launcher.OpsServer
	var err error
	if metricsListen != "" {
		if ops, err = launcher.StartOps(metricsListen, nc, cfg.Registry); err != nil {
			nc.Close()
			return err
		}
	}
	parts, err := launcher.StartParts(ctx, cfg)
	if err != nil {
		if ops != nil {
			_ = ops.Stop(context.Background())
		}
		nc.Close()
		return err
	}
	fmt.Fprintf(stdout, "helpdesk %s is running on %s", what, nc.ConnectedUrlRedacted())
	if parts.URL != "" {
		fmt.Fprintf(stdout, ", REST gateway at %s", parts.URL)
	}
	if ops != nil {
		fmt.Fprintf(stdout, ", metrics at %s/metrics", ops.URL)
	}
	fmt.Fprintln(stdout, "; Ctrl-C to stop.")
	switch {
	case parts.AdminPassword != "" && cfg.AdminPassword != "":
		fmt.Fprintln(stdout, "First start: account 'admin' created with the password of HELPDESK_ADMIN_PASSWORD (change it at the first login)")
	case parts.AdminPassword != "":
		fmt.Fprintf(stdout, "First start: account 'admin' created with password: %s (change it at the first login)\n", parts.AdminPassword)
	}
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errs []error
	if ops != nil {
		errs = append(errs, ops.Stop(stopCtx))
	}
	return errors.Join(append(errs, parts.Stop(stopCtx))...)
}

// metricsListenFlag registers --metrics-listen of `serve`.
func metricsListenFlag(fs *flag.FlagSet) *string {
	return fs.String("metrics-listen", env("HELPDESK_METRICS_LISTEN", ""),
		"serve /metrics (Prometheus), /healthz and /readyz on this address, e.g. 0.0.0.0:9464; empty for none (HELPDESK_METRICS_LISTEN)")
}

func shutdownTracingFor(ctx context.Context) func() {
	shutdown, err := telemetry.SetupTracing(ctx, "helpdesk")
	if err != nil {
		slog.Warn("tracing disabled", "error", err)
		return func() {}
	}
	return func() { _ = shutdown(context.Background()) }
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return fmt.Errorf("serve: name a service: %s", strings.Join(launcher.Services, ", "))
	}
	name := args[0]
	fs := flag.NewFlagSet("serve "+name, flag.ContinueOnError)
	var c common
	c.register(fs, true)
	natsURL := natsFlag(fs)
	dataDir := fs.String("data-dir", env("HELPDESK_DATA_DIR", "./data"), "where the SQLite read models and search indexes are kept (HELPDESK_DATA_DIR)")
	admin := fs.Bool("ensure-admin", false, "identity only: create the account 'admin' (HELPDESK_ADMIN_PASSWORD, or a generated password printed once) if missing")
	readStore := readStoreFlag(fs)
	replicas := streamReplicasFlag(fs)
	metricsListen := metricsListenFlag(fs)
	var af authFlags
	af.register(fs, true)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if err := checkStreamReplicas(*replicas); err != nil {
		return err
	}
	db, err := c.readStore(*readStore, filepath.Join(*dataDir, name+".db"))
	if err != nil {
		return err
	}
	auth, err := af.auth()
	if err != nil {
		return err
	}
	log, policy, err := c.setup(stderr)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*dataDir, 0o750); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	nc, err := connect(*natsURL, "helpdesk-"+name)
	if err != nil {
		return err
	}
	cfg := launcher.PartsConfig{
		Conn: nc, Services: []string{name}, DB: db, StreamReplicas: *replicas, IndexDir: filepath.Join(*dataDir, "search"), SearchCache: c.cacheSize(),
		RecordingRetention: c.retentionDays, Holidays: c.holidaysFile(*dataDir), SurveyDays: c.surveyDays, EnsureAdmin: *admin, AdminPassword: os.Getenv("HELPDESK_ADMIN_PASSWORD"), Policy: policy, Logger: log, Registry: launcher.NewRegistry(),
		Auth: auth,
	}
	return runParts(ctx, nc, cfg, "service "+name, *metricsListen, stdout)
}

func serveGateway(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	var c common
	c.register(fs, false)
	natsURL := natsFlag(fs)
	listen := fs.String("listen", env("HELPDESK_LISTEN", "127.0.0.1:8080"), "REST gateway address (HELPDESK_LISTEN)")
	var af authFlags
	af.register(fs, false)
	ef := registerEdge(fs)
	auditDays := auditRetentionFlag(fs)
	replicas := streamReplicasFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := errors.Join(checkAuditRetention(*auditDays), checkStreamReplicas(*replicas)); err != nil {
		return err
	}
	auth, err := af.auth()
	if err != nil {
		return err
	}
	edge, err := ef.edge()
	if err != nil {
		return err
	}
	log, _, err := c.setup(stderr)
	if err != nil {
		return err
	}
	nc, err := connect(*natsURL, "helpdesk-gateway")
	if err != nil {
		return err
	}
	cfg := launcher.PartsConfig{
		Conn: nc, Gateway: true, Listen: *listen, JWTSecret: os.Getenv("HELPDESK_JWT_SECRET"),
		Logger: log, Registry: launcher.NewRegistry(), Auth: auth, Edge: edge, AuditRetentionDays: *auditDays,
		StreamReplicas: *replicas,
	}
	return runParts(ctx, nc, cfg, "gateway", "", stdout)
}
