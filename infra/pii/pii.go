// Package pii hides personal data — phone numbers and names — in API
// responses and logs: 13812345678 becomes 138****5678, 张三丰 becomes 张**.
package pii

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaskPhone hides the middle digits of a number. A country code (+86,
// 0086) is kept. Of the digits after it, numbers of eight or more keep
// their first three and last four (138****5678, 010-****5678); of five to
// seven, the last two; shorter ones (110, 12315's kin) are service
// numbers and stay whole. Spaces, dashes and other characters stay where
// they are.
func MaskPhone(number string) string {
	prefix, rest := countryCode(number)
	digits := 0
	for _, r := range rest {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	keepFirst, keepLast := 0, 0
	switch {
	case digits >= 8:
		keepFirst, keepLast = 3, 4
	case digits >= 5:
		keepLast = 2
	default:
		return number
	}
	var b strings.Builder
	b.WriteString(prefix)
	i := 0
	for _, r := range rest {
		if r < '0' || r > '9' {
			b.WriteRune(r)
			continue
		}
		if i < keepFirst || i >= digits-keepLast {
			b.WriteRune(r)
		} else {
			b.WriteByte('*')
		}
		i++
	}
	return b.String()
}

// countryCode splits off a leading +86 or 0086 (with a following space
// or dash, if any).
func countryCode(number string) (prefix, rest string) {
	for _, cc := range []string{"+86", "0086"} {
		if r, ok := strings.CutPrefix(number, cc); ok {
			sep := len(r) - len(strings.TrimLeft(r, " -"))
			return number[:len(cc)+sep], r[sep:]
		}
	}
	return "", number
}

// phoneInText matches the numbers MaskPhones hides: mainland mobiles
// (1[3-9] and nine digits) and landlines (area code 0xx or 0xxx, a dash
// or not, seven or eight digits), with or without +86 or 0086, and
// mobiles in the 86… form PBXs and SIP trunks write (8613812345678).
var phoneInText = regexp.MustCompile(`(?:(?:\+86|0086)[ -]?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})|861[3-9]\d{9}`)

// MaskPhones masks, as MaskPhone does, the phone numbers in free text. A
// match touching an ASCII letter or digit is part of something else (an
// id, a hash, a longer number) and stays whole.
func MaskPhones(text string) string {
	if !hasDigitRun(text) {
		return text
	}
	var b strings.Builder
	last := 0
	for _, m := range phoneInText.FindAllStringIndex(text, -1) {
		if asciiAlnumAt(text, m[0]-1) || asciiAlnumAt(text, m[1]) {
			continue
		}
		b.WriteString(text[last:m[0]])
		b.WriteString(MaskPhone(text[m[0]:m[1]]))
		last = m[1]
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// hasDigitRun reports whether text has seven digits in a row, which every
// phone number has: the cheap test that spares most log messages the
// regular expression.
func hasDigitRun(text string) bool {
	run := 0
	for i := 0; i < len(text); i++ {
		if text[i] >= '0' && text[i] <= '9' {
			if run++; run == 7 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

func asciiAlnumAt(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	c := s[i]
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// MaskName keeps the first character of a name and hides the rest, one
// asterisk a character: 张三丰 becomes 张**, Alice becomes A****. A
// one-character name becomes a single asterisk.
func MaskName(name string) string {
	n := utf8.RuneCountInString(name)
	if n <= 1 {
		return strings.Repeat("*", n)
	}
	first, _ := utf8.DecodeRuneInString(name)
	return string(first) + strings.Repeat("*", n-1)
}
