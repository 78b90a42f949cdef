package problem

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// CheckText appends a field error to bad when s is missing (if required),
// longer than max characters, not UTF-8, or holds control characters
// (newlines and tabs are allowed where multiline), and returns bad.
func CheckText(bad []FieldError, field, s string, max int, required, multiline bool) []FieldError {
	switch {
	case required && strings.TrimSpace(s) == "":
		return append(bad, FieldError{Field: field, Message: "is required"})
	case !utf8.ValidString(s):
		return append(bad, FieldError{Field: field, Message: "is not valid UTF-8"})
	case utf8.RuneCountInString(s) > max:
		return append(bad, FieldError{Field: field, Message: fmt.Sprintf("must be at most %d characters", max)})
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			return append(bad, FieldError{Field: field, Message: "must not contain control characters"})
		}
	}
	return bad
}

// CheckPeriod appends the field errors of a period [from, to) of at most
// max: both given, to after from.
func CheckPeriod(bad []FieldError, from, to time.Time, max time.Duration, maxText string) []FieldError {
	switch {
	case from.IsZero() || to.IsZero():
		return append(bad, FieldError{Field: "from", Message: "from and to are required"})
	case !from.Before(to):
		return append(bad, FieldError{Field: "to", Message: "must be after from"})
	case to.Sub(from) > max:
		return append(bad, FieldError{Field: "to", Message: "the period may be at most " + maxText})
	}
	return bad
}
