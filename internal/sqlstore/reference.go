package sqlstore

import (
	"context"
	"strings"
	"time"

	"roster/internal/admin"
)

// referenceCheck is the plain statement of the model in SQL: walk up from
// the resource (an item's parent, else its type's collection; a
// collection's parent is the tenant), and look for a grant on the way to
// the user or one of their groups whose role has the permission, within
// the caps of the grant's access and the user's type and state. Slow and
// obviously right: the in-memory index is tested against it.
const referenceCheck = `WITH RECURSIVE path (type, key) AS (
		SELECT CAST($3 AS TEXT), CAST($4 AS TEXT)
		UNION
		SELECT CASE WHEN r.parent_type IS NOT NULL AND r.parent_type <> '' THEN r.parent_type
				WHEN p.type = 'collection' THEN 'tenant' ELSE 'collection' END,
			CASE WHEN r.parent_type IS NOT NULL AND r.parent_type <> '' THEN r.parent_key
				WHEN p.type = 'collection' THEN '' ELSE p.type END
		FROM path p LEFT JOIN resources r ON r.tenant_id = $1 AND r.type = p.type AND r.key = p.key
		WHERE p.type <> 'tenant'
	)
	SELECT COUNT(*) FROM users u JOIN permissions pm ON pm.name = $5
	WHERE u.tenant_id = $1 AND u.id = $2
		AND u.status NOT IN ('deactivated', 'removed') AND u.deactivated_by_licence = FALSE
		AND (u.locked = FALSE OR (u.locked_until IS NOT NULL AND u.locked_until <= $6))
		AND (u.expires_at IS NULL OR u.expires_at > $6)
		AND (pm.kind = 'read' OR u.type <> 'read_only')
		AND ($3 IN ('tenant', 'collection') OR EXISTS (SELECT 1 FROM resources s WHERE s.tenant_id = $1 AND s.type = $3 AND s.key = $4))
		AND ((u.type = 'admin' AND pm.name LIKE 'roster.%') OR EXISTS (
			SELECT 1 FROM grants g
			JOIN path p ON g.resource_type = p.type AND g.resource_key = p.key
			JOIN role_permissions rp ON rp.role_id = g.role_id AND rp.tenant_id IN ($1, 'platform') AND rp.permission = pm.name
			WHERE g.tenant_id = $1 AND (pm.kind = 'read' OR g.access = 'write')
				AND ((g.subject_type = 'user' AND g.subject_id = u.id) OR (g.subject_type = 'group' AND g.subject_id IN
					(SELECT m.group_id FROM group_members m WHERE m.tenant_id = $1 AND m.user_id = u.id)))))`

// ReferenceCheck answers a check from the tables alone, for tests of the
// in-memory index: resource is "type:key", "tenant:<anything>" the root.
func (db *DB) ReferenceCheck(ctx context.Context, tenantID, userID, perm, resource string, now time.Time) (bool, error) {
	typ, key, _ := strings.Cut(resource, ":")
	if typ == admin.TypeTenant {
		key = ""
	}
	var n int
	err := db.read.QueryRowContext(ctx, referenceCheck, tenantID, userID, typ, key, perm, micros(now)).Scan(&n)
	return n > 0, err
}
