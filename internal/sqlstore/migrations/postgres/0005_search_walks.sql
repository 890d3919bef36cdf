-- User search (R-U7, SPEC §4): every index a search walks in its sort order
-- also carries the columns the search filters on and the search text, so
-- that the walk is an index-only scan that reads the index in order instead
-- of one table row per entry. The unique constraints keep their names (the
-- application maps a violation to its field by them).
ALTER TABLE users
    DROP CONSTRAINT users_username_key,
    ADD CONSTRAINT users_username_key UNIQUE (tenant_id, username_key) INCLUDE (id, status, type, expires_at, search),
    DROP CONSTRAINT users_email_key,
    ADD CONSTRAINT users_email_key UNIQUE (tenant_id, email_key) INCLUDE (id, status, type, expires_at, search);
DROP INDEX users_status_username;
DROP INDEX users_type_username;
DROP INDEX users_name;
DROP INDEX users_created;
CREATE INDEX users_status_username ON users (tenant_id, status, username_key) INCLUDE (id, type, expires_at, search);
CREATE INDEX users_type_username ON users (tenant_id, type, username_key) INCLUDE (id, status, expires_at, search);
CREATE INDEX users_name ON users (tenant_id, name_key, id) INCLUDE (status, type, expires_at, search);
CREATE INDEX users_created ON users (tenant_id, created_at, id) INCLUDE (status, type, expires_at, search);
