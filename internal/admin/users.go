package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// NewUser is the input of CreateUser (R-U1).
type NewUser struct {
	Username              string
	Email                 string
	FirstName             string
	LastName              string
	Phone                 string
	Locale                string     // default: the tenant's locale
	Type                  UserType   // default: standard
	Auth                  AuthMethod // default: password (sso once the tenant has SSO)
	Password              string     // optional initial password; forces a change at first sign-in
	ExpiresAt             *time.Time
	ExpiresInDays         *int
	MFAEnforced           *bool // default: true
	NotificationsDisabled bool
	OtherRecipients       []string

	// Access given with the user, in the same transaction (R-U1, R-P4).
	Groups []string    // ids of groups the user joins
	Roles  []string    // ids of roles granted on the tenant root: the user's default roles
	Grants []UserGrant // roles on collections ("access all projects") or on items
}

// UserPatch changes a user; nil fields stay as they are. Username and Auth
// are here only so that an attempt to change them is refused clearly.
type UserPatch struct {
	Username              *string
	Auth                  *AuthMethod
	Email                 *string
	FirstName             *string
	LastName              *string
	Phone                 *string
	Locale                *string
	Type                  *UserType
	Status                *Status
	ExpiresAt             *time.Time
	ExpiresInDays         *int // 0 clears the expiry
	MFAEnforced           *bool
	NotificationsDisabled *bool
	OtherRecipients       *[]string
	MustChangePassword    *bool
	// Access, when set, changes the user's groups and grants in the same
	// transaction, as ChangeUserAccess does (the console's edit dialog).
	Access *UserAccessChange
	// Unlock lifts a lockout in the same transaction, as UnlockUser does
	// (the dialog's cleared "locked" box).
	Unlock bool
}

// UserFilter is the caller's view of a user search (R-U7).
type UserFilter struct {
	Q                  string
	Status             string // pending, active, deactivated, removed, expired; empty: all but removed (and deactivated unless IncludeDeactivated)
	Type               string
	IncludeDeactivated bool
	Group              string // a group id: only its members
	Role               string // a role id: only users granted it, directly or through a group
	Project            string // a project key: only users granted on it, directly or through a group
	Sort               string
	Cursor             string
	Limit              int
}

// UserPage is one page of a user search.
type UserPage struct {
	Items      []*User
	NextCursor string
}

// CreateUser creates a pending user in the tenant, with the groups, roles
// and grants of in, in one transaction: any refusal leaves nothing behind.
// Requires roster.users.write, and for the access what AddMembers and
// CreateGrant require (Forbidden "forbidden", "escalation"). Invalid for
// bad fields, "unknown_group" (groups), "unknown_role" (roles,
// grants[i].role), "unknown_resource" (grants[i].resource); Conflict
// "username_taken", "email_taken", "seat_limit", "team_conflict" (groups),
// "grant_exists".
func (s *Service) CreateUser(ctx context.Context, slug string, in NewUser) (*User, error) {
	acc, err := normalizeNewAccess(in, "groups")
	if err != nil {
		return nil, err
	}
	var u *User
	err = s.store.Update(ctx, func(tx Tx) error {
		t, err := s.tenantFor(ctx, tx, slug, PermUsersWrite)
		if err != nil {
			return err
		}
		u, err = s.buildUser(ctx, t, in)
		if err != nil {
			return err
		}
		if err := s.insertUser(ctx, tx, t, u); err != nil {
			return err
		}
		if u.Auth == AuthPassword && u.PasswordHash == "" {
			// No password given: the user sets one from their activation link (R-E1).
			if err := s.sendActivation(ctx, tx, t, u); err != nil {
				return err
			}
		}
		if err := tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "user.created", userTarget(u), map[string]any{"after": userDetails(u)})); err != nil {
			return err
		}
		return s.giveNewUserAccess(ctx, tx, t, u, acc)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// buildUser validates in and returns the user it describes, password hashed.
func (s *Service) buildUser(ctx context.Context, t *Tenant, in NewUser) (*User, error) {
	now := s.clock.Now()
	u := &User{
		ID: s.newID(), TenantID: t.ID,
		Username: strings.TrimSpace(in.Username), FirstName: strings.TrimSpace(in.FirstName),
		LastName: strings.TrimSpace(in.LastName), Phone: strings.TrimSpace(in.Phone),
		Locale: in.Locale, Type: in.Type, Auth: in.Auth, Status: StatusPending,
		MFAEnforced: true, NotificationsDisabled: in.NotificationsDisabled,
		CreatedAt: now, UpdatedAt: now,
	}
	if u.Locale == "" {
		u.Locale = t.Settings.Locale
	}
	if u.Type == "" {
		u.Type = TypeStandard
	}
	if u.Auth == "" {
		u.Auth = AuthPassword
	}
	if in.MFAEnforced != nil {
		u.MFAEnforced = *in.MFAEnforced
	}
	var err error
	if err = validateUsername(u.Username); err != nil {
		return nil, err
	}
	if u.Email, err = normalizeEmail("email", in.Email); err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, v string }{{"first_name", u.FirstName}, {"last_name", u.LastName}} {
		if err := validateName(f.name, f.v); err != nil {
			return nil, err
		}
	}
	if err := validatePhone(u.Phone); err != nil {
		return nil, err
	}
	if err := validateLocale(u.Locale); err != nil {
		return nil, err
	}
	if !u.Type.valid() {
		return nil, Invalid("type", "invalid_type", "type is admin, standard or read_only.")
	}
	if u.Auth != AuthPassword && u.Auth != AuthSSO {
		return nil, Invalid("auth", "invalid_auth", "auth is password or sso.")
	}
	if u.OtherRecipients, err = normalizeRecipients(in.OtherRecipients); err != nil {
		return nil, err
	}
	if u.ExpiresAt, err = s.expiry(in.ExpiresAt, in.ExpiresInDays); err != nil {
		return nil, err
	}
	if in.Password != "" {
		if u.Auth == AuthSSO {
			return nil, Invalid("password", "sso_user_password", "A single sign-on user has no password.")
		}
		if err := checkPassword(t, u, "password", in.Password); err != nil {
			return nil, err
		}
		if u.PasswordHash, err = s.hash(ctx, in.Password); err != nil {
			return nil, err
		}
		u.MustChangePassword = true
	}
	return u, nil
}

