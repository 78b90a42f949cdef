package survey

import (
	"cmp"
	"slices"

	"helpdesk/contracts/problem"
)

// sortFields orders field errors by field, so that a response is stable.
func sortFields(fs []problem.FieldError) []problem.FieldError {
	slices.SortFunc(fs, func(a, b problem.FieldError) int { return cmp.Compare(a.Field, b.Field) })
	return fs
}
