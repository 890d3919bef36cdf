package admin

import "context"

// checkTeams refuses a change that puts a member of groupID (those of
// userIDs, or all when nil) on a second team of a project (R-P2). It runs
// after the write, under the tenant lock, so that the check and the write
// cannot interleave with another change.
func (s *Service) checkTeams(ctx context.Context, tx Tx, t *Tenant, groupID string, userIDs []string) error {
	if userIDs != nil && len(userIDs) == 0 {
		return nil
	}
	cs, err := tx.TeamConflicts(ctx, t.ID, groupID, userIDs)
	if err != nil {
		return err
	}
	if len(cs) > 0 {
		c := cs[0]
		user, team := c.UserID, c.GroupID
		if us, err := tx.UsersByIDs(ctx, t.ID, []string{c.UserID}); err == nil && len(us) == 1 {
			user = us[0].Username
		}
		if g, err := tx.GroupByID(ctx, t.ID, c.GroupID); err == nil {
			team = g.Name
		}
		return Conflict("team_conflict", "", "%s would be on two teams of project %s: they are on the team %s already, and a user may be on one team per project.", user, c.ProjectKey, team)
	}
	return nil
}

// mayChangeGroupAccess refuses a membership change by an actor who does
// not hold, where the group is granted, every permission its grants give
// (R-R4): joining a group is being granted what it holds.
func (s *Service) mayChangeGroupAccess(ctx context.Context, tx Tx, t *Tenant, g *Group) error {
	if ActorFrom(ctx).Staff() {
		return nil
	}
	grants, err := tx.ListGrants(ctx, t.ID, GrantQuery{SubjectID: g.ID, Limit: 10000})
	if err != nil {
		return err
	}
	for _, gr := range grants {
		r, err := tx.RoleByID(ctx, t.ID, gr.RoleID)
		if err != nil {
			return err
		}
		involved, err := s.involved(ctx, tx, r.Permissions, gr.Access)
		if err != nil {
			return err
		}
		if err := s.holdsAll(ctx, t, t.display(ref{gr.ResourceType, gr.ResourceKey}), involved); err != nil {
			return err
		}
	}
	return nil
}
