package kb_test

import (
	"testing"

	"helpdesk/contracts/catalog/eventfuzz"
	"helpdesk/contracts/kbapi"
	"helpdesk/services/knowledge/domain/kb"
)

// FuzzFromEvents: any two events, of any type and with any data, fold
// into an article, a category and an article's feedback, or errors, never
// a panic; what folds renders.
func FuzzFromEvents(f *testing.F) {
	eventfuzz.Seed(f, kbapi.ArticleDrafted{Content: kbapi.Content{Title: "打印机 <script>alert(1)</script>", Body: "'; DROP TABLE articles; --",
		CategoryID: "c-1", Tags: []string{"打印机", "🖨️"}}}, kbapi.ArticlePublished{})
	eventfuzz.Seed(f, kbapi.CategoryCreated{Name: "硬件"}, kbapi.CategoryRenamed{Name: "\"><img src=x onerror=alert(1)>"})
	eventfuzz.Seed(f, kbapi.FeedbackVoted{Voter: "u-1", Helpful: true}, kbapi.FeedbackViewed{Views: 3})
	f.Fuzz(func(t *testing.T, first uint8, data1 []byte, second uint8, data2 []byte) {
		evs := eventfuzz.Events(first, data1, second, data2)
		if a, err := kb.ArticleFromEvents(evs); err == nil {
			a.View()
		}
		if c, err := kb.CategoryFromEvents(evs); err == nil {
			c.View()
		}
		_, _ = kb.FeedbackFromEvents(evs)
	})
}
