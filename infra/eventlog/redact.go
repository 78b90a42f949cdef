package eventlog

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Redacted replaces the value of a secret field in event data.
const Redacted = "[redacted]"

// secretNames are data fields that hold a secret wherever they appear.
var secretNames = map[string]bool{
	"password": true, "temporary_password": true, "secret": true, "token": true, "api_key": true,
}

// secretSuffixes mark fields that hold a secret or a hash of one: password
// hashes, token and key hashes, temporary passwords.
var secretSuffixes = []string{"_hash", "_password", "_secret", "_token"}

// IsSecretField reports whether a data field, by its JSON name, holds a
// secret that must never leave the event store. It is the one definition of
// what audit output redacts.
func IsSecretField(name string) bool {
	name = strings.ToLower(name)
	if secretNames[name] {
		return true
	}
	for _, s := range secretSuffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// Redact returns event data with the value of every secret field, at any
// depth, replaced by Redacted. Data that holds no secret comes back as it
// was; data that is not a JSON object or array is returned unchanged.
func Redact(data json.RawMessage) json.RawMessage {
	return edit(data, redact)
}

// edit decodes data, lets change alter the value in place, and encodes it
// again if change reports that it did. Numbers keep their digits and <, >
// and & stay as written; data that does not decode comes back unchanged.
func edit(data json.RawMessage, change func(v any) bool) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return data
	}
	if !change(v) {
		return data
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // keep <, > and & as written
	if err := enc.Encode(v); err != nil {
		return data
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n"))
}

// redact blanks secret fields in v in place and reports whether it did.
func redact(v any) bool {
	changed := false
	switch v := v.(type) {
	case map[string]any:
		for k, inner := range v {
			if IsSecretField(k) {
				v[k] = Redacted
				changed = true
				continue
			}
			changed = redact(inner) || changed
		}
	case []any:
		for _, inner := range v {
			changed = redact(inner) || changed
		}
	}
	return changed
}
