package sqlstore_test

import (
	"context"
	"testing"

	"helpdesk/infra/sqlstore"
	"helpdesk/infra/sqlstore/sqlstoretest"
)

// TestTxStatements runs one statement several times in each of two
// transactions (a statement prepared in the first must not be used in the
// second) and a rolled-back one, on SQLite and PostgreSQL.
func TestTxStatements(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if _, err := db.Write.ExecContext(ctx, `CREATE TABLE stmt_test (n BIGINT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		stmts := sqlstore.NewTxStatements(db)
		for _, tc := range []struct {
			values []int
			commit bool
		}{{[]int{1, 2}, true}, {[]int{10}, false}, {[]int{3, 4}, true}} {
			tx, err := db.Write.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range tc.values {
				if _, err := stmts.Exec(ctx, tx, `INSERT INTO stmt_test (n) VALUES (?)`, n); err != nil {
					t.Fatal(err)
				}
			}
			if tc.commit {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		var count, sum int
		if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*), SUM(n) FROM stmt_test`).Scan(&count, &sum); err != nil {
			t.Fatal(err)
		}
		if count != 4 || sum != 10 {
			t.Fatalf("rows: %d with sum %d, want the 4 committed ones, sum 10", count, sum)
		}
	})
}
