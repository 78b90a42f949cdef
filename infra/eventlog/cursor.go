package eventlog

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"helpdesk/contracts/problem"
	"helpdesk/contracts/subjects"
)

// Cursor is where a scan stands: for each stream, the sequence up to which
// every event has been returned or skipped. Streams it does not name are
// read from the start (or from the filter's From).
type Cursor map[string]uint64

// cursorWire is the JSON inside an encoded cursor.
type cursorWire struct {
	// V is the format version.
	V int `json:"v"`
	// F is a digest of the filter the cursor was made for.
	F string `json:"f"`
	// P holds the positions by stream name.
	P map[string]uint64 `json:"p"`
}

// Encode returns the cursor as an opaque URL-safe string bound to f.
func (c Cursor) Encode(f Filter) string {
	b, _ := json.Marshal(cursorWire{V: 1, F: filterDigest(f), P: c})
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by Encode for the same filter; "" is the
// start. A malformed cursor, or one made for other filters, is a
// problem.CodeInvalidArgument error on the field "cursor".
func DecodeCursor(s string, f Filter) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	bad := func(msg string) error {
		return &problem.Error{Code: problem.CodeInvalidArgument, Message: "invalid cursor",
			Fields: []problem.FieldError{{Field: "cursor", Message: msg}}}
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad("not a cursor returned by this API")
	}
	var w cursorWire
	if err := json.Unmarshal(raw, &w); err != nil || w.V != 1 {
		return nil, bad("not a cursor returned by this API")
	}
	if w.F != filterDigest(f) {
		return nil, bad("the cursor belongs to other filters: repeat the filters of the first page")
	}
	c := Cursor{}
	for stream, seq := range w.P {
		if !knownStream(stream) {
			return nil, bad(fmt.Sprintf("unknown stream %q", stream))
		}
		c[stream] = seq
	}
	return c, nil
}

func filterDigest(f Filter) string {
	sum := sha256.Sum256([]byte(f.key()))
	return hex.EncodeToString(sum[:8])
}

func knownStream(name string) bool {
	for _, svc := range subjects.Services {
		if subjects.Stream(svc) == name {
			return true
		}
	}
	return false
}
