package sqlstore_test

import (
	"testing"

	"helpdesk/infra/sqlstore"
)

// FuzzDecodeCursor: any cursor a client sends decodes or is refused,
// never panicking; a decoded cursor has an id; and every cursor
// EncodeCursor makes reads back as its key and id.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(sqlstore.EncodeCursor(1791000000000000, "01a21724-2119-708d-969b-071d4ae33626"), int64(-5), "t|1")
	f.Add("bm90LWEtY3Vyc29y", int64(0), "")
	f.Add("JyBPUiAxPTEgLS0", int64(9223372036854775807), "' OR 1=1 --")
	f.Add("%%%", int64(-9223372036854775808), "工单")
	f.Fuzz(func(t *testing.T, cursor string, key int64, id string) {
		if _, gotID, err := sqlstore.DecodeCursor(cursor); err == nil && gotID == "" {
			t.Fatalf("cursor %q decodes without an id", cursor)
		}
		if id == "" {
			return
		}
		gotKey, gotID, err := sqlstore.DecodeCursor(sqlstore.EncodeCursor(key, id))
		if err != nil || gotKey != key || gotID != id {
			t.Fatalf("cursor of (%d, %q) reads back as (%d, %q), %v", key, id, gotKey, gotID, err)
		}
	})
}
