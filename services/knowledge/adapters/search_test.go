package adapters_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/contracts/events"
	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/subjects"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/natsembed"
	"helpdesk/services/knowledge/adapters"
	"helpdesk/services/knowledge/app/query"
)

var t0 = time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)

// envelope makes a stored event of the aggregate type of its payload.
func envelope(t testing.TB, id string, p any, seq uint64) events.Envelope {
	t.Helper()
	typ, src := subjects.AggregateArticle, kbapi.Source
	switch p.(type) {
	case ticketapi.Opened, ticketapi.Resolved, ticketapi.Reopened:
		typ, src = subjects.AggregateTicket, ticketapi.Source
	}
	env, err := events.New(src, typ, id, p.(events.Payload), t0.Add(time.Duration(seq)*time.Minute), events.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	env.AggregateVersion = seq
	return env
}

// feed applies payloads of one aggregate to an index as one committed batch.
func feed(t testing.TB, idx *adapters.SearchIndex, _, id string, seq *uint64, ps ...events.Payload) {
	t.Helper()
	ctx := context.Background()
	b, err := idx.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		*seq++
		env := envelope(t, id, p, *seq)
		if err := b.Apply(ctx, env); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(ctx, *seq); err != nil {
		t.Fatal(err)
	}
}

// ticketStore is a real event store on an embedded NATS server, where the
// questions index reads tickets' histories.
func ticketStore(t testing.TB) eventstore.Store {
	t.Helper()
	_, nc := natsembed.StartForTest(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	store, err := eventstore.NewJetStream(context.Background(), js, subjects.ServiceTicket)
	if err != nil {
		t.Fatal(err)
	}
	return store
}

func newIndexes(t testing.TB, dir string) (*adapters.SearchIndex, *adapters.SearchIndex) {
	t.Helper()
	a, q, _ := newIndexesWithStore(t, dir)
	return a, q
}

func newIndexesWithStore(t testing.TB, dir string) (*adapters.SearchIndex, *adapters.SearchIndex, eventstore.Store) {
	t.Helper()
	store := ticketStore(t)
	articlesDir, questionsDir := "", ""
	if dir != "" {
		articlesDir, questionsDir = dir+"/a", dir+"/q"
	}
	a, err := adapters.OpenSearchIndex("kb_articles_index", subjects.Stream(subjects.ServiceKnowledge), articlesDir, adapters.ArticleDocs)
	if err != nil {
		t.Fatal(err)
	}
	q, err := adapters.OpenSearchIndex("kb_questions_index", subjects.Stream(subjects.ServiceTicket), questionsDir, adapters.QuestionDocs{Questions: &adapters.TicketQuestions{Tickets: store}}.Map)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); q.Close() })
	return a, q, store
}

type library struct {
	articles, questions *adapters.SearchIndex
	tickets             eventstore.Store
	searcher            *adapters.Searcher
	seq                 uint64
}

