package adapters

import (
	"html"
	"slices"
	"strings"
	"unicode"
)

// snippetRunes is the length of a snippet in characters.
const snippetRunes = 120

// markdownNoise are characters of Markdown syntax left out of snippets.
var markdownNoise = strings.NewReplacer("#", "", "*", "", "`", "")

// Snippet returns about size characters of text around the first match of
// the terms, HTML-escaped, with every match wrapped in <mark>…</mark>.
// Cut ends get "…". Markdown syntax is dropped and white space collapsed.
func Snippet(text string, terms []term, size int) string {
	text = strings.Join(strings.Fields(markdownNoise.Replace(text)), " ")
	runes := []rune(text)
	lower := make([]rune, len(runes))
	for i, r := range runes {
		lower[i] = unicode.ToLower(r)
	}
	var marks [][2]int // [start, end) in runes
	for _, t := range terms {
		needle := []rune(t.text)
		for i := 0; i+len(needle) <= len(lower); i++ {
			if slices.Equal(lower[i:i+len(needle)], needle) && (!t.latin || wordBoundary(lower, i, i+len(needle))) {
				marks = append(marks, [2]int{i, i + len(needle)})
			}
		}
	}
	marks = merge(marks)
	start := 0
	if len(marks) > 0 && marks[0][0] > size/4 {
		start = marks[0][0] - size/4
	}
	end := min(len(runes), start+size)
	var b strings.Builder
	if start > 0 {
		b.WriteString("…")
	}
	pos := start
	for _, m := range marks {
		if m[1] <= start || m[0] >= end {
			continue
		}
		s, e := max(m[0], start), min(m[1], end)
		b.WriteString(html.EscapeString(string(runes[pos:s])))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(string(runes[s:e])))
		b.WriteString("</mark>")
		pos = e
	}
	b.WriteString(html.EscapeString(string(runes[pos:end])))
	if end < len(runes) {
		b.WriteString("…")
	}
	return b.String()
}

// wordBoundary tells whether runes[i:j] is not part of a longer Latin word.
func wordBoundary(runes []rune, i, j int) bool {
	inWord := func(k int) bool {
		return k >= 0 && k < len(runes) && (unicode.IsLetter(runes[k]) || unicode.IsDigit(runes[k])) && runes[k] <= unicode.MaxLatin1
	}
	return !inWord(i-1) && !inWord(j)
}

// merge sorts intervals and joins the overlapping ones, as the bigrams of
// one Chinese word overlap.
func merge(iv [][2]int) [][2]int {
	slices.SortFunc(iv, func(a, b [2]int) int { return a[0] - b[0] })
	var out [][2]int
	for _, m := range iv {
		if n := len(out); n > 0 && m[0] <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], m[1])
			continue
		}
		out = append(out, m)
	}
	return out
}
