package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"roster/internal/admin"
)

const userColumns = `u.tenant_id, u.id, u.username, u.email, u.first_name, u.last_name, u.phone, u.locale, u.type, u.auth,
	u.status, u.status_before_removal, u.expires_at, u.locked, u.failed_sign_ins, u.must_change_password,
	u.mfa_enforced, u.mfa_enrolled, u.deactivated_by_licence, u.notifications_disabled, u.other_recipients,
	u.password_hash, u.last_sign_in_at, u.removed_at, u.created_at, u.updated_at, u.locked_until, u.lockouts`

// userFields returns the scan destinations of userColumns for u and a
// function that completes u once they are filled.
func userFields(u *admin.User) ([]any, func() error) {
	var expires, lastSignIn, removed, lockedUntil sql.NullInt64
	var created, updated int64
	var recipients string
	dest := []any{&u.TenantID, &u.ID, &u.Username, &u.Email, &u.FirstName, &u.LastName, &u.Phone, &u.Locale, &u.Type, &u.Auth,
		&u.Status, &u.StatusBeforeRemoval, &expires, &u.Locked, &u.FailedSignIns, &u.MustChangePassword,
		&u.MFAEnforced, &u.MFAEnrolled, &u.DeactivatedByLicence, &u.NotificationsDisabled, &recipients,
		&u.PasswordHash, &lastSignIn, &removed, &created, &updated, &lockedUntil, &u.Lockouts}
	return dest, func() error {
		if err := json.Unmarshal([]byte(recipients), &u.OtherRecipients); err != nil {
			return err
		}
		u.ExpiresAt, u.LastSignInAt, u.RemovedAt, u.LockedUntil = timePtr(expires), timePtr(lastSignIn), timePtr(removed), timePtr(lockedUntil)
		u.CreatedAt, u.UpdatedAt = fromMicros(created), fromMicros(updated)
		return nil
	}
}

func scanUser(s scanner) (*admin.User, error) {
	var u admin.User
	dest, done := userFields(&u)
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	return &u, done()
}

func recipientsJSON(r []string) string {
	if r == nil {
		r = []string{}
	}
	b, _ := json.Marshal(r)
	return string(b)
}

func (t *tx) InsertUser(ctx context.Context, u *admin.User) error {
	_, err := t.exec(ctx, `INSERT INTO users (tenant_id, id, username, username_key, email, email_key, first_name, last_name,
		name_key, search, phone, locale, type, auth, status, status_before_removal, expires_at, locked, failed_sign_ins,
		must_change_password, mfa_enforced, mfa_enrolled, deactivated_by_licence, notifications_disabled,
		other_recipients, password_hash, last_sign_in_at, removed_at, created_at, updated_at, locked_until, lockouts)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
		$21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32)`,
		u.TenantID, u.ID, u.Username, strings.ToLower(u.Username), u.Email, strings.ToLower(u.Email), u.FirstName, u.LastName,
		admin.NameKey(u.FirstName, u.LastName), admin.SearchText(u.Username, u.FirstName, u.LastName, u.Email),
		u.Phone, u.Locale, u.Type, u.Auth, u.Status, u.StatusBeforeRemoval, nullMicros(u.ExpiresAt), u.Locked, u.FailedSignIns,
		u.MustChangePassword, u.MFAEnforced, u.MFAEnrolled, u.DeactivatedByLicence, u.NotificationsDisabled,
		recipientsJSON(u.OtherRecipients), u.PasswordHash, nullMicros(u.LastSignInAt), nullMicros(u.RemovedAt),
		micros(u.CreatedAt), micros(u.UpdatedAt), nullMicros(u.LockedUntil), u.Lockouts)
	if err != nil {
		return err
	}
	return t.AccessChanged(ctx, u.TenantID, "user:"+u.ID)
}

func (t *tx) UserByID(ctx context.Context, tenantID, id string) (*admin.User, error) {
	return one(ctx, t, scanUser, `SELECT `+userColumns+` FROM users u WHERE u.tenant_id = $1 AND u.id = $2`, tenantID, id)
}

