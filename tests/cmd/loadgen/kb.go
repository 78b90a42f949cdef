package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
	"helpdesk/services/knowledge/kbtest"
	"helpdesk/tests/load"
)

// KBResult is what the knowledge-base phase measured.
type KBResult struct {
	Articles            int     `json:"articles"`
	CacheSize           int     `json:"cache_size"`
	Clients             int     `json:"clients"`
	SeedSeconds         float64 `json:"seed_seconds"`
	RebuildSeconds      float64 `json:"rebuild_seconds"`
	RebuildArticlesPerS float64 `json:"rebuild_articles_per_sec"`
	// Segments is how many index segments queries visit after the rebuild.
	Segments   int   `json:"segments"`
	IndexBytes int64 `json:"index_bytes"`
	RSSBytes   int64 `json:"rss_bytes"`
	// Floor is GET /healthz back to back from the same clients: what the
	// machine's HTTP path alone allows, the baseline of the runs below.
	Floor Latency `json:"floor"`
	// FloorPaced is GET /healthz at the typing pace: the baseline of the
	// paced runs.
	FloorPaced Latency `json:"floor_paced"`
	// RelayFloor is GET /api/v1/kb/categories back to back: a request
	// that takes the whole way of a suggestion (authentication, the
	// gateway's checks, a NATS request to the knowledge service, a JSON
	// reply) but does next to nothing there, reading a small catalog.
	RelayFloor   Latency `json:"relay_floor"`
	Search       Latency `json:"search"`
	Suggest      Latency `json:"suggest"`
	SearchPaced  Latency `json:"search_paced"`
	SuggestPaced Latency `json:"suggest_paced"`
	// CacheHitPercent is the share of searches and suggestions answered
	// from the result cache.
	CacheHitPercent float64 `json:"cache_hit_percent"`
}

// Latency is one load run's throughput and latency.
type Latency struct {
	PerSec float64 `json:"per_sec"`
	P50Ms  float64 `json:"p50_ms"`
	P99Ms  float64 `json:"p99_ms"`
	MaxMs  float64 `json:"max_ms"`
	Errors int64   `json:"errors"`
	// CacheHitPercent is the share of this run's requests the knowledge
	// service answered from its result cache.
	CacheHitPercent float64 `json:"cache_hit_percent,omitempty"`
}

