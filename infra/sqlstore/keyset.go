package sqlstore

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Micros is t as microseconds since the Unix epoch, the form read models
// store times in (BIGINT works the same on SQLite and PostgreSQL).
func Micros(t time.Time) int64 { return t.UTC().UnixMicro() }

// FromMicros is the UTC time of a Micros value.
func FromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// EncodeCursor makes an opaque keyset-pagination cursor from the sort key
// and id of the last row of a page.
func EncodeCursor(key int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(key, 10) + "|" + id))
}

// DecodeCursor reads a cursor made by EncodeCursor.
func DecodeCursor(c string) (int64, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", err
	}
	key, id, ok := strings.Cut(string(raw), "|")
	if !ok || id == "" {
		return 0, "", errors.New("malformed cursor")
	}
	n, err := strconv.ParseInt(key, 10, 64)
	return n, id, err
}
