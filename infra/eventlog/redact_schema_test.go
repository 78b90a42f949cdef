package eventlog_test

import (
	"encoding/json"
	"strings"
	"testing"

	"helpdesk/contracts/events/schema"
	"helpdesk/infra/eventlog"
)

// TestIsSecretField_covers_every_event_schema walks the JSON Schema of
// every event and fails on a property whose name speaks of a password, a
// token, a hash or a secret but which the redaction would let through, so
// that a new event cannot leak one unnoticed.
func TestIsSecretField_covers_every_event_schema(t *testing.T) {
	// Names that only look like secrets: flags and references, not values.
	harmless := map[string]bool{"password_change_required": true}
	all := schema.All()
	if len(all) == 0 {
		t.Fatal("no event schemas found")
	}
	for name, raw := range all {
		var doc any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, prop := range propertyNames(doc) {
			lower := strings.ToLower(prop)
			suspicious := strings.Contains(lower, "password") || strings.Contains(lower, "token") ||
				strings.Contains(lower, "secret") || strings.HasSuffix(lower, "hash")
			if suspicious && !harmless[lower] && !eventlog.IsSecretField(prop) {
				t.Errorf("%s: property %q looks secret but is not redacted", name, prop)
			}
		}
	}
}

// propertyNames lists the names under every "properties" of a schema.
func propertyNames(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		if props, ok := v["properties"].(map[string]any); ok {
			for k := range props {
				out = append(out, k)
			}
		}
		for _, inner := range v {
			out = append(out, propertyNames(inner)...)
		}
	case []any:
		for _, inner := range v {
			out = append(out, propertyNames(inner)...)
		}
	}
	return out
}
