package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"roster/internal/secret"
	"roster/internal/sqlstore"
)

// secretKey returns the key that seals secrets at rest (TOTP secrets):
// ROSTER_SECRET_KEY when set; otherwise a key generated on first start and
// kept in a file beside the SQLite database (roster.db.key, mode 0600), or,
// on PostgreSQL, in the database itself so that every process shares it
// (set ROSTER_SECRET_KEY in production to keep key and data apart). The
// database remembers a check value of its key, and a server started with
// another key refuses to start rather than fail to open what it sealed.
func (m *Main) secretKey(ctx context.Context, c *config, log *slog.Logger) (*secret.Key, error) {
	var key *secret.Key
	var err error
	switch {
	case c.secretKey != "":
		if key, err = secret.ParseKey(c.secretKey); err != nil {
			return nil, fmt.Errorf("ROSTER_SECRET_KEY: %w", err)
		}
	case sqlstore.IsPostgres(c.db):
		stored, err := m.db.ServerSecret(ctx, "secret_key", []byte(secret.NewKey()))
		if err != nil {
			return nil, fmt.Errorf("reading the stored secret key: %w", err)
		}
		if key, err = secret.ParseKey(string(stored)); err != nil {
			return nil, fmt.Errorf("the secret key stored in the database: %w", err)
		}
		log.Warn("using the secret key stored in the database; set ROSTER_SECRET_KEY to keep the key apart from the data it protects")
	default:
		if key, err = keyFile(c.db+".key", log); err != nil {
			return nil, err
		}
	}
	check, err := m.db.ServerSecret(ctx, "secret_key_check", key.CheckValue())
	if err != nil {
		return nil, fmt.Errorf("reading the secret key's check value: %w", err)
	}
	if !bytes.Equal(check, key.CheckValue()) {
		return nil, errors.New("the secret key is not the one this database was set up with (ROSTER_SECRET_KEY, or the .key file beside the database): two-factor secrets would not open")
	}
	return key, nil
}

// keyFile reads the key in path, creating it with a new key (readable by
// the owner only) when it does not exist.
func keyFile(path string, log *slog.Logger) (*secret.Key, error) {
	path, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("creating the secret key file: %w", err)
		}
		k := secret.NewKey()
		_, werr := f.WriteString(k + "\n")
		if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
			return nil, fmt.Errorf("writing the secret key file: %w", err)
		}
		log.Info("generated the secret key that seals two-factor secrets; back it up with the database", "path", path)
		return secret.ParseKey(k)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the secret key file: %w", err)
	}
	key, err := secret.ParseKey(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}
