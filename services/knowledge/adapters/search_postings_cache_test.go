package adapters

import (
	"context"
	"slices"
	"testing"
)

// TestPostingsCache_keeps_lists_of_live_segments_within_budget checks
// that the cache returns every live posting, keeps the common lists only,
// drops those of segments a merge replaced, and stays within its budget.
func TestPostingsCache_keeps_lists_of_live_segments_within_budget(t *testing.T) {
	s := openTestIndex(t)
	write := func(from, to int, title string) {
		t.Helper()
		indexTitles(t, s, from, slices.Repeat([]string{title}, to-from)...)
	}
	ctx := context.Background()
	var c postingsCache
	// count reads the postings of title:term in the current snapshot and
	// checks the cache holds only lists of its segments.
	count := func(term string) int {
		t.Helper()
		r, err := reader(s.idx)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		tables, err := buildTables(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		p, err := c.postings(r, tables, "title", term)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		if err := p.each(ctx, tables, nil, func(int, float64) { n++ }); err != nil {
			t.Fatal(err)
		}
		if p.live != uint64(n) {
			t.Errorf("%s: %d live postings counted, %d read", term, p.live, n)
		}
		live := map[any]bool{}
		for _, ss := range r.Segments() {
			live[ss.Segment()] = true
		}
		for key := range c.entries {
			if !live[key.seg] {
				t.Errorf("the cache keeps %s of a segment the snapshot does not have", key.term)
			}
		}
		return n
	}

	write(0, 400, "printer jam")
	write(400, 500, "router down")
	if n := count("printer"); n != 400 {
		t.Fatalf("printer: %d postings, want 400", n)
	}
	if n := count("router"); n != 100 {
		t.Fatalf("router: %d postings, want 100", n)
	}
	if len(c.entries) != 1 {
		t.Fatalf("the cache keeps %d lists, want 1 (router's is short)", len(c.entries))
	}
	write(0, 50, "router down") // 50 printers become routers
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	c.budget = 1 // every list is over budget: none is kept
	if n := count("printer"); n != 350 || len(c.entries) != 0 || c.used != 0 {
		t.Fatalf("printer after rewrite, with no budget: %d postings (want 350), %d lists, %d bytes kept", n, len(c.entries), c.used)
	}
	c.budget = 0
	if n := count("printer"); n != 350 || len(c.entries) != 1 {
		t.Fatalf("printer after rewrite: %d postings (want 350), %d lists kept (want 1)", n, len(c.entries))
	}
}
