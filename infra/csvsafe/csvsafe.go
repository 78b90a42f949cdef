// Package csvsafe makes text safe to put in a CSV cell that a spreadsheet
// will open: a cell that starts with =, +, -, @, a tab or a carriage return
// would be read as a formula (CSV injection).
package csvsafe

import "strings"

// Text returns s, with a leading apostrophe when a spreadsheet would take
// it for a formula.
func Text(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
