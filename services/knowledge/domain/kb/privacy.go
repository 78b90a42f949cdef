package kb

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"helpdesk/contracts/events"
	"helpdesk/contracts/kbapi"
)

// Redacted replaces personal data in text taken from tickets and calls.
const Redacted = "[已隐去]"

// personalData are the patterns of personal data that Scrub removes, most
// specific first: a pattern must not leave a piece that a later one misses.
var personalData = []*regexp.Regexp{
	// e-mail addresses
	regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`),
	// instant-messaging accounts: keep the label, hide the account
	regexp.MustCompile(`(?i)((?:QQ|微信|wechat|weixin|vx)(?:号|号码)?\s*[:：]?\s*)[A-Za-z0-9_\-]{5,20}`),
	// long runs of digits: resident ID cards (the last may be X), bank
	// cards, account numbers
	regexp.MustCompile(`\d{12,}[Xx]?`),
	// mobile numbers, with or without +86 and separators
	regexp.MustCompile(`(?:\+?86[\s\-]?)?1[3-9]\d[\s\-]?\d{4}[\s\-]?\d{4}`),
	// landline numbers with an area code
	regexp.MustCompile(`\(?0\d{2,3}\)?[\s\-]?\d{7,8}`),
	// IPv4 addresses
	regexp.MustCompile(`(?:\d{1,3}\.){3}\d{1,3}`),
}

// Scrub replaces personal data in s with Redacted: e-mail addresses,
// instant-messaging accounts, ID-card, bank-card, mobile and landline
// numbers, IPv4 addresses, and each of names (the requester's username and
// display name, say) that has at least two characters.
func Scrub(s string, names ...string) string {
	for i, re := range personalData {
		if i == 1 {
			s = re.ReplaceAllString(s, "${1}"+Redacted)
			continue
		}
		s = re.ReplaceAllString(s, Redacted)
	}
	names = slices.Clone(names)
	// longest first, so "王小明" goes before "王小"
	slices.SortFunc(names, func(a, b string) int { return len(b) - len(a) })
	for _, n := range names {
		if n = strings.TrimSpace(n); utf8.RuneCountInString(n) >= 2 {
			s = strings.ReplaceAll(s, n, Redacted)
		}
	}
	return s
}

// SourceText is what a resolved ticket or an ended call tells, with the
// names of the person who asked, to be kept out of the article.
type SourceText struct {
	Source   kbapi.ArticleSource
	Question string
	Details  string
	Answer   string
	// CategoryID is the category the draft goes into, if known.
	CategoryID string
	// Names are the requester's or caller's names.
	Names []string
}

// DraftFromSource drafts an article from a resolved ticket or an ended
// call: the question becomes the title, details and answer the body, all
// scrubbed of personal data. The draft waits for a person to publish it.
func DraftFromSource(a Actor, st SourceText) ([]events.Payload, error) {
	title := strings.Join(strings.Fields(Scrub(st.Question, st.Names...)), " ")
	if utf8.RuneCountInString(title) > MaxTitle {
		title = string([]rune(title)[:MaxTitle-1]) + "…"
	}
	var body strings.Builder
	body.WriteString("## 问题\n\n")
	if d := strings.TrimSpace(Scrub(st.Details, st.Names...)); d != "" {
		body.WriteString(d)
	} else {
		body.WriteString(title)
	}
	body.WriteString("\n\n## 解决方法\n\n")
	body.WriteString(strings.TrimSpace(Scrub(st.Answer, st.Names...)))
	body.WriteString("\n")
	text := []rune(body.String())
	if len(text) > MaxBody {
		text = text[:MaxBody]
	}
	src := st.Source
	return Draft(a, kbapi.Content{Title: title, Body: string(text), CategoryID: st.CategoryID}, st.CategoryID != "", &src)
}
