package main

import (
	"io"
	"strings"
	"testing"

	"helpdesk/infra/sqlstore"
)

func TestReadStore(t *testing.T) {
	const def = "/data/readmodels.db"
	const pg = "postgres://helpdesk:secret@db.example:5432/helpdesk?sslmode=require"
	for _, tt := range []struct {
		name        string
		value       string
		driver, dsn string // --db-driver, --db-dsn
		want        sqlstore.Config
		wantErr     string
	}{
		{name: "nothing: sqlite under the data dir", want: sqlstore.Config{Driver: "sqlite", DSN: def}},
		{name: "sqlite", value: "sqlite", want: sqlstore.Config{Driver: "sqlite", DSN: def}},
		{name: "sqlite with a path", value: "sqlite:/srv/rm.db", want: sqlstore.Config{Driver: "sqlite", DSN: "/srv/rm.db"}},
		{name: "postgres URL", value: pg, want: sqlstore.Config{Driver: "postgres", DSN: pg}},
		{name: "postgresql URL", value: "postgresql://h@127.0.0.1/test", want: sqlstore.Config{Driver: "postgres", DSN: "postgresql://h@127.0.0.1/test"}},
		{name: "older flags alone", driver: "postgres", dsn: pg, want: sqlstore.Config{Driver: "postgres", DSN: pg}},
		{name: "older dsn alone is sqlite", dsn: "/srv/x.db", want: sqlstore.Config{Driver: "sqlite", DSN: "/srv/x.db"}},
		{name: "both agreeing", value: pg, driver: "postgres", dsn: pg, want: sqlstore.Config{Driver: "postgres", DSN: pg}},
		{name: "both agreeing on the driver", value: "sqlite:/srv/rm.db", driver: "sqlite", want: sqlstore.Config{Driver: "sqlite", DSN: "/srv/rm.db"}},
		{name: "both disagreeing on the driver", value: "sqlite", driver: "postgres", dsn: pg, wantErr: "name different databases"},
		{name: "both disagreeing on the dsn", value: pg, driver: "postgres", dsn: "postgres://other@db/x", wantErr: "name different databases"},
		{name: "sqlite without a path", value: "sqlite:", wantErr: "needs a file path"},
		{name: "postgres without a host", value: "postgres:///helpdesk", wantErr: "malformed PostgreSQL URL"},
		{name: "unknown kind", value: "mysql://root:pw@db/x", wantErr: "--read-store: want sqlite"},
		{name: "postgres on a Unix socket", value: "postgres:///helpdesk?host=/var/run/postgresql", want: sqlstore.Config{Driver: "postgres", DSN: "postgres:///helpdesk?host=/var/run/postgresql"}},
		{name: "a bare path", value: "/srv/rm.db", wantErr: "want sqlite"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := common{dbDriver: tt.driver, dbDSN: tt.dsn}
			got, err := c.readStore(tt.value, def)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one with %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "pw@") {
					t.Fatalf("the error repeats a password: %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestRun_refuses_bad_stream_replicas: serve and gateway stop at start-up,
// before connecting to NATS, on a replica count JetStream does not allow.
func TestRun_refuses_bad_stream_replicas(t *testing.T) {
	for _, tt := range []struct {
		args []string
		env  string
		want string
	}{
		{args: []string{"serve", "ticket", "--stream-replicas", "0", "--data-dir", t.TempDir()}, want: "--stream-replicas is 0: want 1 to 5"},
		{args: []string{"gateway", "--stream-replicas", "7"}, want: "--stream-replicas is 7: want 1 to 5"},
		{args: []string{"gateway"}, env: "three", want: `HELPDESK_STREAM_REPLICAS is "three"`},
		{args: []string{"up", "--read-store", "mysql://x"}, want: "--read-store"},
	} {
		t.Setenv("HELPDESK_STREAM_REPLICAS", tt.env)
		err := run(tt.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run %v (HELPDESK_STREAM_REPLICAS=%q) = %v, want an error with %q", tt.args, tt.env, err, tt.want)
		}
	}
}
