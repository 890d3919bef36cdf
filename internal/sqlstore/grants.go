package sqlstore

import (
	"context"

	"roster/internal/admin"
)

const grantColumns = `g.tenant_id, g.id, g.subject_type, g.subject_id, g.role_id, g.resource_type, g.resource_key, g.access, g.created_at`

func scanGrant(s scanner) (*admin.Grant, error) {
	var g admin.Grant
	var created int64
	if err := s.Scan(&g.TenantID, &g.ID, &g.SubjectType, &g.SubjectID, &g.RoleID, &g.ResourceType, &g.ResourceKey, &g.Access, &created); err != nil {
		return nil, err
	}
	g.CreatedAt = fromMicros(created)
	return &g, nil
}

func (t *tx) InsertGrant(ctx context.Context, g *admin.Grant) error {
	_, err := t.exec(ctx, `INSERT INTO grants (tenant_id, id, subject_type, subject_id, role_id, resource_type, resource_key, access, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		g.TenantID, g.ID, g.SubjectType, g.SubjectID, g.RoleID, g.ResourceType, g.ResourceKey, g.Access, micros(g.CreatedAt))
	return err
}

func (t *tx) GrantByID(ctx context.Context, tenantID, id string) (*admin.Grant, error) {
	return one(ctx, t, scanGrant, `SELECT `+grantColumns+` FROM grants g WHERE g.tenant_id = $1 AND g.id = $2`, tenantID, id)
}

func (t *tx) ListGrants(ctx context.Context, tenantID string, q admin.GrantQuery) ([]*admin.Grant, error) {
	if len(q.ResourceKeys) > 0 {
		// Grants on several resources of one type (the columns of the
		// project matrix): the service bounds the list, so one statement.
		return all(ctx, t, scanGrant, `SELECT `+grantColumns+` FROM grants g
			WHERE g.tenant_id = $1 AND ($2 = '' OR g.subject_id = $2) AND g.resource_type = $3 AND g.id > $4
				AND g.resource_key IN `+inList(6, len(q.ResourceKeys))+`
			ORDER BY g.id LIMIT $5`, anys([]any{tenantID, q.SubjectID, q.ResourceType, q.After, q.Limit}, q.ResourceKeys)...)
	}
	return all(ctx, t, scanGrant, `SELECT `+grantColumns+` FROM grants g
		WHERE g.tenant_id = $1 AND ($2 = '' OR g.subject_id = $2)
			AND ($3 = FALSE OR (g.resource_type = $4 AND g.resource_key = $5)) AND g.id > $6
		ORDER BY g.id LIMIT $7`, tenantID, q.SubjectID, q.ByResource, q.ResourceType, q.ResourceKey, q.After, q.Limit)
}

func (t *tx) UpdateGrant(ctx context.Context, g *admin.Grant) error {
	return t.execOne(ctx, `UPDATE grants SET role_id = $3, access = $4 WHERE tenant_id = $1 AND id = $2`,
		g.TenantID, g.ID, g.RoleID, g.Access)
}

func (t *tx) DeleteGrant(ctx context.Context, tenantID, id string) error {
	return t.execOne(ctx, `DELETE FROM grants WHERE tenant_id = $1 AND id = $2`, tenantID, id)
}

// teamsOf is the (group, user) pairs of a project's teams.
const teamMembers = `SELECT DISTINCT m.user_id, g.subject_id AS group_id FROM grants g
	JOIN group_members m ON m.tenant_id = g.tenant_id AND m.group_id = g.subject_id
	WHERE g.tenant_id = $1 AND g.resource_type = 'project' AND g.resource_key = $2 AND g.subject_type = 'group'`

// Misconfigurations finds, for one project, the users on several teams and,
// when it has teams, the users granted on it or its folders directly who
// are on none.
func (t *tx) Misconfigurations(ctx context.Context, tenantID, projectKey string) ([]admin.Misconfiguration, error) {
	type pair struct{ user, group string }
	pairs, err := all(ctx, t, func(s scanner) (pair, error) {
		var p pair
		err := s.Scan(&p.user, &p.group)
		return p, err
	}, teamMembers+` ORDER BY 1, 2`, tenantID, projectKey)
	if err != nil {
		return nil, err
	}
	teams := map[string][]string{}
	var order []string
	for _, p := range pairs {
		if teams[p.user] == nil {
			order = append(order, p.user)
		}
		teams[p.user] = append(teams[p.user], p.group)
	}
	var out []admin.Misconfiguration
	for _, u := range order {
		if len(teams[u]) > 1 {
			out = append(out, admin.Misconfiguration{Problem: "several_teams", UserID: u, GroupIDs: teams[u]})
		}
	}
	hasTeams, err := one(ctx, t, scanInt, `SELECT COUNT(*) FROM grants WHERE tenant_id = $1 AND resource_type = 'project' AND resource_key = $2 AND subject_type = 'group'`,
		tenantID, projectKey)
	if err != nil {
		return nil, err
	}
	if hasTeams > 0 {
		direct, err := all(ctx, t, scanString, `WITH RECURSIVE sub (type, key) AS (
				SELECT 'project', $2
				UNION
				SELECT c.type, c.key FROM resources c JOIN sub ON c.tenant_id = $1 AND c.parent_type = sub.type AND c.parent_key = sub.key
			)
			SELECT DISTINCT g.subject_id FROM grants g JOIN sub ON g.resource_type = sub.type AND g.resource_key = sub.key
			WHERE g.tenant_id = $1 AND g.subject_type = 'user' ORDER BY 1`, tenantID, projectKey)
		if err != nil {
			return nil, err
		}
		for _, u := range direct {
			if teams[u] == nil {
				out = append(out, admin.Misconfiguration{Problem: "no_team", UserID: u, GroupIDs: []string{}})
			}
		}
	}
	ids := make([]string, len(out))
	for i, m := range out {
		ids[i] = m.UserID
	}
	users, err := t.UsersByIDs(ctx, tenantID, ids)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, u := range users {
		names[u.ID] = u.Username
	}
	for i := range out {
		out[i].Username = names[out[i].UserID]
	}
	return out, nil
}

// TeamConflicts joins groupID's project grants (its teams) to the other
// groups granted on the same projects and their members.
func (t *tx) TeamConflicts(ctx context.Context, tenantID, groupID string, userIDs []string) ([]admin.TeamConflict, error) {
	scan := func(s scanner) (admin.TeamConflict, error) {
		var tc admin.TeamConflict
		err := s.Scan(&tc.UserID, &tc.ProjectKey, &tc.GroupID)
		return tc, err
	}
	const q = `SELECT DISTINCT m.user_id, g2.resource_key, g2.subject_id FROM grants g1
		JOIN grants g2 ON g2.tenant_id = g1.tenant_id AND g2.resource_type = 'project' AND g2.resource_key = g1.resource_key
			AND g2.subject_type = 'group' AND g2.subject_id <> g1.subject_id
		JOIN group_members m ON m.tenant_id = g2.tenant_id AND m.group_id = g2.subject_id
		WHERE g1.tenant_id = $1 AND g1.subject_type = 'group' AND g1.subject_id = $2 AND g1.resource_type = 'project'`
	if userIDs == nil {
		return all(ctx, t, scan, q+` AND m.user_id IN (SELECT user_id FROM group_members WHERE tenant_id = $1 AND group_id = $2)
			ORDER BY 1, 2 LIMIT 100`, tenantID, groupID)
	}
	var out []admin.TeamConflict
	for _, c := range chunks(userIDs) {
		cs, err := all(ctx, t, scan, q+` AND m.user_id IN `+inList(3, len(c))+` ORDER BY 1, 2`, anys([]any{tenantID, groupID}, c)...)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

func (t *tx) CountGrantsOf(ctx context.Context, tenantID string, subjectType admin.SubjectType, subjectID string) (int, error) {
	return one(ctx, t, scanInt, `SELECT COUNT(*) FROM grants WHERE tenant_id = $1 AND subject_type = $2 AND subject_id = $3`,
		tenantID, subjectType, subjectID)
}
