package gateway

import "testing"

func TestDuplicateKey(t *testing.T) {
	tests := []struct {
		body, want string
	}{
		{`{"title":"a","body":"b"}`, ""},
		{`{"title":"第一个","title":"第二个"}`, "title"},
		{`{"a":{"x":1,"y":2},"b":{"x":1}}`, ""},
		{`{"a":{"x":1,"x":2}}`, "x"},
		{`{"a":[{"k":1},{"k":2}],"b":"k"}`, ""},
		{`{"a":[{"k":1,"k":2}]}`, "k"},
		{`{"a":"b","b":"a","c":["a","a"]}`, ""},
		{`{"a":{},"a":[]}`, "a"},
		{`[{"a":1},{"a":1}]`, ""},
		{`{"a":1,`, ""},                // not JSON: left to the validator
		{`"a","a"`, ""},                // CSV
		{`a=1&a=2`, ""},                // a form
		{`{"a\u0062":1,"ab":2}`, "ab"}, // the same key, escaped
	}
	for _, tt := range tests {
		if got := duplicateKey([]byte(tt.body)); got != tt.want {
			t.Errorf("duplicateKey(%s) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

func TestEmptySuffixRange(t *testing.T) {
	tests := map[string]bool{
		"bytes=-0": true, "bytes=-000": true, " bytes= -0 ": true,
		"bytes=-1": false, "bytes=0-0": false, "bytes=-": false, "": false, "items=-0": false, "bytes=-10": false,
	}
	for in, want := range tests {
		if got := emptySuffixRange(in); got != want {
			t.Errorf("emptySuffixRange(%q) = %v, want %v", in, got, want)
		}
	}
}