// kbPhase starts a fresh system, seeds it with generated articles (as
// events appended through the event store, the way the service writes
// them), measures a full rebuild of the search index from the event log,
// then searches and suggestions through the REST gateway from many
// clients: at a typing pace first, with a cold result cache, then back to
// back (saturation), each beside GET /healthz sent the same way.
func kbPhase(cfg config, res *KBResult) error {
	fmt.Printf("Phase 4: knowledge base — %d generated articles, %d clients\n", cfg.kbArticles, cfg.kbClients)
	res.Articles, res.Clients, res.CacheSize = cfg.kbArticles, cfg.kbClients, max(cfg.kbCache, 0)
	dir, cleanup, err := tempDir(cfg, "kb")
	if err != nil {
		return err
	}
	defer cleanup()
	sys, anon, admin, err := startSystem(dir, cfg.kbClients, cfg.kbCache)
	if err != nil {
		return err
	}
	defer sys.Stop(context.Background())
	leaves, err := createCategories(admin)
	if err != nil {
		return err
	}
	if _, err := admin.createUser("kb-reader", "customer", ""); err != nil {
		return err
	}
	reader, err := anon.login("kb-reader", benchPassword)
	if err != nil {
		return err
	}

	profile := ""
	if cfg.phase == "kb" {
		profile = cfg.cpuProfile
	}
	stopProfile, err := startCPUProfile(profile)
	if err != nil {
		return err
	}
	defer stopProfile()
	started := time.Now()
	last, err := seedArticles(sys.NATSURL, cfg.kbArticles, leaves)
	if err != nil {
		return err
	}
	index := sys.Knowledge.Projection("kb_articles_index")
	if err := waitProjection(index.Position, last, "indexing"); err != nil {
		return err
	}
	if err := waitProjection(sys.Knowledge.Projection("kb_catalog").Position, last, "catalog"); err != nil {
		return err
	}
	res.SeedSeconds = time.Since(started).Seconds()
	fmt.Printf("  seeded and indexed in %.1f s\n", res.SeedSeconds)

	fmt.Println("  rebuilding the search index from the event log")
	sum, err := index.Rebuild(context.Background(), func(done, total uint64) {
		fmt.Printf("    %d / %d events\n", done, total)
	})
	if err != nil {
		return err
	}
	res.RebuildSeconds = sum.Duration.Seconds()
	res.RebuildArticlesPerS = float64(cfg.kbArticles) / res.RebuildSeconds
	res.Segments = sys.Knowledge.Articles.Segments()
	fmt.Printf("  => rebuilt %d events (%d articles) in %.1f s: %.0f articles/s, %d segment(s)\n", sum.Events, cfg.kbArticles, res.RebuildSeconds, res.RebuildArticlesPerS, res.Segments)

	cacheStats := func() (hits, misses uint64) {
		if c := sys.Knowledge.SearchCache; c != nil {
			return c.Stats()
		}
		return 0, 0
	}
	run := func(name, path, kind string, pause time.Duration, out *Latency) error {
		var err error
		hits, misses := cacheStats()
		if cfg.kbInProcess {
			*out = kbLoad(cfg, sys.URL, reader.token, name, path, kind, pause)
		} else if *out, err = kbLoadInChild(cfg, sys.URL, reader.token, name, path, kind, pause); err != nil {
			return err
		}
		h, m := cacheStats()
		out.CacheHitPercent = 100 * float64(h-hits) / float64(max(1, h-hits+m-misses))
		fmt.Printf("  => %s: %.0f/s, p50 %.2f ms, p99 %.2f ms, max %.1f ms, %d errors, %.1f%% from the result cache\n",
			name, out.PerSec, out.P50Ms, out.P99Ms, out.MaxMs, out.Errors, out.CacheHitPercent)
		return nil
	}
	// The paced runs come first, while the result cache holds only what
	// their own warm-up put in it.
	for _, r := range []struct {
		name, path, kind string
		pause            time.Duration
		out              *Latency
	}{
		{"floor~ (GET /healthz)", "/healthz?q=", "search", cfg.kbPause, &res.FloorPaced},
		{"search~", "/api/v1/kb/search?limit=10&q=", "search", cfg.kbPause, &res.SearchPaced},
		{"suggest~", "/api/v1/kb/suggestions?limit=10&q=", "typing", cfg.kbPause, &res.SuggestPaced},
		{"floor (GET /healthz)", "/healthz?q=", "search", 0, &res.Floor},
		{"relay floor (GET /api/v1/kb/categories)", "/api/v1/kb/categories?q=", "search", 0, &res.RelayFloor},
		{"search", "/api/v1/kb/search?limit=10&q=", "search", 0, &res.Search},
		{"suggest", "/api/v1/kb/suggestions?limit=10&q=", "typing", 0, &res.Suggest},
	} {
		if err := run(r.name, r.path, r.kind, r.pause, r.out); err != nil {
			return fmt.Errorf("%s: %w", r.name, err)
		}
	}
	res.RSSBytes = rss()
	// Measured last: merged-away segment files are removed in the background.
	if res.IndexBytes, err = sys.Knowledge.Articles.Size(); err != nil {
		return err
	}
	hits, misses := cacheStats()
	res.CacheHitPercent = 100 * float64(hits) / float64(max(1, hits+misses))
	fmt.Println()
	return nil
}

// createCategories creates the generator's category tree through the API
// and returns the ids of the leaves by name.
func createCategories(admin *api) (map[string]string, error) {
	leaves := map[string]string{}
	create := func(name, parent string) (string, error) {
		status, body, err := admin.post(context.Background(), "/api/v1/kb/categories", map[string]string{"name": name, "parent_id": parent})
		if err != nil || status != http.StatusCreated {
			return "", fmt.Errorf("create category %s: %d %s %v", name, status, body, err)
		}
		var c struct {
			ID string `json:"id"`
		}
		return c.ID, json.Unmarshal(body, &c)
	}
	for _, top := range kbtest.SortedTop() {
		id, err := create(top, "")
		if err != nil {
			return nil, err
		}
		for _, leaf := range kbtest.Categories[top] {
			if leaves[leaf], err = create(leaf, id); err != nil {
				return nil, err
			}
		}
	}
	return leaves, nil
}

// seedArticles appends a drafted and a published event per generated
// article from several writers and returns the stream sequence of the last
// event.
func seedArticles(natsURL string, n int, leaves map[string]string) (uint64, error) {
	nc, err := nats.Connect(natsURL)
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, err
	}
	store, err := eventstore.NewJetStream(context.Background(), js, subjects.ServiceKnowledge)
	if err != nil {
		return 0, err
	}
	var done atomic.Int64
	stop := progress("seed", &done)
	defer stop()
	return kbtest.Seed(context.Background(), store, n, "system:loadgen",
		func(int) string { return uuid.Must(uuid.NewV7()).String() },
		func(category string) string { return leaves[category] }, &done)
}