func (t *tx) UserByLogin(ctx context.Context, tenantID, login string) (*admin.User, error) {
	key := strings.ToLower(login)
	u, err := one(ctx, t, scanUser, `SELECT `+userColumns+` FROM users u WHERE u.tenant_id = $1 AND u.username_key = $2`, tenantID, key)
	if err == admin.ErrNoRows && strings.Contains(key, "@") {
		return one(ctx, t, scanUser, `SELECT `+userColumns+` FROM users u WHERE u.tenant_id = $1 AND u.email_key = $2`, tenantID, key)
	}
	return u, err
}

// UpdateUser writes every mutable column; username and auth never change.
// Type, status and the sign-in flags decide access, so the change is logged
// for the access index.
func (t *tx) UpdateUser(ctx context.Context, u *admin.User) error {
	if err := t.updateUser(ctx, u); err != nil {
		return err
	}
	return t.AccessChanged(ctx, u.TenantID, "user:"+u.ID)
}

func (t *tx) updateUser(ctx context.Context, u *admin.User) error {
	return t.execOne(ctx, `UPDATE users SET email = $3, email_key = $4, first_name = $5, last_name = $6, name_key = $7,
		search = $8, phone = $9, locale = $10, type = $11, status = $12, status_before_removal = $13, expires_at = $14,
		locked = $15, failed_sign_ins = $16, must_change_password = $17, mfa_enforced = $18, mfa_enrolled = $19,
		deactivated_by_licence = $20, notifications_disabled = $21, other_recipients = $22, password_hash = $23,
		last_sign_in_at = $24, removed_at = $25, updated_at = $26, locked_until = $27, lockouts = $28
		WHERE tenant_id = $1 AND id = $2`,
		u.TenantID, u.ID, u.Email, strings.ToLower(u.Email), u.FirstName, u.LastName, admin.NameKey(u.FirstName, u.LastName),
		admin.SearchText(u.Username, u.FirstName, u.LastName, u.Email), u.Phone, u.Locale, u.Type, u.Status,
		u.StatusBeforeRemoval, nullMicros(u.ExpiresAt), u.Locked, u.FailedSignIns, u.MustChangePassword, u.MFAEnforced,
		u.MFAEnrolled, u.DeactivatedByLicence, u.NotificationsDisabled, recipientsJSON(u.OtherRecipients), u.PasswordHash,
		nullMicros(u.LastSignInAt), nullMicros(u.RemovedAt), micros(u.UpdatedAt), nullMicros(u.LockedUntil), u.Lockouts)
}

