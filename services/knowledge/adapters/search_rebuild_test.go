package adapters_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"helpdesk/contracts/events"
	"helpdesk/contracts/kbapi"
	"helpdesk/services/knowledge/adapters"
	"helpdesk/services/knowledge/app/query"
)

// commitBatch applies envs to idx as one batch and commits it at the last
// one's sequence.
func commitBatch(t *testing.T, idx *adapters.SearchIndex, envs []events.Envelope) error {
	t.Helper()
	ctx := context.Background()
	b, err := idx.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Discard()
	for _, env := range envs {
		if err := b.Apply(ctx, env); err != nil {
			t.Fatal(err)
		}
	}
	return b.Commit(ctx, envs[len(envs)-1].AggregateVersion)
}

// rebuildBatches makes two batches of a replay, each large enough to be
// written in the background: drafts of n articles, then their publication
// with drafts of n more, which the second batch's events find in the
// first while it may still be written.
func rebuildBatches(t *testing.T, n int) (first, second []events.Envelope) {
	t.Helper()
	var seq uint64
	next := func(id string, p any) events.Envelope {
		seq++
		return envelope(t, id, p, seq)
	}
	draft := func(i int) kbapi.ArticleDrafted {
		return kbapi.ArticleDrafted{Content: kbapi.Content{Title: fmt.Sprintf("打印机无法连接网络 %d", i), Body: "重启路由器", CategoryID: "c"}}
	}
	for i := range n {
		first = append(first, next(fmt.Sprintf("a%d", i), draft(i)))
	}
	for i := range n {
		second = append(second, next(fmt.Sprintf("a%d", i), kbapi.ArticlePublished{}), next(fmt.Sprintf("a%d", n+i), draft(n+i)))
	}
	return first, second
}

// TestSearchIndex_rebuild_writes_behind replays two large batches after a
// reset, the second changing the first's documents: Compact waits for
// both, and the index then holds every document in its last state, its
// position, and one segment; after Compact a batch is visible as soon as
// it commits.
func TestSearchIndex_rebuild_writes_behind(t *testing.T) {
	a, q := newIndexes(t, t.TempDir())
	ctx := context.Background()
	if err := a.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 300
	first, second := rebuildBatches(t, n)
	for _, batch := range [][]events.Envelope{first, second} {
		if err := commitBatch(t, a, batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	last := second[len(second)-1].AggregateVersion
	if pos, err := a.Position(ctx); err != nil || pos != last {
		t.Fatalf("position %d %v, want %d", pos, err, last)
	}
	if segs := a.Segments(); segs != 1 {
		t.Fatalf("%d segments after compacting, want 1", segs)
	}
	for _, id := range []string{"a0", fmt.Sprint("a", n-1)} {
		if doc, err := a.Doc(id); err != nil || doc == nil || doc.Status != kbapi.StatusPublished {
			t.Fatalf("%s: %+v %v, want it published", id, doc, err)
		}
	}
	s := &adapters.Searcher{Articles: a, Questions: q}
	res, err := s.Search(ctx, query.SearchQuery{Text: "打印机", Limit: 10})
	if err != nil || res.Total != n {
		t.Fatalf("found %d %v, want the %d published articles", res.Total, err, n)
	}

	live := envelope(t, "a0", kbapi.ArticleArchived{}, last+1)
	if err := commitBatch(t, a, []events.Envelope{live}); err != nil {
		t.Fatal(err)
	}
	if doc, _ := a.Doc("a0"); doc == nil || doc.Status != kbapi.StatusArchived {
		t.Fatalf("a0 after a live batch: %+v, want it archived", doc)
	}
}

// TestSearchIndex_rebuild_write_failure_sticks makes a batch written in
// the background fail: every later commit and the compaction report it,
// since the position has moved past that batch, until a reset.
func TestSearchIndex_rebuild_write_failure_sticks(t *testing.T) {
	a, _ := newIndexes(t, t.TempDir())
	ctx := context.Background()
	if err := a.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	first, second := rebuildBatches(t, 300)
	// A document dated after the year 9999 has no JSON source to store.
	good := first[7]
	first[7].OccurredAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := commitBatch(t, a, first); err != nil {
		t.Fatalf("the first batch is handed over, not written yet: %v", err)
	}
	if err := commitBatch(t, a, second); err == nil {
		t.Fatal("a commit after a failed batch succeeded")
	}
	if err := a.Compact(ctx); err == nil {
		t.Fatal("compacting after a failed batch succeeded")
	}
	if err := a.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	first[7] = good
	for _, batch := range [][]events.Envelope{first, second} {
		if err := commitBatch(t, a, batch); err != nil {
			t.Fatalf("after a reset: %v", err)
		}
	}
	if err := a.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if doc, _ := a.Doc("a0"); doc == nil || doc.Status != kbapi.StatusPublished {
		t.Fatalf("a0 after the second rebuild: %+v", doc)
	}
}
