// Package schema holds the JSON Schema of every event payload, one file per
// event type and schema version ("<type>.v<version>.json"), generated from
// the Go types in the catalog. TestSchemasMatchTypes fails when a file
// drifts from its type; `go test ./events/schema -run TestSchemas -update`
// regenerates them.
package schema

import (
	"embed"
	"fmt"
	"path"
)

//go:embed *.json
var files embed.FS

// FileName is the schema file of an event type and version.
func FileName(eventType string, version int) string {
	return fmt.Sprintf("%s.v%d.json", eventType, version)
}

// Get returns the JSON Schema of an event type and version.
func Get(eventType string, version int) ([]byte, bool) {
	b, err := files.ReadFile(FileName(eventType, version))
	return b, err == nil
}

// All returns every schema by file name.
func All() map[string][]byte {
	out := map[string][]byte{}
	entries, _ := files.ReadDir(".")
	for _, e := range entries {
		b, _ := files.ReadFile(e.Name())
		out[path.Base(e.Name())] = b
	}
	return out
}