// DeleteUser deletes a user with their memberships and grants.
func (t *tx) DeleteUser(ctx context.Context, tenantID, id string) error {
	grants, err := all(ctx, t, scanString, `SELECT id FROM grants WHERE tenant_id = $1 AND subject_type = 'user' AND subject_id = $2`, tenantID, id)
	if err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM grants WHERE tenant_id = $1 AND subject_type = 'user' AND subject_id = $2`, tenantID, id); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM group_members WHERE tenant_id = $1 AND user_id = $2`, tenantID, id); err != nil {
		return err
	}
	if err := t.execOne(ctx, `DELETE FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return err
	}
	entities := []string{"user:" + id}
	for _, g := range grants {
		entities = append(entities, "grant:"+g)
	}
	return t.AccessChanged(ctx, tenantID, entities...)
}

func (t *tx) CountActiveAdmins(ctx context.Context, tenantID string) (int, error) {
	return one(ctx, t, scanInt, `SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND type = 'admin' AND status = 'active'`, tenantID)
}

func scanInt(s scanner) (int, error) {
	var n int
	err := s.Scan(&n)
	return n, err
}

func (t *tx) RemovedBefore(ctx context.Context, before time.Time, limit int) ([]*admin.User, error) {
	return all(ctx, t, scanUser, `SELECT `+userColumns+` FROM users u
		WHERE u.removed_at IS NOT NULL AND u.removed_at < $1 AND u.status = 'removed' ORDER BY u.removed_at LIMIT $2`,
		micros(before), limit)
}

// unlockedAt is the condition of an account that is not locked at $N: never
// locked, or a temporary lock that has lifted.
func unlockedAt(n int) string {
	return "(locked = FALSE OR (locked_until IS NOT NULL AND locked_until <= " + param(n) + "))"
}

// RecordSignInFailure counts and locks in one conditional statement: two
// concurrent failures can never both read the same count. A lifted
// temporary lock starts the count again at this failure.
func (t *tx) RecordSignInFailure(ctx context.Context, tenantID, userID string, threshold int, at time.Time) (admin.SignInFailure, error) {
	r, err := one(ctx, t, func(s scanner) (admin.SignInFailure, error) {
		var r admin.SignInFailure
		err := s.Scan(&r.Failures, &r.Locked, &r.Lockouts)
		return r, err
	}, `UPDATE users SET failed_sign_ins = CASE WHEN locked THEN 1 ELSE failed_sign_ins + 1 END,
		locked = (CASE WHEN locked THEN 1 ELSE failed_sign_ins + 1 END) >= $3,
		locked_until = NULL, updated_at = $4
		WHERE tenant_id = $1 AND id = $2 AND `+unlockedAt(4)+`
		RETURNING failed_sign_ins, locked, lockouts`, tenantID, userID, threshold, micros(at))
	if err == nil && r.Locked {
		err = t.AccessChanged(ctx, tenantID, "user:"+userID)
	}
	return r, err
}

func (t *tx) LockUntil(ctx context.Context, tenantID, userID string, until *time.Time) error {
	return t.execOne(ctx, `UPDATE users SET lockouts = lockouts + 1, locked_until = $3 WHERE tenant_id = $1 AND id = $2`,
		tenantID, userID, nullMicros(until))
}

func (t *tx) RecordSignIn(ctx context.Context, tenantID, userID string, at time.Time) error {
	return t.execOne(ctx, `UPDATE users SET failed_sign_ins = 0, last_sign_in_at = $3,
		locked = FALSE, locked_until = NULL, lockouts = 0,
		status = CASE WHEN status = 'pending' THEN 'active' ELSE status END
		WHERE tenant_id = $1 AND id = $2 AND `+unlockedAt(3), tenantID, userID, micros(at))
}

// sortColumns maps a sort order to its key column, its direction, and
// whether the key is unique in a tenant (then it alone orders and pages;
// otherwise the id breaks ties, and the index is (tenant_id, key, id)).
// cover names the SQLite index, in the key's order, that covers every
// column a search tests.
var sortColumns = map[admin.UserSort]struct {
	col    string
	desc   bool
	num    bool
	unique bool
	cover  string
}{
	admin.SortUsername:     {"u.username_key", false, false, true, "users_search_cover"},
	admin.SortUsernameDesc: {"u.username_key", true, false, true, "users_search_cover"},
	admin.SortEmail:        {"u.email_key", false, false, true, "users_email_cover"},
	admin.SortName:         {"u.name_key", false, false, false, "users_name"},
	admin.SortCreated:      {"u.created_at", false, true, false, "users_created"},
	admin.SortCreatedDesc:  {"u.created_at", true, true, false, "users_created"},
}

// A substring search takes the cheapest of two ways to a page, in stages
// that stop as soon as the page is known (on both engines: neither planner
// can tell a query whose matches are spread through the sort order from one
// whose matches come in one long run, as a first name does in username
// order or a last name in name order):
//
//  1. Walk the sort order's index for at most Short entries, keeping the
//     rows that match: a dense query (a common domain) fills its page here.
//  2. What the walk met tells the rest. Matches spread evenly through the
//     order fill a page within about Limit·Short/h entries, h being the
//     matches among the first Short: if that is within Long, walk on (3).
//     Otherwise (no match met: the matches are rare, or they come in a run
//     further along the order) ask the trigram index (SQLite FTS5,
//     PostgreSQL pg_trgm) for the matches: if there are at most Many, sort
//     them and take the page.
//  3. Walk again, up to Long entries.
//  4. Sort the matches if there are at most Many (unless 2 found more).
//  5. Beyond that, walk without bound.
type searchLimits struct{ Short, Long, Many int }

// Both engines' walks read a covering index (PostgreSQL: an index-only
// scan), so both take the same stages.
var defaultSearchLimits = searchLimits{Short: 2000, Long: 20000, Many: 20000}

// fewMatches is how many trigram matches are cheap enough to sort (a few
// milliseconds) that the search blocks are not worth consulting.
const fewMatches = 2000

// searchPattern is what a query looks for in the search text: any
// substring for three characters or more; for one or two, the start of a
// word (username, first or last name, e-mail), which an index can serve and
// which is what a person typing the first letters means.
func searchPattern(q string) string {
	if utf8.RuneCountInString(q) < 3 {
		return " " + q
	}
	return q
}

// SearchUsers runs one keyset page of a user search: no OFFSET, no count.
func (t *tx) SearchUsers(ctx context.Context, tenantID string, q admin.UserQuery) ([]*admin.User, error) {
	sc := sortColumns[q.Sort]
	var where []string
	args := []any{tenantID}
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	where = append(where, "u.tenant_id = $1")
	if len(q.Statuses) > 0 {
		ph := make([]string, len(q.Statuses))
		for i, s := range q.Statuses {
			args = append(args, string(s))
			ph[i] = param(len(args))
		}
		where = append(where, "u.status IN ("+strings.Join(ph, ", ")+")")
	}
	if q.Expired != nil {
		args = append(args, micros(q.Now))
		if *q.Expired {
			where = append(where, "(u.expires_at IS NOT NULL AND u.expires_at <= "+param(len(args))+")")
		} else {
			where = append(where, "(u.expires_at IS NULL OR u.expires_at > "+param(len(args))+")")
		}
	}
	if q.Type != "" {
		add("u.type = "+param(len(args)+1), string(q.Type))
	}
	if q.Group != "" {
		add("u.id IN (SELECT m.user_id FROM group_members m WHERE m.tenant_id = $1 AND m.group_id = "+param(len(args)+1)+")", q.Group)
	}
	if q.Role != "" {
		add(grantedUsers("g.role_id = "+param(len(args)+1)), q.Role)
	}
	if q.Project != "" {
		add(grantedUsers("g.resource_type = 'project' AND g.resource_key = "+param(len(args)+1)), q.Project)
	}
	pattern := searchPattern(q.Q)
	staged := q.Q != "" && utf8.RuneCountInString(pattern) >= 3
	if q.Q != "" && !staged {
		cond, a := t.d.substring(pattern, len(args)+1, false)
		add(cond, a...)
	}
	if q.After != nil {
		var key any = q.After.Key
		if sc.num {
			n, err := strconv.ParseInt(q.After.Key, 10, 64)
			if err != nil {
				return nil, admin.Invalid("cursor", "invalid_cursor", "The cursor is not one this server gave out.")
			}
			key = n
		}
		op := ">"
		if sc.desc {
			op = "<"
		}
		if sc.unique {
			add(sc.col+" "+op+" "+param(len(args)+1), key)
		} else {
			add("("+sc.col+", u.id) "+op+" ("+param(len(args)+1)+", "+param(len(args)+2)+")", key, q.After.ID)
		}
	}
	order := sc.col
	if sc.desc {
		order += " DESC"
	}
	if !sc.unique {
		order += ", u.id"
		if sc.desc {
			order += " DESC"
		}
	}
	if staged {
		return t.searchStaged(ctx, q, where, args, order, coverFor(q))
	}
	args = append(args, q.Limit)
	query := `SELECT ` + userColumns + ` FROM users u WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + order + ` LIMIT ` + param(len(args))
	return all(ctx, t, scanUser, query, args...)
}

