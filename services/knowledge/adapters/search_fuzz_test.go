package adapters_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"helpdesk/contracts/kbapi"
	"helpdesk/services/knowledge/app/query"
)

// FuzzSearch: any query text the API lets through (valid UTF-8, at most
// 200 characters), with any tag and offset, searches and suggests without
// an error or a panic, and finds only published articles, never more than
// the limit.
func FuzzSearch(f *testing.F) {
	for _, s := range []string{"打印机", "VPN 连不上", "pasword reset", "title:*", `"unbalanced`, "' OR 1=1 --", "<script>alert(1)</script>",
		"*", "~1", "+-&&||!(){}[]^\"~*?:\\/", "a*b?c~2", "💸🙏", "打印机 AND vpn", strings.Repeat("打", 200)} {
		f.Add(s, "", uint16(0))
	}
	f.Add("打印机", "打印机", uint16(1))
	l := newLibrary(f)
	published := []string{"printer-net", "printer-jam", "vpn", "password", "exam"}
	f.Fuzz(func(t *testing.T, text, tag string, offset uint16) {
		if !utf8.ValidString(text) || utf8.RuneCountInString(text) > kbapi.MaxQueryRunes || strings.TrimSpace(text) == "" {
			return
		}
		ctx := context.Background()
		q := query.SearchQuery{Text: text, Tag: tag, Limit: 5, Offset: int(offset) % (query.MaxOffset + 1)}
		m, err := l.searcher.Search(ctx, q)
		if err != nil {
			t.Fatalf("search %q (tag %q, offset %d): %v", text, tag, q.Offset, err)
		}
		if len(m.Items) > q.Limit || m.Total < len(m.Items) {
			t.Fatalf("search %q: %d items of %d", text, len(m.Items), m.Total)
		}
		for _, it := range m.Items {
			if !slices.Contains(published, it.ID) {
				t.Fatalf("search %q finds %q, which is not a published article", text, it.ID)
			}
		}
		s, err := l.searcher.Suggest(ctx, query.SearchQuery{Text: text, Limit: 5})
		if err != nil || len(s.Items) > 5 {
			t.Fatalf("suggest %q: %d items, %v", text, len(s.Items), err)
		}
	})
}
