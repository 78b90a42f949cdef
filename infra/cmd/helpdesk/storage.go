package main

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"helpdesk/infra/eventstore"
	"helpdesk/infra/sqlstore"
)

// readStoreFlag registers --read-store; pass what it returns to
// common.readStore.
func readStoreFlag(fs *flag.FlagSet) *string {
	return fs.String("read-store", env("HELPDESK_READ_STORE", ""),
		"where the read models live: sqlite (default: a file under the data dir), sqlite:<path>, or a postgres:// or postgresql:// URL (HELPDESK_READ_STORE); replaces --db-driver/--db-dsn")
}

// readStore is the read-model database of --read-store, or of the older
// --db-driver and --db-dsn when it is not given; defaultPath is the SQLite
// file under the data dir. Both given and naming different databases is an
// error. Messages never repeat a PostgreSQL URL, which may hold a password.
func (c *common) readStore(value, defaultPath string) (sqlstore.Config, error) {
	legacy := c.db(defaultPath)
	if value == "" {
		return legacy, nil
	}
	var cfg sqlstore.Config
	switch {
	case value == sqlstore.DriverSQLite:
		cfg = sqlstore.Config{Driver: sqlstore.DriverSQLite, DSN: defaultPath}
	case strings.HasPrefix(value, "sqlite:"):
		path := strings.TrimPrefix(value, "sqlite:")
		if path == "" {
			return cfg, errors.New("--read-store sqlite: needs a file path after the colon, e.g. sqlite:/var/lib/helpdesk/readmodels.db")
		}
		cfg = sqlstore.Config{Driver: sqlstore.DriverSQLite, DSN: path}
	case strings.HasPrefix(value, "postgres://"), strings.HasPrefix(value, "postgresql://"):
		u, err := url.Parse(value)
		if err != nil || (u.Host == "" && u.Query().Get("host") == "") { // host= names a Unix socket directory
			return cfg, errors.New("--read-store: malformed PostgreSQL URL; want postgres://user@host:5432/database?sslmode=…")
		}
		cfg = sqlstore.Config{Driver: sqlstore.DriverPostgres, DSN: value}
	default:
		// The value is not repeated: it may be a DSN with a password.
		return cfg, errors.New("--read-store: want sqlite, sqlite:<path>, or a postgres:// or postgresql:// URL")
	}
	if c.dbDriver != "" || c.dbDSN != "" {
		if legacy.Driver != cfg.Driver || (c.dbDSN != "" && c.dbDSN != cfg.DSN) {
			return cfg, errors.New("--read-store and --db-driver/--db-dsn (HELPDESK_DB_DRIVER/HELPDESK_DB_DSN) name different databases: give --read-store only")
		}
	}
	return cfg, nil
}

// streamReplicasFlag registers --stream-replicas; check what it returns
// with checkStreamReplicas.
func streamReplicasFlag(fs *flag.FlagSet) *int {
	return fs.Int("stream-replicas", envInt("HELPDESK_STREAM_REPLICAS", 1),
		"replicas of every stream and bucket Helpdesk creates, 1 to 5: 3 on a three-node NATS cluster, 1 on a single server; an existing stream with more keeps them (HELPDESK_STREAM_REPLICAS)")
}

// checkStreamReplicas refuses a replica count JetStream does not allow,
// and a HELPDESK_STREAM_REPLICAS that is no number.
func checkStreamReplicas(n int) error {
	if v := os.Getenv("HELPDESK_STREAM_REPLICAS"); v != "" {
		if _, err := strconv.Atoi(v); err != nil {
			return fmt.Errorf("HELPDESK_STREAM_REPLICAS is %q: want a number from 1 to %d", v, eventstore.MaxReplicas)
		}
	}
	if n < 1 || n > eventstore.MaxReplicas {
		return fmt.Errorf("--stream-replicas is %d: want 1 to %d (1 on a single NATS server, 3 on a three-node cluster)", n, eventstore.MaxReplicas)
	}
	return nil
}
