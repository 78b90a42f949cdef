// Package phone masks phone numbers for every role but admin, in API
// responses and logs: 13812345678 becomes 138****5678.
package phone

import "strings"

// Mask hides the middle digits of a number. A country code (+86, 0086)
// is kept. Of the digits after it, numbers of eight or more keep their
// first three and last four (138****5678, 010-****5678); of five to
// seven, the last two; shorter ones (110, 12315's kin) are service
// numbers and stay whole. Spaces, dashes and other characters stay where
// they are.
func Mask(number string) string {
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