// insertUser takes a seat and inserts u, mapping unique keys to conflicts.
// A username or address held by a removed user is reported with the way
// back: restoring that user (R-U4), not a second account.
func (s *Service) insertUser(ctx context.Context, tx Tx, t *Tenant, u *User) error {
	for _, f := range []struct{ field, login, code, what string }{
		{"username", u.Username, "username_taken", "The username %q is taken in this tenant."},
		{"email", u.Email, "email_taken", "Another user of this tenant has the e-mail address %s."},
	} {
		other, err := tx.UserByLogin(ctx, t.ID, f.login)
		if errors.Is(err, ErrNoRows) || (err == nil && f.field == "email" && !strings.EqualFold(other.Email, u.Email)) ||
			(err == nil && f.field == "username" && !strings.EqualFold(other.Username, u.Username)) {
			continue
		}
		if err != nil {
			return err
		}
		msg := fmt.Sprintf(f.what, f.login)
		if other.Status == StatusRemoved && other.RemovedAt != nil {
			msg += fmt.Sprintf(" It belongs to the removed user %s, who can be restored until %s.", other.Username, other.RemovedAt.Add(RetentionWindow).Format("2006-01-02 15:04 MST"))
		}
		return &Error{Kind: KindConflict, Code: f.code, Field: f.field, Message: msg}
	}
	if err := s.takeSeat(ctx, tx, t); err != nil {
		return err
	}
	if err := tx.InsertUser(ctx, u); err != nil {
		return userConflict(err, u)
	}
	return nil
}

func (s *Service) takeSeat(ctx context.Context, tx Tx, t *Tenant) error {
	if err := tx.AddSeats(ctx, t.ID, 1); err != nil {
		if errors.Is(err, ErrStale) {
			return Conflict("seat_limit", "", "The tenant has reached its limit of %d users.", t.Settings.MaxUsers)
		}
		return err
	}
	return nil
}

func userConflict(err error, u *User) error {
	var ue *UniqueError
	if errors.As(err, &ue) {
		if strings.Contains(ue.Constraint, "email") {
			return Conflict("email_taken", "email", "Another user of this tenant has the e-mail address %s.", u.Email)
		}
		return Conflict("username_taken", "username", "The username %q is taken in this tenant.", u.Username)
	}
	return err
}

func (s *Service) expiry(at *time.Time, days *int) (*time.Time, error) {
	if at != nil && days != nil {
		return nil, Invalid("expires_in_days", "conflicting_fields", "Give expires_at or expires_in_days, not both.")
	}
	if days != nil {
		if *days < 0 || *days > 3650 {
			return nil, Invalid("expires_in_days", "out_of_range", "expires_in_days is between 1 and 3650 (0 clears the expiry).")
		}
		if *days == 0 {
			return nil, nil
		}
		t := s.clock.Now().Add(time.Duration(*days) * 24 * time.Hour)
		return &t, nil
	}
	if at != nil {
		t := at.UTC()
		if !t.After(s.clock.Now()) {
			return nil, Invalid("expires_at", "in_the_past", "expires_at must be in the future.")
		}
		return &t, nil
	}
	return nil, nil
}

// GetUser returns a user of the tenant, removed ones included (so that
// they can be restored). Requires roster.users.read, or being that user.
func (s *Service) GetUser(ctx context.Context, slug, id string) (*User, error) {
	var u *User
	err := s.store.View(ctx, func(tx Tx) error {
		_, user, err := s.userFor(ctx, tx, slug, id, PermUsersRead)
		u = user
		return err
	})
	return u, err
}

