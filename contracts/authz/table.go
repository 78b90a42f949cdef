package authz

import (
	"fmt"
	"strings"
)

// Table renders the matrix as a Markdown table: a row per operation, a
// column per role, "✓" where the role is allowed. Public operations show
// "anyone"; service rules are marked in the kind column.
func Table() string {
	var b strings.Builder
	b.WriteString("| operation | kind | " + strings.Join(Roles, " | ") + " | what it allows |\n")
	b.WriteString("|---|---|" + strings.Repeat("---|", len(Roles)) + "---|\n")
	for _, r := range matrix {
		kind := "route"
		if r.Service {
			kind = "service rule"
		}
		fmt.Fprintf(&b, "| `%s` | %s |", r.Op, kind)
		for _, role := range Roles {
			switch {
			case r.Public:
				b.WriteString(" anyone |")
			case Allowed(role, r.Op):
				b.WriteString(" ✓ |")
			default:
				b.WriteString("  |")
			}
		}
		if r.Own != "" {
			fmt.Fprintf(&b, " %s (%s) |\n", r.Summary, r.Own)
		} else {
			fmt.Fprintf(&b, " %s |\n", r.Summary)
		}
	}
	return b.String()
}
