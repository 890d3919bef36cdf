package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"roster/internal/admin"
)

// TOTP secrets and recovery codes.

func (t *tx) PutTOTP(ctx context.Context, m *admin.TOTP) error {
	if _, err := t.exec(ctx, `DELETE FROM mfa_totp WHERE tenant_id = $1 AND user_id = $2`, m.TenantID, m.UserID); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO mfa_totp (tenant_id, user_id, secret, confirmed, last_step, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		m.TenantID, m.UserID, m.Secret, m.Confirmed, m.LastStep, micros(m.CreatedAt))
	return err
}

func (t *tx) TOTPByUser(ctx context.Context, tenantID, userID string) (*admin.TOTP, error) {
	return one(ctx, t, func(s scanner) (*admin.TOTP, error) {
		var m admin.TOTP
		var created int64
		if err := s.Scan(&m.TenantID, &m.UserID, &m.Secret, &m.Confirmed, &m.LastStep, &created); err != nil {
			return nil, err
		}
		m.CreatedAt = fromMicros(created)
		return &m, nil
	}, `SELECT tenant_id, user_id, secret, confirmed, last_step, created_at FROM mfa_totp WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID)
}

func (t *tx) ConfirmTOTP(ctx context.Context, tenantID, userID string, step int64) error {
	return stale(t.execOne(ctx, `UPDATE mfa_totp SET confirmed = TRUE, last_step = $3
		WHERE tenant_id = $1 AND user_id = $2 AND confirmed = FALSE`, tenantID, userID, step))
}

// AdvanceTOTPStep is the one statement that keeps a code from being used
// twice, even by two requests at once on two servers.
func (t *tx) AdvanceTOTPStep(ctx context.Context, tenantID, userID string, step int64) error {
	return stale(t.execOne(ctx, `UPDATE mfa_totp SET last_step = $3
		WHERE tenant_id = $1 AND user_id = $2 AND confirmed = TRUE AND last_step < $3`, tenantID, userID, step))
}

func (t *tx) DeleteTOTP(ctx context.Context, tenantID, userID string) error {
	if _, err := t.exec(ctx, `DELETE FROM recovery_codes WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID); err != nil {
		return err
	}
	_, err := t.exec(ctx, `DELETE FROM mfa_totp WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID)
	return err
}

func (t *tx) InsertRecoveryCodes(ctx context.Context, tenantID, userID string, hashes [][]byte) error {
	if _, err := t.exec(ctx, `DELETE FROM recovery_codes WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := t.exec(ctx, `INSERT INTO recovery_codes (tenant_id, user_id, code_hash) VALUES ($1, $2, $3)`, tenantID, userID, h); err != nil {
			return err
		}
	}
	return nil
}

// UseRecoveryCode spends a code in one conditional statement, so that two
// requests with the same code cannot both succeed.
func (t *tx) UseRecoveryCode(ctx context.Context, tenantID, userID string, hash []byte, at time.Time) error {
	return t.execOne(ctx, `UPDATE recovery_codes SET used_at = $4
		WHERE tenant_id = $1 AND user_id = $2 AND code_hash = $3 AND used_at IS NULL`, tenantID, userID, hash, micros(at))
}

func (t *tx) CountRecoveryCodes(ctx context.Context, tenantID, userID string) (int, error) {
	return one(ctx, t, scanInt, `SELECT COUNT(*) FROM recovery_codes WHERE tenant_id = $1 AND user_id = $2 AND used_at IS NULL`, tenantID, userID)
}

// stale turns "no row matched" of a conditional update into ErrStale.
func stale(err error) error {
	if errors.Is(err, admin.ErrNoRows) {
		return admin.ErrStale
	}
	return err
}

// API tokens.

const apiTokenColumns = `tenant_id, id, name, token_hash, user_tenant_id, user_id, role, created_at, expires_at, last_used_at`

func scanAPIToken(s scanner) (*admin.APIToken, error) {
	var a admin.APIToken
	var created int64
	var expires, used sql.NullInt64
	if err := s.Scan(&a.TenantID, &a.ID, &a.Name, &a.TokenHash, &a.UserTenantID, &a.UserID, &a.Role, &created, &expires, &used); err != nil {
		return nil, err
	}
	a.CreatedAt, a.ExpiresAt, a.LastUsedAt = fromMicros(created), timePtr(expires), timePtr(used)
	return &a, nil
}

func (t *tx) InsertAPIToken(ctx context.Context, a *admin.APIToken) error {
	_, err := t.exec(ctx, `INSERT INTO api_tokens (`+apiTokenColumns+`, name_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		a.TenantID, a.ID, a.Name, a.TokenHash, a.UserTenantID, a.UserID, a.Role, micros(a.CreatedAt), nullMicros(a.ExpiresAt),
		nullMicros(a.LastUsedAt), strings.ToLower(a.Name))
	return err
}

func (t *tx) APITokenByHash(ctx context.Context, hash []byte) (*admin.APIToken, error) {
	return one(ctx, t, scanAPIToken, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE token_hash = $1`, hash)
}

func (t *tx) APITokenByID(ctx context.Context, tenantID, id string) (*admin.APIToken, error) {
	return one(ctx, t, scanAPIToken, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE tenant_id = $1 AND id = $2`, tenantID, id)
}

func (t *tx) ListAPITokens(ctx context.Context, tenantID string) ([]*admin.APIToken, error) {
	return all(ctx, t, scanAPIToken, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE tenant_id = $1 ORDER BY name_key`, tenantID)
}

func (t *tx) DeleteAPIToken(ctx context.Context, tenantID, id string) error {
	return t.execOne(ctx, `DELETE FROM api_tokens WHERE tenant_id = $1 AND id = $2`, tenantID, id)
}

func (t *tx) TouchAPIToken(ctx context.Context, tenantID, id string, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE api_tokens SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2`, tenantID, id, micros(at))
	return err
}

// Server secrets.

// ServerSecret returns the value stored under name; when there is none it
// stores fallback first (several servers starting at once agree on the
// first one stored).
func (db *DB) ServerSecret(ctx context.Context, name string, fallback []byte) ([]byte, error) {
	if _, err := db.write.ExecContext(ctx, `INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, fallback); err != nil {
		return nil, err
	}
	var v []byte
	err := db.write.QueryRowContext(ctx, `SELECT value FROM server_secrets WHERE name = $1`, name).Scan(&v)
	return v, err
}
