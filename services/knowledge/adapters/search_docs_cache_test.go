package adapters

import (
	"context"
	"testing"
)

// TestDocCache_gives_each_snapshot_its_own_documents checks that a cached
// document is the one of the snapshot asked about: rewriting a document
// puts its new version in another segment, under another key.
func TestDocCache_gives_each_snapshot_its_own_documents(t *testing.T) {
	s := openTestIndex(t)
	ctx := context.Background()
	var c docCache
	indexTitles(t, s, 0, "printer jam")
	before, err := reader(s.idx)
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()
	indexTitles(t, s, 0, "router down")
	after, err := reader(s.idx)
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	for _, step := range []struct {
		name, want string
		after      bool
	}{
		{"old snapshot", "printer jam", false},
		{"new snapshot", "router down", true},
		{"old snapshot again, cached", "printer jam", false},
		{"new snapshot again, cached", "router down", true},
	} {
		r := before
		if step.after {
			r = after
		}
		tables, err := buildTables(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		num, err := r.InternalID("a0")
		if err != nil || num == nil {
			t.Fatalf("%s: a0 has no number: %v", step.name, err)
		}
		id, doc, err := c.load(r, tables, num)
		if err != nil || id != "a0" || doc.Title != step.want {
			t.Errorf("%s: %s %+v %v, want a0 titled %q", step.name, id, doc, err, step.want)
		}
	}
	if n := c.entries.Len(); n != 2 {
		t.Errorf("the cache keeps %d documents, want 2", n)
	}
}
