package catalog_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"helpdesk/contracts/catalog"
)

// FuzzPayloads: any JSON decodes into any event payload type of the
// catalog without panicking, and what decodes round-trips: it encodes, its
// JSON decodes again, and encodes to the same bytes.
func FuzzPayloads(f *testing.F) {
	payloads := catalog.Payloads()
	for i := range payloads {
		f.Add(uint8(i), []byte(`{}`))
	}
	for _, s := range []string{
		`{"title":"打印机无法连接网络 🖨️","description":"<script>alert(1)</script>","priority":"P1"}`,
		`{"body":"'; DROP TABLE tickets; --","internal":true,"reply_id":"r-1"}`,
		`{"score":5,"comment":"\" OR \"\"=\"","dimensions":{"speed":4}}`,
		`{"tags":["a","b",null],"at":"2026-10-09T10:00:00Z"}`,
		`{"started_at":"0001-01-01T00:00:00Z","effort_days":1e308}`,
		`{"score":1e400}`, `[1,2]`, `null`, `"x"`, `{"title":null}`, `{"a":{"b":[{}]}}`,
	} {
		f.Add(uint8(len(s)), []byte(s))
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		typ := reflect.TypeOf(payloads[int(which)%len(payloads)])
		first := reflect.New(typ)
		if json.Unmarshal(data, first.Interface()) != nil {
			return
		}
		encoded, err := json.Marshal(first.Interface())
		if err != nil {
			t.Fatalf("%s decoded from %q does not encode: %v", typ, data, err)
		}
		second := reflect.New(typ)
		if err := json.Unmarshal(encoded, second.Interface()); err != nil {
			t.Fatalf("%s: its own JSON %s does not decode: %v", typ, encoded, err)
		}
		again, err := json.Marshal(second.Interface())
		if err != nil || !bytes.Equal(again, encoded) {
			t.Fatalf("%s does not round-trip:\n %s\n %s (%v)", typ, encoded, again, err)
		}
	})
}