// ticket appends a ticket's events to the store, one append each as the
// ticket service makes them, and applies them to the questions index.
func (l *library) ticket(t testing.TB, id string, ps ...events.Payload) {
	t.Helper()
	ctx := context.Background()
	var version uint64
	for _, p := range ps {
		env, err := events.New(ticketapi.Source, subjects.AggregateTicket, id, p, t0, events.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		r, err := l.tickets.Append(ctx, subjects.Ticket(id), []events.Envelope{env}, eventstore.AppendOptions{ExpectedVersion: version})
		if err != nil {
			t.Fatal(err)
		}
		version = r.Version
	}
	evs, err := l.tickets.Load(ctx, subjects.Ticket(id))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := l.questions.Begin(ctx)
	for _, e := range evs {
		if err := b.Apply(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(ctx, version); err != nil {
		t.Fatal(err)
	}
}

func (l *library) publish(t testing.TB, id, title, body, cat string, tags ...string) {
	feed(t, l.articles, subjects.AggregateArticle, id, &l.seq,
		kbapi.ArticleDrafted{Content: kbapi.Content{Title: title, Body: body, CategoryID: cat, Tags: tags}},
		kbapi.ArticlePublished{})
}

func newLibrary(t testing.TB) *library {
	a, q, store := newIndexesWithStore(t, "")
	l := &library{articles: a, questions: q, tickets: store, searcher: &adapters.Searcher{Articles: a, Questions: q, Now: func() time.Time { return t0.Add(time.Hour) }}}
	l.publish(t, "printer-net", "打印机无法连接网络", "检查打印机的 Wi-Fi 设置，重新输入密码后重启打印机。", "hw", "打印机")
	l.publish(t, "printer-jam", "打印机卡纸怎么办", "打开后盖，取出卡住的纸张。", "hw", "打印机")
	l.publish(t, "vpn", "VPN 连不上", "Check that the VPN client is version 2.3 or later, then reconnect.", "net", "vpn")
	l.publish(t, "password", "How to reset your password", "Open the login page and choose 忘记密码 (forgot password).", "acct")
	l.publish(t, "exam", "考试成绩什么时候公布", "考试结束后 5 个工作日内在个人中心公布成绩。", "exam")
	feed(t, l.articles, subjects.AggregateArticle, "draft-only", &l.seq,
		kbapi.ArticleDrafted{Content: kbapi.Content{Title: "打印机驱动下载（草稿）", Body: "未发布", CategoryID: "hw"}})
	feed(t, l.articles, subjects.AggregateArticle, "archived", &l.seq,
		kbapi.ArticleDrafted{Content: kbapi.Content{Title: "旧版打印机手册", Body: "已过时", CategoryID: "hw"}},
		kbapi.ArticlePublished{}, kbapi.ArticleArchived{})
	l.ticket(t, "ticket-answered",
		ticketapi.Opened{Title: "网络打印机连接失败，电话13812345678", Category: "硬件"},
		ticketapi.Resolved{Resolution: "更新了打印机固件"})
	l.ticket(t, "ticket-open", ticketapi.Opened{Title: "打印机一直离线", Category: "硬件"})
	l.ticket(t, "ticket-reopened",
		ticketapi.Opened{Title: "打印机又坏了", Category: "硬件"},
		ticketapi.Resolved{Resolution: "重启"}, ticketapi.Reopened{Reason: "没好"})
	return l
}

func ids(m query.Matches) []string {
	var out []string
	for _, it := range m.Items {
		out = append(out, it.ID)
	}
	return out
}

func TestSearch_quality(t *testing.T) {
	l := newLibrary(t)
	tests := []struct {
		q     string
		first string   // the expected best hit ("" for none)
		hits  []string // also expected among the hits
		miss  []string // never among the hits
	}{
		{"打印机", "printer-net", []string{"printer-jam"}, []string{"draft-only", "archived", "vpn"}},
		{"网络连接", "printer-net", nil, []string{"exam", "printer-jam"}},
		{"打印机 网络", "printer-net", []string{"printer-jam"}, nil},
		{"VPN 连不上", "vpn", nil, []string{"exam"}},
		{"vpn", "vpn", nil, nil},
		{"pasword reset", "password", nil, []string{"vpn"}},
		{"忘记密码", "password", nil, nil},
		{"Wi-Fi", "printer-net", nil, nil},
		{"成绩", "exam", nil, []string{"printer-net"}},
		{"空调", "", nil, nil},
		{"title:*", "", nil, nil},
		{`"unbalanced`, "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			m, err := l.searcher.Search(context.Background(), query.SearchQuery{Text: tt.q, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			got := ids(m)
			if tt.first == "" {
				if len(got) != 0 {
					t.Fatalf("hits %v, want none", got)
				}
				return
			}
			if len(got) == 0 || got[0] != tt.first {
				t.Fatalf("hits %v, want %s first", got, tt.first)
			}
			for _, id := range tt.hits {
				if !slices.Contains(got, id) {
					t.Errorf("hits %v miss %s", got, id)
				}
			}
			for _, id := range tt.miss {
				if slices.Contains(got, id) {
					t.Errorf("hits %v include %s", got, id)
				}
			}
		})
	}
}

func TestSearch_snippets_facets_and_filters(t *testing.T) {
	l := newLibrary(t)
	ctx := context.Background()
	m, err := l.searcher.Search(ctx, query.SearchQuery{Text: "打印机", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if m.Total != 2 || m.CategoryCounts["hw"] != 2 || len(m.CategoryCounts) != 1 {
		t.Fatalf("total %d, counts %v", m.Total, m.CategoryCounts)
	}
	if s := m.Items[0].Snippet; !strings.Contains(s, "<mark>打印机</mark>") {
		t.Fatalf("snippet %q", s)
	}
	m, _ = l.searcher.Search(ctx, query.SearchQuery{Text: "打印机", Limit: 10, CategoryIDs: []string{"net", "acct"}})
	if m.Total != 0 {
		t.Fatalf("category filter: %v", ids(m))
	}
	m, _ = l.searcher.Search(ctx, query.SearchQuery{Text: "打印机 纸张", Limit: 10, Tag: "打印机"})
	if m.Total != 2 {
		t.Fatalf("tag filter: %v", ids(m))
	}
	m, _ = l.searcher.Search(ctx, query.SearchQuery{Text: "打印机", Limit: 1, Offset: 1})
	if len(m.Items) != 1 || m.Total != 2 {
		t.Fatalf("second page: %v of %d", ids(m), m.Total)
	}
}

func TestSnippet_escapes_markup(t *testing.T) {
	l := newLibrary(t)
	l.publish(t, "xss", "脚本 <script>", "点击 <script>alert(1)</script> 打印机 & more", "hw")
	m, _ := l.searcher.Search(context.Background(), query.SearchQuery{Text: "alert 打印机", Limit: 10})
	for _, it := range m.Items {
		if it.ID == "xss" {
			if strings.Contains(it.Snippet, "<script>") || !strings.Contains(it.Snippet, "&lt;script&gt;") {
				t.Fatalf("snippet %q", it.Snippet)
			}
			return
		}
	}
	t.Fatalf("hits %v", ids(m))
}

func TestSuggest_articles_and_answered_questions(t *testing.T) {
	l := newLibrary(t)
	ctx := context.Background()
	for _, typed := range []string{"打印机连", "网络打印", "printer 网络"} {
		m, err := l.searcher.Suggest(ctx, query.SearchQuery{Text: typed, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		got := ids(m)
		if typed != "printer 网络" && !slices.Contains(got, "ticket-answered") {
			t.Errorf("%s: %v lacks the answered question", typed, got)
		}
		for _, bad := range []string{"ticket-open", "ticket-reopened", "draft-only", "archived"} {
			if slices.Contains(got, bad) {
				t.Errorf("%s: %v includes %s", typed, got, bad)
			}
		}
		for _, it := range m.Items {
			if strings.Contains(it.Title+it.Snippet, "13812345678") {
				t.Errorf("question leaks a phone number: %+v", it)
			}
			if it.ID == "ticket-answered" && (it.Kind != kbapi.KindQuestion || m.Items[0].Kind == "") {
				t.Errorf("kinds: %+v", m.Items)
			}
		}
	}
	// The last word unfinished, or misspelt (no word starts with it).
	for typed, want := range map[string]string{"How to res": "password", "passw": "password", "考试成": "exam", "pasword": "password"} {
		m, _ := l.searcher.Suggest(ctx, query.SearchQuery{Text: typed, Limit: 5})
		if got := ids(m); len(got) == 0 || got[0] != want {
			t.Errorf("%q: %v, want %s first", typed, got, want)
		}
	}
	m, _ := l.searcher.Suggest(ctx, query.SearchQuery{Text: "VP", Limit: 5})
	if got := ids(m); len(got) != 0 {
		t.Errorf("two letters are too few to expand: %v", got)
	}
	m, _ = l.searcher.Suggest(ctx, query.SearchQuery{Text: "打印机", Limit: 5, CategoryIDs: []string{"hw"}, CategoryNames: []string{"硬件"}})
	if got := ids(m); !slices.Contains(got, "printer-net") || !slices.Contains(got, "ticket-answered") {
		t.Fatalf("category filter by id and by name: %v", got)
	}
}

func TestSearchIndex_survives_reopen_and_reset(t *testing.T) {
	dir := t.TempDir()
	a, _ := newIndexes(t, dir)
	var seq uint64
	for i := range 3 {
		feed(t, a, subjects.AggregateArticle, fmt.Sprintf("a%d", i), &seq,
			kbapi.ArticleDrafted{Content: kbapi.Content{Title: "标题", CategoryID: "c"}})
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	a, err := adapters.OpenSearchIndex("kb_articles_index", "S", dir+"/a", adapters.ArticleDocs)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	if pos, err := a.Position(ctx); err != nil || pos != 3 {
		t.Fatalf("position after reopen %d %v, want 3", pos, err)
	}
	if doc, err := a.Doc("a1"); err != nil || doc == nil || doc.Title != "标题" {
		t.Fatalf("doc after reopen %+v %v", doc, err)
	}
	if err := a.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if pos, _ := a.Position(ctx); pos != 0 {
		t.Fatalf("position after reset %d", pos)
	}
	if doc, _ := a.Doc("a1"); doc != nil {
		t.Fatalf("doc after reset %+v", doc)
	}
}

// TestSearchIndex_compact_merges_segments checks that compacting an index
// written in many batches leaves one segment and the same answers.
func TestSearchIndex_compact_merges_segments(t *testing.T) {
	a, q := newIndexes(t, t.TempDir())
	var seq uint64
	// Each batch adds a segment; scorch merges them in the background,
	// sometimes as fast as they come, so articles are added until several
	// segments are seen at once.
	articles := 0
	for articles < 12 || a.Segments() < 2 {
		if articles == kbapi.MaxLimit { // one page of results must hold them all
			t.Fatalf("%d segment(s) after %d batches; the test needs several", a.Segments(), articles)
		}
		feed(t, a, subjects.AggregateArticle, fmt.Sprintf("a%d", articles), &seq,
			kbapi.ArticleDrafted{Content: kbapi.Content{Title: fmt.Sprintf("打印机无法连接网络 %d", articles), Body: "重启路由器", CategoryID: "c"}},
			kbapi.ArticlePublished{})
		articles++
	}
	s := &adapters.Searcher{Articles: a, Questions: q}
	ctx := context.Background()
	before, err := s.Search(ctx, query.SearchQuery{Text: "打印机", Limit: articles})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if n := a.Segments(); n != 1 {
		t.Fatalf("%d segments after compacting, want 1", n)
	}
	after, err := s.Search(ctx, query.SearchQuery{Text: "打印机", Limit: articles})
	if err != nil {
		t.Fatal(err)
	}
	if before.Total != articles || after.Total != articles || len(after.Items) != articles {
		t.Fatalf("found %d before and %d (%d items) after compacting, want %d", before.Total, after.Total, len(after.Items), articles)
	}
}

func TestSearchIndex_uncommitted_batch_changes_nothing(t *testing.T) {
	a, _ := newIndexes(t, "")
	ctx := context.Background()
	b, _ := a.Begin(ctx)
	env, _ := events.New(kbapi.Source, subjects.AggregateArticle, "x", kbapi.ArticleDrafted{Content: kbapi.Content{Title: "打印机"}}, t0, events.Metadata{})
	if err := b.Apply(ctx, env); err != nil {
		t.Fatal(err)
	}
	edited, _ := events.New(kbapi.Source, subjects.AggregateArticle, "x", kbapi.ArticleEdited{Content: kbapi.Content{Title: "打印机 2"}, ContentVersion: 2}, t0, events.Metadata{})
	if err := b.Apply(ctx, edited); err != nil {
		t.Fatalf("an edit must see the draft of the same batch: %v", err)
	}
	b.Discard()
	if doc, _ := a.Doc("x"); doc != nil {
		t.Fatalf("discarded batch left %+v", doc)
	}
	orphan, _ := events.New(kbapi.Source, subjects.AggregateArticle, "y", kbapi.ArticlePublished{}, t0, events.Metadata{})
	b, _ = a.Begin(ctx)
	if err := b.Apply(ctx, orphan); err == nil {
		t.Fatal("publishing an article the index never saw must fail, not invent one")
	}
}

// TestSearchIndex_redelivered_events_change_nothing applies a batch, then
// the same events again, as a redelivery after a crash would: the index
// holds each article once, as the events left it.
func TestSearchIndex_redelivered_events_change_nothing(t *testing.T) {
	a, q := newIndexes(t, "")
	s := &adapters.Searcher{Articles: a, Questions: q}
	ctx := context.Background()
	evs := []events.Envelope{
		envelope(t, "r1", kbapi.ArticleDrafted{Content: kbapi.Content{Title: "路由器重启", CategoryID: "c"}}, 1),
		envelope(t, "r1", kbapi.ArticlePublished{}, 2),
		envelope(t, "r1", kbapi.ArticleEdited{Content: kbapi.Content{Title: "路由器重启方法", CategoryID: "c"}, ContentVersion: 2}, 3),
	}
	for range 2 {
		b, _ := a.Begin(ctx)
		for _, e := range evs {
			if err := b.Apply(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Commit(ctx, 3); err != nil {
			t.Fatal(err)
		}
	}
	m, err := s.Search(ctx, query.SearchQuery{Text: "路由器", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if m.Total != 1 || m.Items[0].Title != "路由器重启方法" {
		t.Fatalf("after redelivery: %+v", m)
	}
}

// TestResultCache_serves_until_the_index_changes checks that a cached
// result never hides an article committed after it.
func TestResultCache_serves_until_the_index_changes(t *testing.T) {
	l := newLibrary(t)
	cache, err := adapters.NewResultCache(100)
	if err != nil {
		t.Fatal(err)
	}
	l.searcher.Cache = cache
	ctx := context.Background()
	q := query.SearchQuery{Text: "路由器", Limit: 10}
	for range 2 {
		if m, _ := l.searcher.Search(ctx, q); m.Total != 0 {
			t.Fatalf("before: %v", ids(m))
		}
	}
	if hits, misses := cache.Stats(); hits != 1 || misses != 1 {
		t.Fatalf("hits %d misses %d, want 1 and 1", hits, misses)
	}
	l.publish(t, "router", "路由器无法上网", "重启路由器。", "net")
	if m, _ := l.searcher.Search(ctx, q); m.Total != 1 {
		t.Fatalf("after a commit the cache still answers: %v", ids(m))
	}
}

// TestSearcher_answers_waiting_duplicates_from_the_cache checks that
// searches computed at once are bounded by the processors, and that a
// search that waited its turn is answered from the cache when the same
// query was computed meanwhile: of many identical concurrent searches, at
// most one per processor is computed.
func TestSearcher_answers_waiting_duplicates_from_the_cache(t *testing.T) {
	l := newLibrary(t)
	l.publish(t, "router", "路由器无法上网", "重启路由器。", "net")
	cache, err := adapters.NewResultCache(100)
	if err != nil {
		t.Fatal(err)
	}
	l.searcher.Cache = cache
	const n = 40
	var wg sync.WaitGroup
	totals := make([]int, n)
	release := adapters.HoldComputing()
	for i := range n {
		wg.Go(func() {
			m, err := l.searcher.Search(context.Background(), query.SearchQuery{Text: "路由器", Limit: 10})
			if err != nil {
				t.Error(err)
			}
			totals[i] = m.Total
		})
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, misses := cache.Stats(); misses == n || time.Now().After(deadline) {
			break // every search missed the cache and waits its turn
		}
	}
	release()
	wg.Wait()
	hits, misses := cache.Stats()
	if hits+misses != n || misses > uint64(runtime.GOMAXPROCS(0)) || slices.Max(totals) != 1 || slices.Min(totals) != 1 {
		t.Fatalf("%d hits, %d misses (want at most %d), totals %v", hits, misses, runtime.GOMAXPROCS(0), totals)
	}
}

// TestSearchIndex_reaction_runs_once_and_not_on_rebuild checks the
// bookkeeping of SetReaction: each event after the reacted position is
// reacted to, a failed reaction commits nothing, and after a reset (a
// rebuild) and a reopen the same events are indexed again but not reacted
// to again.
func TestSearchIndex_reaction_runs_once_and_not_on_rebuild(t *testing.T) {
	dir := t.TempDir()
	_, q, store := newIndexesWithStore(t, dir)
	l := &library{questions: q, tickets: store}
	var reacted []string
	fail := false
	react := func(_ context.Context, env events.Envelope) error {
		if fail {
			return fmt.Errorf("identity service unavailable")
		}
		reacted = append(reacted, env.AggregateID+" "+env.Type)
		return nil
	}
	if err := q.SetReaction(react); err != nil {
		t.Fatal(err)
	}
	l.ticket(t, "t1", ticketapi.Opened{Title: "打印机", Category: "硬件"}, ticketapi.Resolved{Resolution: "重启"})
	if len(reacted) != 2 {
		t.Fatalf("reacted to %v, want both events of t1", reacted)
	}

	// A failing reaction fails the batch: nothing of it is committed.
	fail = true
	ctx := context.Background()
	evs, _ := store.Load(ctx, subjects.Ticket("t1"))
	extra := envelope(t, "t2", ticketapi.Resolved{Resolution: "x"}, evs[len(evs)-1].AggregateVersion+1)
	b, _ := q.Begin(ctx)
	if err := b.Apply(ctx, extra); err == nil {
		t.Fatal("a failed reaction must fail the batch")
	}
	b.Discard()
	fail = false

	// Rebuild: reset and apply everything again; then reopen the files.
	if err := q.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	b, _ = q.Begin(ctx)
	for _, e := range evs {
		if err := b.Apply(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(ctx, evs[len(evs)-1].AggregateVersion); err != nil {
		t.Fatal(err)
	}
	if len(reacted) != 2 {
		t.Fatalf("a rebuild reacted again: %v", reacted)
	}
	if doc, _ := q.Doc("t1"); doc == nil || doc.Status != adapters.QuestionAnswered {
		t.Fatalf("rebuilt question %+v", doc)
	}
	_ = q.Close()
	q2, err := adapters.OpenSearchIndex("kb_questions_index", "S", dir+"/q", adapters.QuestionDocs{Questions: &adapters.TicketQuestions{Tickets: store}}.Map)
	if err != nil {
		t.Fatal(err)
	}
	defer q2.Close()
	if err := q2.SetReaction(react); err != nil {
		t.Fatal(err)
	}
	b, _ = q2.Begin(ctx)
	for _, e := range evs {
		if err := b.Apply(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if len(reacted) != 2 {
		t.Fatalf("a reopened index reacted again: %v", reacted)
	}
}
