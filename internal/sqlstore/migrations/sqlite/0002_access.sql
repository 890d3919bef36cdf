-- Authorization: groups and their members, the permission catalogue, roles,
-- the resource tree, grants, and the change log that keeps every process's
-- in-memory index fresh. Roles and permissions of the catalogue that ship
-- with it (predefined roles) belong to the platform tenant and are visible
-- in every tenant.
CREATE TABLE groups (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT groups_name_key UNIQUE (tenant_id, name_key)
);

CREATE TABLE group_members (
    tenant_id  TEXT NOT NULL,
    group_id   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, group_id, user_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX group_members_user ON group_members (tenant_id, user_id, group_id);

-- The catalogue is platform-wide: Roster's own rights and the host's.
CREATE TABLE permissions (
    name        TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    builtin     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE roles (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    locked      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT roles_name_key UNIQUE (tenant_id, name_key)
);

CREATE TABLE role_permissions (
    tenant_id  TEXT NOT NULL,
    role_id    TEXT NOT NULL,
    permission TEXT NOT NULL REFERENCES permissions (name),
    PRIMARY KEY (tenant_id, role_id, permission),
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX role_permissions_permission ON role_permissions (permission);

-- Resources are addressed by (type, key), the host's own id. The tenant root
-- and the collections are implicit: an item with an empty parent sits under
-- the collection of its type.
CREATE TABLE resources (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    type        TEXT NOT NULL,
    key         TEXT NOT NULL,
    name        TEXT NOT NULL,
    parent_type TEXT NOT NULL DEFAULT '',
    parent_key  TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, type, key)
);
CREATE INDEX resources_parent ON resources (tenant_id, parent_type, parent_key);

-- A grant's role may be the tenant's own or a predefined one (platform
-- tenant), so role_id has no foreign key; the service keeps it whole.
CREATE TABLE grants (
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    id            TEXT NOT NULL,
    subject_type  TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    role_id       TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_key  TEXT NOT NULL,
    access        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT grants_unique UNIQUE (tenant_id, subject_type, subject_id, resource_type, resource_key, role_id)
);
CREATE INDEX grants_resource ON grants (tenant_id, resource_type, resource_key);
CREATE INDEX grants_subject ON grants (tenant_id, subject_id);
CREATE INDEX grants_role ON grants (tenant_id, role_id);

-- Every write that changes who may do what bumps its tenant's
-- access_version (a row lock on PostgreSQL: versions commit in order) and
-- logs what changed, so that each process's index applies the change.
ALTER TABLE tenants ADD COLUMN access_version BIGINT NOT NULL DEFAULT 0;
CREATE TABLE access_changes (
    tenant_id TEXT NOT NULL,
    version   BIGINT NOT NULL,
    entity    TEXT NOT NULL,
    at        BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);
