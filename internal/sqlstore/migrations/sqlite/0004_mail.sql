-- E-mail: the outbox (R-E3), single-use links (activation, password reset,
-- invitation), invitations (R-I1) and expiry notices (R-E2). No secret is
-- stored in clear: a link's token is minted when its mail is delivered and
-- only its SHA-256 is kept.
CREATE TABLE mail_outbox (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    id              TEXT NOT NULL,
    template        TEXT NOT NULL,
    locale          TEXT NOT NULL,
    to_addr         TEXT NOT NULL,
    cc              TEXT NOT NULL DEFAULT '[]',
    data            TEXT NOT NULL DEFAULT '{}',
    link_id         TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner     TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX mail_outbox_done ON mail_outbox (created_at) WHERE state <> 'pending';

CREATE TABLE links (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    id         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    state      TEXT NOT NULL,
    token_hash BLOB,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (tenant_id, id)
);
-- Public endpoints find a link by its token alone, like sessions.
CREATE INDEX links_token ON links (token_hash) WHERE token_hash IS NOT NULL;
CREATE INDEX links_subject ON links (tenant_id, subject_id, kind, created_at);

CREATE TABLE invitations (
    tenant_id        TEXT NOT NULL REFERENCES tenants (id),
    id               TEXT NOT NULL,
    email            TEXT NOT NULL,
    email_key        TEXT NOT NULL,
    locale           TEXT NOT NULL,
    type             TEXT NOT NULL,
    roles            TEXT NOT NULL DEFAULT '[]',
    group_ids        TEXT NOT NULL DEFAULT '[]',
    grants           TEXT NOT NULL DEFAULT '[]',
    status           TEXT NOT NULL,
    invited_by       TEXT NOT NULL DEFAULT '',
    invited_by_name  TEXT NOT NULL DEFAULT '',
    sent_count       BIGINT NOT NULL DEFAULT 0,
    accepted_user_id TEXT NOT NULL DEFAULT '',
    expires_at       BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
-- One pending invitation per address and tenant.
CREATE UNIQUE INDEX invitations_pending_email ON invitations (tenant_id, email_key) WHERE status = 'pending';
CREATE INDEX invitations_created ON invitations (tenant_id, created_at, id);

CREATE TABLE expiry_notices (
    tenant_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    notified_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, expires_at),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX users_expires ON users (expires_at) WHERE expires_at IS NOT NULL;
