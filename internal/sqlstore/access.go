package sqlstore

import (
	"context"
	"strings"
	"time"
)

// AccessChanged bumps the tenant's access_version by one per entity and
// logs the entities under the new versions. The UPDATE takes the tenant
// row's lock until commit, so versions commit in order on PostgreSQL;
// SQLite has one writer. PostgreSQL also notifies listeners at commit.
func (t *tx) AccessChanged(ctx context.Context, tenantID string, entities ...string) error {
	if len(entities) == 0 {
		return nil
	}
	v, err := one(ctx, t, scanInt64, `UPDATE tenants SET access_version = access_version + $2 WHERE id = $1 RETURNING access_version`,
		tenantID, len(entities))
	if err != nil {
		return err
	}
	first := v - int64(len(entities)) + 1
	at := micros(time.Now())
	for start := 0; start < len(entities); start += chunkSize {
		end := min(start+chunkSize, len(entities))
		var b strings.Builder
		args := []any{tenantID, at}
		for i, e := range entities[start:end] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("($1, " + param(3+2*i) + ", " + param(4+2*i) + ", $2)")
			args = append(args, first+int64(start+i), e)
		}
		if _, err := t.exec(ctx, `INSERT INTO access_changes (tenant_id, version, entity, at) VALUES `+b.String(), args...); err != nil {
			return err
		}
	}
	return t.d.notifyAccess(ctx, t, tenantID)
}