// waitProjection waits until a projection has reached seq, printing
// progress every second.
func waitProjection(position func() uint64, seq uint64, what string) error {
	deadline := time.Now().Add(10 * time.Minute)
	for position() < seq {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: at %d of %d after 10 minutes", what, position(), seq)
		}
		time.Sleep(time.Second)
		fmt.Printf("  %-8s %d / %d events\n", what, position(), seq)
	}
	return nil
}

// rss is the resident set size of this process (the whole system and the
// load generator), from /proc.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// kbLoad runs one search or suggestion load from cfg.kbClients clients
// against the gateway at base, signed in with token: kind "search" sends
// generated queries, "typing" prefixes of titles being typed; with a pause
// each client waits 0.5 to 1.5 times it between requests.
func kbLoad(cfg config, base, token, name, path, kind string, pause time.Duration) Latency {
	cfg.concurrency = cfg.kbClients
	client := &api{base: base, token: token, http: httpClient(cfg.kbClients)}
	queries := make([]*kbtest.Generator, cfg.kbClients)
	for i := range queries {
		queries[i] = kbtest.New(uint64(1000 + i))
	}
	text := func(g *kbtest.Generator) string { return g.Query() }
	if kind == "typing" {
		text = func(g *kbtest.Generator) string { return g.Typing() }
	}
	var errs atomic.Int64
	rec, rate, _ := measure(cfg, name, func(ctx context.Context, w int, rec *load.Recorder) error {
		if pause > 0 {
			// Independent typists: each waits 0.5 to 1.5 times the pace
			// before a keystroke. Waiting before the first one too keeps
			// a run from starting with every client in one burst.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(float64(pause) * (0.5 + rand.Float64()))):
			}
		}
		q := path + url.QueryEscape(text(queries[w]))
		begin := time.Now()
		status, b, err := client.get(ctx, q)
		if err == nil && status == http.StatusOK {
			rec.Add(time.Since(begin))
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errs.Add(1) <= 3 {
			fmt.Fprintf(os.Stderr, "  error: %d %s %v\n", status, truncate(b), err)
		}
		return fmt.Errorf("status %d", status)
	})
	return Latency{PerSec: rate, P50Ms: ms(rec.Percentile(50)), P99Ms: ms(rec.Percentile(99)), MaxMs: ms(rec.Percentile(100)), Errors: errs.Load()}
}

// kbClientCommand is the hidden first argument that makes loadgen a load
// client of its parent: clients in a process of their own, as real ones
// are, do not share the system's cores' scheduler and garbage collector.
const kbClientCommand = "kb-client"

// kbLoadInChild runs kbLoad in a child process of this program and reads
// its result, the last line of its output.
func kbLoadInChild(cfg config, base, token, name, path, kind string, pause time.Duration) (Latency, error) {
	exe, err := os.Executable()
	if err != nil {
		return Latency{}, err
	}
	cmd := exec.Command(exe, kbClientCommand, "-base", base, "-token", token, "-name", name, "-path", path, "-kind", kind,
		"-pause", pause.String(), "-kb-clients", strconv.Itoa(cfg.kbClients), "-d", cfg.duration.String(), "-warmup", cfg.warmup.String())
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return Latency{}, fmt.Errorf("load client: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	fmt.Print(strings.Join(lines[:len(lines)-1], "\n") + "\n")
	var l Latency
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &l); err != nil {
		return Latency{}, fmt.Errorf("load client result: %w", err)
	}
	return l, nil
}

// kbClientMain is the child's main: one kbLoad, its result as JSON last.
func kbClientMain(args []string) error {
	fs := flag.NewFlagSet(kbClientCommand, flag.ContinueOnError)
	var cfg config
	base := fs.String("base", "", "gateway URL")
	token := fs.String("token", "", "access token")
	name := fs.String("name", "", "name of the run")
	path := fs.String("path", "", "path and query prefix")
	kind := fs.String("kind", "search", "search or typing")
	pause := fs.Duration("pause", 0, "mean pause between a client's requests")
	fs.IntVar(&cfg.kbClients, "kb-clients", 50, "clients")
	fs.DurationVar(&cfg.duration, "d", 10*time.Second, "measured duration")
	fs.DurationVar(&cfg.warmup, "warmup", time.Second, "warm-up")
	if err := fs.Parse(args); err != nil {
		return err
	}
	l := kbLoad(cfg, *base, *token, *name, *path, *kind, *pause)
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	fmt.Println(string(b))
	return nil
}
