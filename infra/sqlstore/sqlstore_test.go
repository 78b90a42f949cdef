package sqlstore_test

import (
	"context"
	"testing"

	"helpdesk/infra/sqlstore"
	"helpdesk/infra/sqlstore/sqlstoretest"
)

func TestMigrate_applies_each_step_once(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		steps := []string{`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`}
		for i := 0; i < 2; i++ {
			if err := db.Migrate(ctx, "notes", steps); err != nil {
				t.Fatalf("migrate run %d: %v", i, err)
			}
		}
		steps = append(steps, `ALTER TABLE notes ADD COLUMN lang TEXT NOT NULL DEFAULT 'zh'`)
		if err := db.Migrate(ctx, "notes", steps); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Write.ExecContext(ctx, db.Rebind(`INSERT INTO notes (id, body) VALUES (?, ?)`), 1, "中文内容"); err != nil {
			t.Fatal(err)
		}
		var body, lang string
		if err := db.Read.QueryRowContext(ctx, db.Rebind(`SELECT body, lang FROM notes WHERE id = ?`), 1).Scan(&body, &lang); err != nil {
			t.Fatal(err)
		}
		if body != "中文内容" || lang != "zh" {
			t.Fatalf("row = %q %q", body, lang)
		}
		if err := db.Migrate(ctx, "notes", []string{`NOT SQL`}); err != nil {
			t.Fatalf("a step already applied ran again: %v", err)
		}
		if err := db.Migrate(ctx, "broken", []string{`NOT SQL`}); err == nil {
			t.Fatal("a broken step succeeded")
		}
	})
}

func TestRebind(t *testing.T) {
	tests := []struct{ driver, in, want string }{
		{"sqlite", "a = ? AND b = ?", "a = ? AND b = ?"},
		{"postgres", "a = ? AND b = ?", "a = $1 AND b = $2"},
		{"postgres", "no placeholders", "no placeholders"},
	}
	for _, tt := range tests {
		var db *sqlstore.DB
		if tt.driver == "sqlite" {
			db = sqlstoretest.SQLite(t)
		} else {
			db = sqlstoretest.Postgres(t)
		}
		if got := db.Rebind(tt.in); got != tt.want {
			t.Errorf("%s Rebind(%q) = %q, want %q", tt.driver, tt.in, got, tt.want)
		}
	}
}

func TestOpen_unknown_driver(t *testing.T) {
	if _, err := sqlstore.Open(context.Background(), sqlstore.Config{Driver: "oracle"}); err == nil {
		t.Fatal("unknown driver accepted")
	}
}
