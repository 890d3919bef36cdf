-- User search (R-U7, SPEC §4). When a search's matches come in one run of
-- the sort order (a first name in username order, a last name in name
-- order), the page is the first matches in that order among all of them:
-- each match's sort key must be read. user_keys holds, per user row (r is
-- the users rowid, the same key the trigram index users_fts gives), just
-- the sort keys and the filtered columns, so that reading them for many
-- matches touches a narrow table rather than whole user rows. Triggers keep
-- it in step with users inside every write's transaction.
CREATE TABLE user_keys (
    r            INTEGER PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    username_key TEXT NOT NULL,
    email_key    TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    status       TEXT NOT NULL,
    type         TEXT NOT NULL,
    expires_at   BIGINT
);
INSERT INTO user_keys (r, tenant_id, id, username_key, email_key, name_key, created_at, status, type, expires_at)
    SELECT rowid, tenant_id, id, username_key, email_key, name_key, created_at, status, type, expires_at FROM users;
CREATE TRIGGER user_keys_insert AFTER INSERT ON users BEGIN
    INSERT INTO user_keys (r, tenant_id, id, username_key, email_key, name_key, created_at, status, type, expires_at)
        VALUES (new.rowid, new.tenant_id, new.id, new.username_key, new.email_key, new.name_key, new.created_at, new.status, new.type, new.expires_at);
END;
CREATE TRIGGER user_keys_update AFTER UPDATE OF tenant_id, id, username_key, email_key, name_key, created_at, status, type, expires_at ON users BEGIN
    UPDATE user_keys SET tenant_id = new.tenant_id, id = new.id, username_key = new.username_key, email_key = new.email_key,
        name_key = new.name_key, created_at = new.created_at, status = new.status, type = new.type, expires_at = new.expires_at
        WHERE r = new.rowid;
END;
CREATE TRIGGER user_keys_delete AFTER DELETE ON users BEGIN
    DELETE FROM user_keys WHERE r = old.rowid;
END;