// coverFor names the SQLite index that covers q's filters in its order.
func coverFor(q admin.UserQuery) string {
	sc := sortColumns[q.Sort]
	switch {
	case sc.col == "u.username_key" && len(q.Statuses) == 1:
		return "users_status_username"
	case sc.col == "u.username_key" && q.Type != "":
		return "users_type_username"
	}
	return sc.cover
}

// searchStaged runs a substring search in the stages described at
// searchLimits. where and args hold every other condition of the page.
func (t *tx) searchStaged(ctx context.Context, q admin.UserQuery, where []string, args []any, order, cover string) ([]*admin.User, error) {
	pattern := searchPattern(q.Q)
	cond := strings.Join(where, " AND ")
	walk, sorted, count := t.sqliteStages(ctx, q, cond, args, order, cover, pattern)
	var estimate func() (float64, error)
	if t.d.name() == "postgres" {
		walk, sorted, estimate = t.postgresStages(ctx, q, cond, args, order, pattern)
		count = nil
	}
	lim := t.limits
	users, err := walk(lim.Short)
	if err != nil || len(users) == q.Limit {
		return users, err
	}
	// What the trigram index says of the number of matches: SQLite counts
	// them (after a first walk that met none; up to Many+1), PostgreSQL,
	// which cannot count without visiting each, estimates their share
	// from its statistics' sample of the search texts.
	m, share := -1, -1.0
	if len(users) == 0 && count != nil {
		if m, err = count(lim.Many); err != nil {
			return nil, err
		}
	}
	if estimate != nil {
		if share, err = estimate(); err != nil {
			return nil, err
		}
	}
	// Unless the first walk met matches enough to promise a page soon, or
	// the matches are so few that sorting them is cheap, a large tenant's
	// search blocks (blocks.go) lead to the page through the parts of the
	// order that can hold a match.
	few := (m >= 0 && m <= min(fewMatches, lim.Many)) || share == 0
	promising := len(users) > 0 && q.Limit*lim.Short/len(users) <= lim.Long
	if !few && !promising {
		if tenantID, ok := args[0].(string); ok {
			if tb := t.blocksFor(ctx, tenantID); tb != nil {
				if users, ok, err := t.blockSearch(ctx, tb, q, cond, args, order, cover, pattern); err != nil || ok {
					return users, err
				}
			}
		}
	}
	sortedFirst := len(users) == 0 || q.Limit*lim.Short/len(users) > lim.Long
	if m >= 0 {
		// A first walk that met none may just have been unlucky: matches
		// spread through a tenant of N users fill a page within about
		// Limit·N/M entries.
		var n int
		if m > 0 && m <= lim.Many {
			if n, err = one(ctx, t, scanInt, `SELECT user_count FROM tenants WHERE id = $1`, args[0]); err != nil {
				return nil, err
			}
		}
		sortedFirst = m <= lim.Many && (m == 0 || q.Limit*n/m > lim.Long/2)
	}
	narrow := q.Type != "" || q.Group != "" || q.Role != "" || q.Project != "" || q.Expired != nil || len(q.Statuses) == 1
	if sortedFirst && !narrow && share > 0 && float64(q.Limit)/share <= float64(lim.Long/2) {
		// A query that matches a good share of PostgreSQL's sample has
		// matches spread widely enough (or in runs short enough) that
		// walking on is cheaper than sorting them all. Not so with a
		// narrowing filter: the sample says nothing of it, and the sort
		// reads only the matches the filter's index lets through.
		sortedFirst = false
	}
	if sortedFirst {
		if users, ok, err := sorted(lim.Many); err != nil || ok {
			return users, err
		}
	}
	if users, err := walk(lim.Long); err != nil || len(users) == q.Limit {
		return users, err
	}
	if !sortedFirst {
		if users, ok, err := sorted(lim.Many); err != nil || ok {
			return users, err
		}
	}
	return walk(-1)
}

