package sqlstore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"helpdesk/infra/sqlstore"
	"helpdesk/infra/sqlstore/sqlstoretest"
)

// TestKeyset_pages_through_every_row_once reads a table page by page,
// with ties on the sort key and a filter, and expects every matching row
// once, newest first; a cursor it did not make is refused.
func TestKeyset_pages_through_every_row_once(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx, "keyset_rows", []string{`CREATE TABLE keyset_rows (id TEXT PRIMARY KEY, at BIGINT NOT NULL, kind TEXT NOT NULL)`}); err != nil {
			t.Fatal(err)
		}
		var want []string
		for i := range 11 {
			id, kind := fmt.Sprintf("r%02d", i), []string{"a", "b"}[i%3/2]
			// Three rows share each time: the id breaks the tie.
			if _, err := db.Write.ExecContext(ctx, db.Rebind(`INSERT INTO keyset_rows (id, at, kind) VALUES (?, ?, ?)`), id, i/3, kind); err != nil {
				t.Fatal(err)
			}
			if kind == "a" {
				want = append(want, id)
			}
		}
		slices.Reverse(want)
		k := sqlstore.Keyset{Column: "at"}
		var got []string
		cursor, pages := "", 0
		for {
			q, args, err := k.Query("id, at", "keyset_rows", []string{"kind = ?"}, []any{"a"}, cursor, 3)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := db.Read.QueryContext(ctx, db.Rebind(q), args...)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			var keys []int64
			for rows.Next() {
				var id string
				var at int64
				if err := rows.Scan(&id, &at); err != nil {
					t.Fatal(err)
				}
				ids, keys = append(ids, id), append(keys, at)
			}
			rows.Close()
			ids, cursor = sqlstore.NextPage(ids, keys, 3, func(id string) string { return id })
			got, pages = append(got, ids...), pages+1
			if cursor == "" {
				break
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || pages != (len(want)+2)/3 {
			t.Fatalf("%d pages of %v, want %v", pages, got, want)
		}
		if _, _, err := k.Query("id", "keyset_rows", nil, nil, "bm90LWEtY3Vyc29y", 3); err == nil {
			t.Fatal("a cursor this package did not make was taken")
		}
	})
}
