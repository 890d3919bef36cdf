-- Credentials: lockout cool-off, TOTP two-factor authentication with
-- recovery codes, API tokens, and the check value of the server's secret key.

-- 0 keeps a locked account locked until an admin unlocks it; otherwise a
-- lock lifts by itself after this many minutes, doubled for each lockout
-- in a row.
ALTER TABLE tenants ADD COLUMN lockout_cooloff_minutes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until BIGINT;
ALTER TABLE users ADD COLUMN lockouts BIGINT NOT NULL DEFAULT 0;

-- One TOTP secret per user, sealed with the server's secret key (AES-GCM,
-- bound to tenant and user). last_step is the last time step accepted, so
-- that no code is accepted twice.
CREATE TABLE mfa_totp (
    tenant_id    TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    secret       BYTEA NOT NULL,
    confirmed    BOOLEAN NOT NULL DEFAULT FALSE,
    last_step    BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- Recovery codes: only their SHA-256 is kept; a code is spent by one
-- conditional UPDATE of used_at.
CREATE TABLE recovery_codes (
    tenant_id TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    code_hash BYTEA NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (tenant_id, user_id, code_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- API tokens act with their creator's rights in one tenant; only the
-- SHA-256 of a token is kept. The creator may be staff (another tenant),
-- so there is no foreign key to users: a token whose creator is gone stops.
CREATE TABLE api_tokens (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    token_hash   BYTEA NOT NULL,
    user_tenant_id TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    role         TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT api_tokens_name_key UNIQUE (tenant_id, name_key),
    FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
CREATE INDEX api_tokens_hash ON api_tokens (token_hash);

-- Values the server keeps for itself: the check value of the secret key
-- (so that a process with another key refuses to start) and, on
-- PostgreSQL when no key is configured, the generated key.
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