type (
	walkFunc   func(bound int) ([]*admin.User, error)
	sortedFunc func(max int) ([]*admin.User, bool, error)
	countFunc  func(max int) (int, error)
)

// sqliteStages: walk keeps the matches among the first bound entries (all
// when bound < 0) of the covering index; the inner query runs as a
// co-routine in index order, so the first q.Limit matches it yields are
// the page. sorted lists the matches through FTS5 and sorts them, if there
// are at most max.
func (t *tx) sqliteStages(ctx context.Context, q admin.UserQuery, cond string, args []any, order, cover, pattern string) (walkFunc, sortedFunc, countFunc) {
	walk := func(bound int) ([]*admin.User, error) {
		a := append(slices.Clone(args), pattern, q.Limit)
		if bound < 0 {
			query := `SELECT ` + userColumns + ` FROM users u INDEXED BY ` + cover + ` WHERE ` + cond + ` AND instr(u.search, ` + param(len(a)-1) +
				`) > 0 ORDER BY ` + order + ` LIMIT ` + param(len(a))
			return all(ctx, t, scanUser, query, a...)
		}
		query := `SELECT ` + userColumns + ` FROM users u WHERE u.rowid IN (SELECT w.r FROM (SELECT u.rowid AS r, u.search AS s FROM users u INDEXED BY ` +
			cover + ` WHERE ` + cond + ` ORDER BY ` + order + ` LIMIT ` + strconv.Itoa(bound) +
			`) w WHERE instr(w.s, ` + param(len(a)-1) + `) > 0 LIMIT ` + param(len(a)) + `) ORDER BY ` + order
		return all(ctx, t, scanUser, query, a...)
	}
	// count counts the trigram matches (of every tenant: the index is
	// shared), up to max+1; it remembers what it learnt.
	counted, countedUpTo := 0, -1
	count := func(max int) (int, error) {
		if countedUpTo >= max || (countedUpTo >= 0 && counted <= countedUpTo) {
			return counted, nil
		}
		n, err := one(ctx, t, scanInt, `SELECT count(*) FROM (SELECT rowid FROM users_fts WHERE users_fts MATCH $1 LIMIT $2)`, ftsPhrase(pattern), max+1)
		if err == nil {
			counted, countedUpTo = n, max
		}
		return n, err
	}
	sorted := func(max int) ([]*admin.User, bool, error) {
		n, err := count(max)
		if err != nil || n > max {
			return nil, false, err
		}
		// The matches' sort keys come from user_keys (aliased u, so that
		// cond applies as written): whole user rows are read for the page only.
		a := append(slices.Clone(args), ftsPhrase(pattern), q.Limit)
		query := `SELECT ` + userColumns + ` FROM users u WHERE u.rowid IN (SELECT u.r FROM users_fts f JOIN user_keys u ON u.r = f.rowid
			WHERE f.users_fts MATCH ` + param(len(a)-1) + ` AND ` + cond + ` ORDER BY ` + order + ` LIMIT ` + param(len(a)) + `) ORDER BY ` + order
		users, err := all(ctx, t, scanUser, query, a...)
		return users, true, err
	}
	return walk, sorted, count
}

