-- Tenants, users, sessions and the audit trail. Times are Unix microseconds
-- (BIGINT) in both engines; text keys (username_key, email_key, name_key,
-- search) are lower-cased by the application.
CREATE TABLE tenants (
    id                     TEXT PRIMARY KEY,
    slug                   TEXT NOT NULL,
    name                   TEXT NOT NULL,
    max_users              BIGINT NOT NULL DEFAULT 0,
    lockout_threshold      BIGINT NOT NULL,
    mfa_required           BOOLEAN NOT NULL DEFAULT FALSE,
    password_min_length    BIGINT NOT NULL,
    session_idle_minutes   BIGINT NOT NULL,
    session_absolute_hours BIGINT NOT NULL,
    locale                 TEXT NOT NULL,
    user_count             BIGINT NOT NULL DEFAULT 0,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    CONSTRAINT tenants_slug_key UNIQUE (slug)
);

CREATE TABLE users (
    tenant_id              TEXT NOT NULL REFERENCES tenants (id),
    id                     TEXT NOT NULL,
    username               TEXT NOT NULL,
    username_key           TEXT NOT NULL,
    email                  TEXT NOT NULL,
    email_key              TEXT NOT NULL,
    first_name             TEXT NOT NULL DEFAULT '',
    last_name              TEXT NOT NULL DEFAULT '',
    name_key               TEXT NOT NULL,
    search                 TEXT NOT NULL,
    phone                  TEXT NOT NULL DEFAULT '',
    locale                 TEXT NOT NULL,
    type                   TEXT NOT NULL,
    auth                   TEXT NOT NULL,
    status                 TEXT NOT NULL,
    status_before_removal  TEXT NOT NULL DEFAULT '',
    expires_at             BIGINT,
    locked                 BOOLEAN NOT NULL DEFAULT FALSE,
    failed_sign_ins        BIGINT NOT NULL DEFAULT 0,
    must_change_password   BOOLEAN NOT NULL DEFAULT FALSE,
    mfa_enforced           BOOLEAN NOT NULL DEFAULT TRUE,
    mfa_enrolled           BOOLEAN NOT NULL DEFAULT FALSE,
    deactivated_by_licence BOOLEAN NOT NULL DEFAULT FALSE,
    notifications_disabled BOOLEAN NOT NULL DEFAULT FALSE,
    other_recipients       TEXT NOT NULL DEFAULT '[]',
    password_hash          TEXT NOT NULL DEFAULT '',
    last_sign_in_at        BIGINT,
    removed_at             BIGINT,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT users_username_key UNIQUE (tenant_id, username_key),
    CONSTRAINT users_email_key UNIQUE (tenant_id, email_key)
);
-- The status and type indexes, and one index per sort order, cover every
-- column a search tests, so that a dense substring search walks them in
-- page order without reading the table (see SearchUsers).
CREATE INDEX users_status_username ON users (tenant_id, status, username_key, type, expires_at, search);
CREATE INDEX users_type_username ON users (tenant_id, type, username_key, status, expires_at, search);
CREATE INDEX users_name ON users (tenant_id, name_key, id, status, type, expires_at, search);
CREATE INDEX users_created ON users (tenant_id, created_at, id, status, type, expires_at, search);
CREATE INDEX users_email_cover ON users (tenant_id, email_key, status, type, expires_at, search);
CREATE INDEX users_removed ON users (removed_at) WHERE removed_at IS NOT NULL;

-- Substring search (R-U7): a trigram index over username, names and e-mail.
CREATE INDEX users_search_cover ON users (tenant_id, username_key, status, type, expires_at, search);
CREATE VIRTUAL TABLE users_fts USING fts5 (search, tokenize = 'trigram', content = '', contentless_delete = 1);
CREATE TRIGGER users_fts_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_fts (rowid, search) VALUES (new.rowid, new.search);
END;
CREATE TRIGGER users_fts_update AFTER UPDATE OF search ON users BEGIN
    DELETE FROM users_fts WHERE rowid = old.rowid;
    INSERT INTO users_fts (rowid, search) VALUES (new.rowid, new.search);
END;
CREATE TRIGGER users_fts_delete AFTER DELETE ON users BEGIN
    DELETE FROM users_fts WHERE rowid = old.rowid;
END;

CREATE TABLE sessions (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    token_hash   BLOB NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_token ON sessions (token_hash);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id);

CREATE TABLE audit_events (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    id              TEXT NOT NULL,
    at              BIGINT NOT NULL,
    actor_id        TEXT NOT NULL DEFAULT '',
    actor_name      TEXT NOT NULL DEFAULT '',
    actor_tenant_id TEXT NOT NULL DEFAULT '',
    action          TEXT NOT NULL,
    target_type     TEXT NOT NULL DEFAULT '',
    target_id       TEXT NOT NULL DEFAULT '',
    target_name     TEXT NOT NULL DEFAULT '',
    outcome         TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    ip              TEXT NOT NULL DEFAULT '',
    user_agent      TEXT NOT NULL DEFAULT '',
    request_id      TEXT NOT NULL DEFAULT '',
    details         TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_actor ON audit_events (tenant_id, actor_id, id);
CREATE INDEX audit_action ON audit_events (tenant_id, action, id);
CREATE INDEX audit_target ON audit_events (tenant_id, target_id, id);
