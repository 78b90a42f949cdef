package eventlog

import (
	"testing"

	"helpdesk/contracts/authz"
	"helpdesk/contracts/catalog"
)

// TestPrivateFields_are_well_formed checks every line of privateFields: a
// known event type, an operation of the matrix, and something to hide with.
func TestPrivateFields_are_well_formed(t *testing.T) {
	known := map[string]bool{}
	for _, p := range catalog.Payloads() {
		known[p.EventType()] = true
	}
	for typ, fields := range privateFields {
		if !known[typ] {
			t.Errorf("%s is not an event type of the catalog", typ)
		}
		for _, f := range fields {
			if _, ok := authz.Lookup(f.Op); !ok || f.Name == "" || f.Hide == nil {
				t.Errorf("%s: field %+v needs a name, an operation of the matrix and Hide", typ, f)
			}
		}
	}
}