// postgresStages: walk reads the first bound entries of the sort order's
// index (an index-only scan: the index carries the filtered columns and the
// search text; LIMIT keeps the substring filter out of it), keeps the
// matches and stops at the page, then reads the page's rows; sorted gathers
// up to max+1 matches through the pg_trgm index (a bitmap scan), counts
// them, and sorts the page out of them when there are at most max.
func (t *tx) postgresStages(ctx context.Context, q admin.UserQuery, cond string, args []any, order, pattern string) (walkFunc, sortedFunc, func() (float64, error)) {
	like := func(a []any) (string, []any) {
		c, v := t.d.substring(pattern, len(a)+1, false)
		return c, append(a, v...)
	}
	keys := "u.id, " + strings.ReplaceAll(strings.ReplaceAll(order, " DESC", ""), ", u.id", "")
	walk := func(bound int) ([]*admin.User, error) {
		c, a := like(slices.Clone(args))
		a = append(a, q.Limit)
		inner := `SELECT u.id FROM users u WHERE ` + cond + ` AND ` + c + ` ORDER BY ` + order + ` LIMIT ` + param(len(a))
		if bound >= 0 {
			inner = `SELECT u.id FROM (SELECT ` + keys + `, u.search FROM users u WHERE ` + cond + ` ORDER BY ` + order + ` LIMIT ` + strconv.Itoa(bound) +
				`) u WHERE ` + c + ` LIMIT ` + param(len(a))
		}
		query := `SELECT ` + userColumns + ` FROM users u WHERE u.tenant_id = $1 AND u.id IN (` + inner + `) ORDER BY ` + order
		return all(ctx, t, scanUser, query, a...)
	}
	sorted := func(max int) ([]*admin.User, bool, error) {
		c, a := like(slices.Clone(args))
		a = append(a, q.Limit)
		query := `WITH m AS MATERIALIZED (SELECT ` + keys + ` FROM users u WHERE ` + cond + ` AND ` + c + ` LIMIT ` + strconv.Itoa(max+1) + `),
			n AS (SELECT count(*) AS n FROM m),
			p AS (SELECT u.id FROM m u ORDER BY ` + order + ` LIMIT ` + param(len(a)) + `)
			SELECT ` + userColumns + `, n.n FROM p JOIN users u ON u.tenant_id = $1 AND u.id = p.id CROSS JOIN n ORDER BY ` + order
		// The planner, trusting its estimate of the matches, would rather
		// scan the table (or walk an index) than build the bitmap: only
		// the trigram index is cheap when the matches are few.
		if _, err := t.exec(ctx, `SELECT set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true)`); err != nil {
			return nil, false, err
		}
		var n int
		users, err := all(ctx, t, func(s scanner) (*admin.User, error) { return scanUser(countingScanner{s, &n}) }, query, a...)
		if err == nil {
			_, err = t.exec(ctx, `SELECT set_config('enable_seqscan', 'on', true), set_config('enable_indexscan', 'on', true)`)
		}
		if err != nil || n > max {
			return nil, false, err
		}
		return users, true, nil
	}
	// estimate is the share of the statistics' sample of search texts
	// (migration 0006 keeps 1,000) that q matches; -1 when there is no
	// usable sample (a table never analysed, or too small to have one).
	estimate := func() (float64, error) {
		texts, err := t.searchSample(ctx)
		if err != nil || len(texts) < 200 {
			return -1, err
		}
		hits := 0
		for _, s := range texts {
			if strings.Contains(s, pattern) {
				hits++
			}
		}
		return float64(hits) / float64(len(texts)), nil
	}
	return walk, sorted, estimate
}

