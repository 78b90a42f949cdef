package pbxkey_test

import (
	"strings"
	"testing"

	"helpdesk/contracts/callapi"
	"helpdesk/contracts/catalog/eventfuzz"
	"helpdesk/services/callrecord/domain/pbxkey"
)

// FuzzFromEvents: any two events, of any type and with any data, fold
// into a PBX key or an error, never a panic; no key verifies an empty
// secret.
func FuzzFromEvents(f *testing.F) {
	eventfuzz.Seed(f, callapi.PBXKeyCreated{Name: "总机 <b>", SecretHash: "ab"}, callapi.PBXKeyRevoked{})
	f.Fuzz(func(t *testing.T, first uint8, data1 []byte, second uint8, data2 []byte) {
		k, err := pbxkey.FromEvents(eventfuzz.Events(first, data1, second, data2))
		if err != nil {
			return
		}
		k.View()
		if k.Verify("") {
			t.Fatal("an empty secret verifies")
		}
	})
}

// FuzzParse: a presented X-API-Key splits into a non-empty id and secret
// or is refused; a key that New made parses back to its id.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "hdpbx_", "hdpbx_id_secret", "hdpbx__x", "' OR 1=1 --", "hdpbx_../../etc/passwd_x"} {
		f.Add(s, "k-1")
	}
	f.Fuzz(func(t *testing.T, key, id string) {
		if gotID, secret, ok := pbxkey.Parse(key); ok && (gotID == "" || secret == "") {
			t.Fatalf("Parse(%q) = %q, %q, true", key, gotID, secret)
		}
		if id == "" || strings.Contains(id, "_") {
			return
		}
		_, made, err := pbxkey.New(id, "总机")
		if err != nil {
			return
		}
		if gotID, secret, ok := pbxkey.Parse(made); !ok || gotID != id || secret == "" {
			t.Fatalf("the key New made for %q parses as %q, %q, %v", id, gotID, secret, ok)
		}
	})
}
