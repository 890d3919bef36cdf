package sqlstore

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// ListenAccess returns a channel that receives soon after another process
// commits an access change (PostgreSQL LISTEN on AccessChannel), until ctx
// ends. It reconnects after a failure, and signals once each time it starts
// listening, so that changes made while it was not are picked up. On SQLite it returns nil: processes
// there poll.
func (db *DB) ListenAccess(ctx context.Context, log *slog.Logger) <-chan struct{} {
	if db.dialect.name() != "postgres" {
		return nil
	}
	wake := make(chan struct{}, 1)
	go func() {
		backoff := time.Second
		for ctx.Err() == nil {
			err := db.listen(ctx, wake)
			if ctx.Err() != nil {
				return
			}
			log.Warn("listening for access changes", "err", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Minute)
		}
	}()
	return wake
}

func (db *DB) listen(ctx context.Context, wake chan<- struct{}) error {
	conn, err := pgx.Connect(ctx, db.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+AccessChannel); err != nil {
		return err
	}
	// Listening now: catch up with whatever happened before.
	select {
	case wake <- struct{}{}:
	default:
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		select {
		case wake <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
}