// userFor loads the tenant and one of its users after checking perm. A
// user may always read themselves.
func (s *Service) userFor(ctx context.Context, tx Tx, slug, id string, perm Permission) (*Tenant, *User, error) {
	a := ActorFrom(ctx)
	t, err := s.tenantFor(ctx, tx, slug, perm)
	if err != nil {
		if perm != PermUsersRead || a == nil || a.UserID != id || KindOf(err) != KindForbidden || a.Restricted {
			return nil, nil, err
		}
		if t, err = tx.TenantBySlug(ctx, slug); err != nil {
			return nil, nil, notFoundAs(err, "Tenant")
		}
	}
	u, err := tx.UserByID(ctx, t.ID, id)
	if err != nil {
		return nil, nil, notFoundAs(err, "User")
	}
	return t, u, nil
}

// SearchUsers finds users by substring and filters, one keyset page at a
// time (R-U7). Requires roster.users.read.
func (s *Service) SearchUsers(ctx context.Context, slug string, f UserFilter) (*UserPage, error) {
	q, err := s.userQuery(f)
	if err != nil {
		return nil, err
	}
	limit := q.Limit
	q.Limit++
	var page UserPage
	err = s.store.View(ctx, func(tx Tx) error {
		t, err := s.tenantFor(ctx, tx, slug, PermUsersRead)
		if err != nil {
			return err
		}
		items, err := tx.SearchUsers(ctx, t.ID, q)
		if err != nil {
			return err
		}
		if len(items) > limit {
			items = items[:limit]
			last := items[limit-1]
			page.NextCursor = encodeCursor(userCursor{Sort: q.Sort, UserCursor: UserCursor{Key: last.SortKey(q.Sort), ID: last.ID}})
		}
		page.Items = items
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &page, nil
}

type userCursor struct {
	Sort UserSort `json:"s"`
	UserCursor
}

const maxQueryLength = 100

func (s *Service) userQuery(f UserFilter) (UserQuery, error) {
	q := UserQuery{Q: strings.ToLower(strings.TrimSpace(f.Q)), Sort: UserSort(f.Sort), Now: s.clock.Now()}
	if len([]rune(q.Q)) > maxQueryLength {
		return q, Invalid("q", "too_long", "A search has at most %d characters.", maxQueryLength)
	}
	var err error
	if q.Limit, err = pageLimit(f.Limit); err != nil {
		return q, err
	}
	if q.Sort == "" {
		q.Sort = SortUsername
	}
	if !q.Sort.valid() {
		return q, Invalid("sort", "invalid_sort", "sort is one of username, -username, email, name, created_at, -created_at.")
	}
	if f.Type != "" {
		if q.Type = UserType(f.Type); !q.Type.valid() {
			return q, Invalid("type", "invalid_type", "type is admin, standard or read_only.")
		}
	}
	no, yes := false, true
	switch Status(f.Status) {
	case "":
		q.Statuses = []Status{StatusPending, StatusActive}
		if f.IncludeDeactivated {
			q.Statuses = append(q.Statuses, StatusDeactivated)
		}
	case StatusPending, StatusActive:
		q.Statuses, q.Expired = []Status{Status(f.Status)}, &no
	case StatusDeactivated, StatusRemoved:
		q.Statuses = []Status{Status(f.Status)}
	case StatusExpired:
		q.Statuses, q.Expired = []Status{StatusPending, StatusActive}, &yes
	default:
		return q, Invalid("status", "invalid_status", "status is pending, active, deactivated, removed or expired.")
	}
	q.Group, q.Role, q.Project = f.Group, f.Role, f.Project
	for _, v := range []struct{ field, v string }{{"group", f.Group}, {"role", f.Role}, {"project", f.Project}} {
		if len(v.v) > 200 {
			return q, Invalid(v.field, "too_long", "%s is at most 200 characters.", v.field)
		}
	}
	if f.Cursor != "" {
		var c userCursor
		if err := decodeCursor(f.Cursor, &c); err != nil || c.ID == "" {
			return q, Invalid("cursor", "invalid_cursor", "The cursor is not one this server gave out.")
		}
		if c.Sort != q.Sort {
			return q, Invalid("cursor", "invalid_cursor", "The cursor belongs to another sort order.")
		}
		q.After = &c.UserCursor
	}
	return q, nil
}

func userDetails(u *User) map[string]any {
	d := map[string]any{
		"username": u.Username, "email": u.Email, "first_name": u.FirstName, "last_name": u.LastName,
		"phone": u.Phone, "locale": u.Locale, "type": string(u.Type), "auth": string(u.Auth),
		"status": string(u.Status), "locked": u.Locked, "must_change_password": u.MustChangePassword,
		"mfa_enforced": u.MFAEnforced, "mfa_enrolled": u.MFAEnrolled, "notifications_disabled": u.NotificationsDisabled,
		"other_recipients": append([]string{}, u.OtherRecipients...), "expires_at": "",
	}
	if u.ExpiresAt != nil {
		d["expires_at"] = u.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return d
}
