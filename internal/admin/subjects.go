package admin

import (
	"context"
	"errors"
)

// MaxSubjects is the most users and groups Subjects resolves at once.
const MaxSubjects = 1000

// Subjects resolves the subjects of grants for showing them: the users of
// userIDs and the groups of groupIDs that exist in the tenant, by id; an id
// of another tenant or of nothing is left out. Requires roster.users.read.
// Invalid "too_many" beyond MaxSubjects ids in all.
func (s *Service) Subjects(ctx context.Context, slug string, userIDs, groupIDs []string) (map[string]*User, map[string]*Group, error) {
	if len(userIDs)+len(groupIDs) > MaxSubjects {
		return nil, nil, Invalid("subjects", "too_many", "At most %d subjects at once.", MaxSubjects)
	}
	users, groups := map[string]*User{}, map[string]*Group{}
	err := s.store.View(ctx, func(tx Tx) error {
		t, err := s.tenantFor(ctx, tx, slug, PermUsersRead)
		if err != nil {
			return err
		}
		if len(userIDs) > 0 {
			us, err := tx.UsersByIDs(ctx, t.ID, userIDs)
			if err != nil {
				return err
			}
			for _, u := range us {
				users[u.ID] = u
			}
		}
		for _, id := range groupIDs {
			if groups[id] != nil {
				continue
			}
			g, err := tx.GroupByID(ctx, t.ID, id)
			if errors.Is(err, ErrNoRows) {
				continue
			} else if err != nil {
				return err
			}
			groups[id] = g
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return users, groups, nil
}