// countingScanner scans one more column, a count, after the row's own.
type countingScanner struct {
	s scanner
	n *int
}

func (c countingScanner) Scan(dest ...any) error { return c.s.Scan(append(dest, c.n)...) }

// grantedUsers is the condition that a user has a grant matching cond,
// themselves or through one of their groups (R-U7's role and project filters).
func grantedUsers(cond string) string {
	return `(u.id IN (SELECT g.subject_id FROM grants g WHERE g.tenant_id = $1 AND g.subject_type = 'user' AND ` + cond + `)
		OR u.id IN (SELECT m.user_id FROM grants g JOIN group_members m ON m.tenant_id = g.tenant_id AND m.group_id = g.subject_id
			WHERE g.tenant_id = $1 AND g.subject_type = 'group' AND ` + cond + `))`
}

func scanInt64(s scanner) (int64, error) {
	var n int64
	err := s.Scan(&n)
	return n, err
}

// searchSample is PostgreSQL's sample of the search texts (the histogram
// of users.search in pg_stats), read at most every sampleMaxAge by a
// process: reading and unpacking it costs milliseconds, testing a pattern
// against it in memory microseconds.
func (t *tx) searchSample(ctx context.Context) ([]string, error) {
	if t.db == nil {
		return nil, nil
	}
	c := &t.db.sample
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() || time.Since(c.at) > sampleMaxAge {
		texts, err := all(ctx, t, scanString, `SELECT s FROM pg_stats p CROSS JOIN LATERAL unnest(p.histogram_bounds::text::text[]) s
			WHERE p.schemaname = current_schema() AND p.tablename = 'users' AND p.attname = 'search'`)
		if err != nil {
			return nil, err
		}
		c.texts, c.at = texts, time.Now()
	}
	return c.texts, nil
}

const sampleMaxAge = 5 * time.Minute

// searchSampleCache holds searchSample's last reading.
type searchSampleCache struct {
	mu    sync.Mutex
	texts []string
	at    time.Time
}
