package sqlstore

import (
	"database/sql"
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

// Keyset pages the rows of a table newest first by a column of Micros
// values, the id breaking ties, with cursors made by EncodeCursor.
type Keyset struct {
	// Column is the sort column.
	Column string
}

// Query is the SELECT of columns from table where all of the conditions
// where hold (their arguments are args), after cursor unless it is empty,
// in keyset order and limited to limit+1 rows: the one more tells that a
// next page exists (see NextPage). Placeholders are ?: Rebind the query.
// The error is DecodeCursor's, for a cursor this package did not make.
func (k Keyset) Query(columns, table string, where []string, args []any, cursor string, limit int) (string, []any, error) {
	if cursor != "" {
		key, id, err := DecodeCursor(cursor)
		if err != nil {
			return "", nil, err
		}
		where = append(where, "("+k.Column+" < ? OR ("+k.Column+" = ? AND id < ?))")
		args = append(args, key, key, id)
	}
	q := "SELECT " + columns + " FROM " + table
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q + " ORDER BY " + k.Column + " DESC, id DESC LIMIT ?", append(args, limit+1), nil
}

// NextPage trims the rows a Query read to limit and returns the cursor of
// the page after them, "" when there is none; keys are the rows' values of
// the sort column and id tells a row's id.
func NextPage[T any](rows []T, keys []int64, limit int, id func(T) string) ([]T, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	return rows[:limit], EncodeCursor(keys[limit-1], id(rows[limit-1]))
}

// ReadPage reads the rows of a Query: scan turns a row into an item and
// its sort key, id tells an item's id. It returns at most limit items
// (never nil) and the cursor of the next page, "" on the last.
func ReadPage[T any](rows *sql.Rows, limit int, scan func(*sql.Rows) (T, int64, error), id func(T) string) ([]T, string, error) {
	defer rows.Close()
	items := []T{}
	var keys []int64
	for rows.Next() {
		item, key, err := scan(rows)
		if err != nil {
			return nil, "", err
		}
		items, keys = append(items, item), append(keys, key)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	items, next := NextPage(items, keys, limit, id)
	return items, next, nil
}
