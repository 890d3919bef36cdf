package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// preparedReads runs the statements of Read (one statement outside a
// transaction: the session behind every request, the tenant of a check) as
// statements prepared once and kept with the pool. SQLite's driver would
// otherwise compile the SQL again on every call, which was half of the
// server's time on a batch of checks. database/sql prepares a statement
// on each connection of the pool the first time that connection runs it.
//
// Only the first maxPreparedReads distinct texts are kept; later ones (the
// search builds its SQL from the filters it is given) run unprepared, so
// the cache cannot grow without bound.
type preparedReads struct {
	db    *sql.DB
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

const maxPreparedReads = 256

// stmt returns the prepared statement of q, preparing it if there is room;
// nil when there is none or it does not prepare (the caller then runs q
// itself, and gets the driver's own error for a bad statement).
func (p *preparedReads) stmt(ctx context.Context, q string) *sql.Stmt {
	p.mu.RLock()
	s, ok := p.stmts[q]
	full := len(p.stmts) >= maxPreparedReads
	p.mu.RUnlock()
	if ok || full {
		return s
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.stmts[q]; ok {
		return s
	}
	if len(p.stmts) >= maxPreparedReads {
		return nil
	}
	s, err := p.db.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	p.stmts[q] = s
	return s
}

func (p *preparedReads) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return p.db.ExecContext(ctx, q, args...)
}

func (p *preparedReads) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s := p.stmt(ctx, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return p.db.QueryContext(ctx, q, args...)
}

func (p *preparedReads) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if s := p.stmt(ctx, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return p.db.QueryRowContext(ctx, q, args...)
}

func (p *preparedReads) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var err error
	for q, s := range p.stmts {
		err = errors.Join(err, s.Close())
		delete(p.stmts, q)
	}
	return err
}
