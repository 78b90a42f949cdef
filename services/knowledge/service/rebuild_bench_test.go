package service_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/contracts/subjects"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
	"helpdesk/infra/sqlstore/sqlstoretest"
	"helpdesk/services/knowledge/kbtest"
	"helpdesk/services/knowledge/service"
)

// BenchmarkRebuild measures `helpdesk projections rebuild kb_articles_index`
// alone: a knowledge service on embedded NATS, with its indexes in files,
// holds KB_REBUILD_ARTICLES generated articles (default 20,000; the load
// generator's phase uses 100,000), each appended as article.drafted and
// article.published the way the commands write them; every iteration
// rebuilds the articles index from the stream, compaction included, and
// the benchmark reports articles/s and the processor time per article.
// Seeding and the first indexing (until the catalog too has caught up) are
// not timed.
func BenchmarkRebuild(b *testing.B) {
	n := 20_000
	if v := os.Getenv("KB_REBUILD_ARTICLES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("KB_REBUILD_ARTICLES: %v", err)
		}
	}
	_, nc := natsembed.StartForTest(b)
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	store, err := eventstore.NewJetStream(context.Background(), js, subjects.ServiceKnowledge, subjects.ServiceTicket)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := service.Start(context.Background(), service.Config{
		Conn: nc, Store: store, DB: sqlstoretest.SQLite(b), IndexDir: b.TempDir(),
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry(),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = svc.Stop() })
	last := seedRebuildArticles(b, store, n)
	runner := svc.Projection("kb_articles_index")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for _, name := range []string{"kb_catalog", "kb_articles_index"} {
		if err := svc.Projection(name).WaitFor(ctx, last); err != nil {
			b.Fatal(err)
		}
	}
	cpu0 := cpuTime(b)
	b.ResetTimer()
	for b.Loop() {
		sum, err := runner.Rebuild(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if sum.Position < last {
			b.Fatalf("rebuild stopped at %d of %d", sum.Position, last)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "articles/s")
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(n*b.N), "cpu-µs/article")
	b.ReportMetric(float64(svc.Articles.Segments()), "segments")
}

// cpuTime is the processor time this process has used (user and system),
// the embedded NATS server's included: on a machine shared with other
// work it varies less than the elapsed time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// seedRebuildArticles appends n generated articles, drafted and then
// published, and returns the stream sequence of the last event.
func seedRebuildArticles(b *testing.B, store eventstore.Store, n int) uint64 {
	b.Helper()
	last, err := kbtest.Seed(context.Background(), store, n, "system:bench",
		func(i int) string { return fmt.Sprintf("0190c0de-0000-7000-8000-%012d", i) },
		func(category string) string { return category }, nil)
	if err != nil {
		b.Fatal(err)
	}
	return last
}
