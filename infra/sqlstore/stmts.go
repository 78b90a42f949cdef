package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// TxStatements executes the few statements a read model runs again and
// again within one transaction (a projection's batch), preparing each once
// per transaction on SQLite, whose driver otherwise parses every statement
// it executes (a third of a rebuild's time). PostgreSQL's driver caches
// prepared statements by itself: there the query is executed as it is.
type TxStatements struct {
	db *DB

	mu    sync.Mutex
	tx    *sql.Tx // the transaction stmts belong to
	stmts map[string]*sql.Stmt
}

// NewTxStatements returns statements for transactions of db.
func NewTxStatements(db *DB) *TxStatements { return &TxStatements{db: db} }

// Exec runs query (with ? placeholders) in tx.
func (s *TxStatements) Exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if s.db.Driver() != DriverSQLite {
		return tx.ExecContext(ctx, s.db.Rebind(query), args...)
	}
	stmt, err := s.prepared(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return stmt.ExecContext(ctx, args...)
}

// prepared returns the statement of query prepared in tx, preparing it on
// its first use in tx; the statements end with tx.
func (s *TxStatements) prepared(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tx != tx {
		s.tx, s.stmts = tx, map[string]*sql.Stmt{}
	}
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	st, err := tx.PrepareContext(ctx, s.db.Rebind(query))
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	s.stmts[query] = st
	return st, nil
}
