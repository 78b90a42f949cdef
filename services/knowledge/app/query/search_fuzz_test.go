package query

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/problem"
)

// fixedTree is a category tree that does not change.
type fixedTree Tree

func (f fixedTree) Tree(context.Context) (Tree, error) { return Tree(f), nil }

// FuzzSearchRequest: the text, category, limit and cursor of a search are
// checked, never panicking: a bad one is a 400 problem; a good one gives
// a query within the limits, and the cursors the API hands out read back
// as the offsets they stand for.
func FuzzSearchRequest(f *testing.F) {
	f.Add("打印机 网络", "hw", "", 10, uint16(20))
	f.Add("' OR 1=1 --", "", "bzIw", 0, uint16(0))
	f.Add("<script>alert(1)</script>", "网络", "o-1", 51, uint16(1000))
	f.Add("   ", "none", "b8", -1, uint16(1001))
	f.Add("\xff\xfe", "", "%%%", 50, uint16(7))
	f.Add(strings.Repeat("长", 201), "", "", 1, uint16(3))
	tree := fixedTree(NewTree([]kbapi.Category{{ID: "hw", Name: "硬件"}, {ID: "printers", Name: "打印机", ParentID: "hw"}, {ID: "net", Name: "网络"}}))
	f.Fuzz(func(t *testing.T, text, category, cursor string, limit int, offset uint16) {
		if got, err := decodeOffset(cursor); err != nil {
			if problem.CodeOf(err) != problem.CodeInvalidArgument {
				t.Fatalf("cursor %q: %v", cursor, err)
			}
		} else if got < 0 || got > MaxOffset {
			t.Fatalf("cursor %q gives offset %d", cursor, got)
		}
		n := int(offset) % (MaxOffset + 1)
		if back, err := decodeOffset(encodeOffset(n)); err != nil || back != n {
			t.Fatalf("the cursor of offset %d reads back as %d, %v", n, back, err)
		}
		q, _, err := prepare(context.Background(), tree, text, category, limit)
		if err != nil {
			if problem.CodeOf(err) != problem.CodeInvalidArgument {
				t.Fatalf("search %q in %q, limit %d: %v", text, category, limit, err)
			}
			return
		}
		trimmed := strings.TrimSpace(text)
		if q.Limit < 1 || q.Limit > kbapi.MaxLimit || (q.Text != "" && q.Text != trimmed) || !utf8.ValidString(q.Text) ||
			utf8.RuneCountInString(q.Text) > kbapi.MaxQueryRunes || (strings.TrimSpace(category) != "" && len(q.CategoryIDs) == 0) {
			t.Fatalf("search %q in %q, limit %d: query %+v", text, category, limit, q)
		}
	})
}
