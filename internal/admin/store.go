package admin

import (
	"context"
	"time"
)

// Store is the persistence the domain needs. Every write of the service runs
// in one Update transaction together with its audit event.
type Store interface {
	// Update runs fn in a read-write transaction, committed when fn returns nil.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
	// Read runs fn outside a transaction, for a read of one statement;
	// fn must not write.
	Read(ctx context.Context, fn func(Tx) error) error
}

// Tx is one transaction. Every method takes the tenant explicitly; a row of
// another tenant is ErrNoRows. Lookups that find nothing return ErrNoRows,
// writes refused by a unique key return a *UniqueError.
type Tx interface {
	InsertTenant(ctx context.Context, t *Tenant) error
	TenantByID(ctx context.Context, id string) (*Tenant, error)
	TenantBySlug(ctx context.Context, slug string) (*Tenant, error)
	ListTenants(ctx context.Context, q TenantQuery) ([]*Tenant, error)
	UpdateTenant(ctx context.Context, t *Tenant) error
	// LockTenant serializes the transactions of one tenant that check a
	// count and then write (last admin). A no-op where transactions are
	// serial already.
	LockTenant(ctx context.Context, tenantID string) error
	// AddSeats adds delta (positive or negative) to the tenant's count of
	// users. An increase that would pass max_users (when it is not 0)
	// changes nothing and returns ErrStale.
	AddSeats(ctx context.Context, tenantID string, delta int) error

	InsertUser(ctx context.Context, u *User) error
	UserByID(ctx context.Context, tenantID, id string) (*User, error)
	// UserByLogin finds a user by username or e-mail, ignoring case.
	UserByLogin(ctx context.Context, tenantID, login string) (*User, error)
	UpdateUser(ctx context.Context, u *User) error
	DeleteUser(ctx context.Context, tenantID, id string) error
	CountActiveAdmins(ctx context.Context, tenantID string) (int, error)
	SearchUsers(ctx context.Context, tenantID string, q UserQuery) ([]*User, error)
	// RemovedBefore lists users of any tenant removed before t.
	RemovedBefore(ctx context.Context, t time.Time, limit int) ([]*User, error)
	// RecordSignInFailure adds one failed password to the user's count and
	// locks the account when the count reaches threshold, in one statement
	// so that concurrent attempts are counted exactly. A temporary lock that
	// has lifted by at counts as unlocked (the count starts again). ErrNoRows
	// when the account is locked at at.
	RecordSignInFailure(ctx context.Context, tenantID, userID string, threshold int, at time.Time) (SignInFailure, error)
	// LockUntil notes one more lockout in a row and when the lock lifts
	// (nil: when an admin unlocks).
	LockUntil(ctx context.Context, tenantID, userID string, until *time.Time) error
	// RecordSignIn notes a successful sign-in: failures and lockouts reset,
	// a pending user becomes active. ErrNoRows when the account is locked at
	// at (a concurrent failure locked it).
	RecordSignIn(ctx context.Context, tenantID, userID string, at time.Time) error

	// PutTOTP stores a user's TOTP secret, replacing any other.
	PutTOTP(ctx context.Context, m *TOTP) error
	TOTPByUser(ctx context.Context, tenantID, userID string) (*TOTP, error)
	// ConfirmTOTP marks a pending secret confirmed with step as the last
	// step used. ErrStale when it is not pending any more.
	ConfirmTOTP(ctx context.Context, tenantID, userID string, step int64) error
	// AdvanceTOTPStep records step as used, only if it is later than the
	// last one used; ErrStale otherwise (a code used twice).
	AdvanceTOTPStep(ctx context.Context, tenantID, userID string, step int64) error
	// DeleteTOTP removes a user's TOTP secret and recovery codes.
	DeleteTOTP(ctx context.Context, tenantID, userID string) error
	// InsertRecoveryCodes stores the hashes of new recovery codes,
	// replacing the user's old ones.
	InsertRecoveryCodes(ctx context.Context, tenantID, userID string, hashes [][]byte) error
	// UseRecoveryCode spends the unused code with this hash; ErrNoRows when
	// there is none.
	UseRecoveryCode(ctx context.Context, tenantID, userID string, hash []byte, at time.Time) error
	// CountRecoveryCodes reports how many unused recovery codes remain.
	CountRecoveryCodes(ctx context.Context, tenantID, userID string) (int, error)

	InsertAPIToken(ctx context.Context, t *APIToken) error
	APITokenByHash(ctx context.Context, hash []byte) (*APIToken, error)
	APITokenByID(ctx context.Context, tenantID, id string) (*APIToken, error)
	ListAPITokens(ctx context.Context, tenantID string) ([]*APIToken, error)
	DeleteAPIToken(ctx context.Context, tenantID, id string) error
	TouchAPIToken(ctx context.Context, tenantID, id string, at time.Time) error

	InsertSession(ctx context.Context, s *Session) error
	// SessionByTokenHash reads a session with its user and tenant in one
	// statement.
	SessionByTokenHash(ctx context.Context, hash []byte) (*Session, *User, *Tenant, error)
	TouchSession(ctx context.Context, tenantID, id string, at time.Time) error
	DeleteSession(ctx context.Context, tenantID, userID, id string) error
	// DeleteUserSessions ends every session of a user but exceptID, and
	// reports how many ended.
	DeleteUserSessions(ctx context.Context, tenantID, userID, exceptID string) (int, error)
	// DeleteGroupSessions ends every session of the members of a group,
	// and reports how many ended.
	DeleteGroupSessions(ctx context.Context, tenantID, groupID string) (int, error)
	ListUserSessions(ctx context.Context, tenantID, userID string) ([]*Session, error)

	// ScrubAuditSubject removes a purged user's personal data from the
	// tenant's audit trail: names, addresses and details of the events the
	// user is the target or the actor of. Ids, actions and times stay.
	ScrubAuditSubject(ctx context.Context, tenantID, userID string) error
	// InsertMail writes a mail to the outbox.
	InsertMail(ctx context.Context, m *OutboxMail) error
	// ClaimMail leases up to limit pending mails due at now to owner until
	// leaseUntil (their next attempt), counting the attempt. Rows another
	// transaction holds are skipped, so concurrent claimers never share one.
	ClaimMail(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*OutboxMail, error)
	// FinishMail records an attempt's outcome on a mail still leased to
	// owner: state, then at is sent_at (MailSent) or the next attempt
	// (MailPending). ErrNoRows when the lease passed to someone else.
	FinishMail(ctx context.Context, tenantID, id, owner, state string, at time.Time, lastError string) error
	// PurgeMail deletes mail that is no longer pending, created before t.
	PurgeMail(ctx context.Context, before time.Time) (int, error)

	InsertLink(ctx context.Context, l *Link) error
	// SupersedeLinks ends the live links of kind for subject.
	SupersedeLinks(ctx context.Context, tenantID, subjectID, kind string) error
	// MintLink sets the token hash of a live, unexpired link (replacing an
	// earlier one); ErrNoRows when the link is no longer live.
	MintLink(ctx context.Context, tenantID, id string, tokenHash []byte, now time.Time) error
	// LinkByTokenHash finds a live link by its token hash, expired or not.
	LinkByTokenHash(ctx context.Context, hash []byte) (*Link, error)
	// UseLink marks a live link used when its token hash still matches;
	// ErrNoRows otherwise (used concurrently, superseded or re-minted).
	UseLink(ctx context.Context, tenantID, id string, tokenHash []byte, at time.Time) error
	// CountRecentLinks counts links of kind issued for subject since t.
	CountRecentLinks(ctx context.Context, tenantID, subjectID, kind string, since time.Time) (int, error)
	// PurgeLinks deletes links that expired before t.
	PurgeLinks(ctx context.Context, before time.Time) (int, error)

	InsertInvitation(ctx context.Context, inv *Invitation) error
	InvitationByID(ctx context.Context, tenantID, id string) (*Invitation, error)
	// PendingInvitationByEmail finds the pending invitation of a lower-cased address.
	PendingInvitationByEmail(ctx context.Context, tenantID, emailKey string) (*Invitation, error)
	UpdateInvitation(ctx context.Context, inv *Invitation) error
	ListInvitations(ctx context.Context, tenantID string, q InvitationQuery) ([]*Invitation, error)

	// UsersExpiringBetween lists pending or active users of any tenant whose
	// account expires in [from, to) and who have no notice for that date.
	UsersExpiringBetween(ctx context.Context, from, to time.Time, limit int) ([]*User, error)
	// InsertExpiryNotice records that a user was told about an expiry date;
	// a *UniqueError when they were already.
	InsertExpiryNotice(ctx context.Context, tenantID, userID string, expiresAt, at time.Time) error

	InsertAuditEvent(ctx context.Context, e *AuditEvent) error
	ListAuditEvents(ctx context.Context, tenantID string, q AuditQuery) ([]*AuditEvent, error)

	AccessTx
}

// AccessTx is the storage of groups, the permission catalogue, roles,
// resources and grants (authorization).
type AccessTx interface {
	// UsersByIDs returns the users of ids that exist in the tenant, in no order.
	UsersByIDs(ctx context.Context, tenantID string, ids []string) ([]*User, error)

	InsertGroup(ctx context.Context, g *Group) error
	GroupByID(ctx context.Context, tenantID, id string) (*Group, error)
	ListGroups(ctx context.Context, tenantID string, q GroupQuery) ([]*Group, error)
	UpdateGroup(ctx context.Context, g *Group) error
	DeleteGroup(ctx context.Context, tenantID, id string) error
	// AddGroupMembers adds the users to the group and returns those that
	// were not members yet.
	AddGroupMembers(ctx context.Context, tenantID, groupID string, userIDs []string, at time.Time) ([]string, error)
	// RemoveGroupMembers removes the users and returns those that were members.
	RemoveGroupMembers(ctx context.Context, tenantID, groupID string, userIDs []string) ([]string, error)
	// ListGroupMembers lists members in username order after the username key after.
	ListGroupMembers(ctx context.Context, tenantID, groupID, after string, limit int) ([]*User, error)
	GroupsOfUser(ctx context.Context, tenantID, userID string) ([]*Group, error)
	// TeamConflicts lists the members of groupID (those of userIDs, or all
	// when nil) who are on another team of a project groupID is a team of.
	TeamConflicts(ctx context.Context, tenantID, groupID string, userIDs []string) ([]TeamConflict, error)

	// CountGrantsOf counts the grants of a subject.
	CountGrantsOf(ctx context.Context, tenantID string, subjectType SubjectType, subjectID string) (int, error)

	PermissionByName(ctx context.Context, name string) (*PermissionDef, error)
	InsertPermission(ctx context.Context, p *PermissionDef) error
	UpdatePermission(ctx context.Context, p *PermissionDef) error
	ListPermissions(ctx context.Context) ([]*PermissionDef, error)

	InsertRole(ctx context.Context, r *Role) error
	// RoleByID finds a role of the tenant or a predefined one.
	RoleByID(ctx context.Context, tenantID, id string) (*Role, error)
	// ListRoles lists the predefined roles and the tenant's, in name order.
	ListRoles(ctx context.Context, tenantID string) ([]*Role, error)
	UpdateRole(ctx context.Context, r *Role) error
	DeleteRole(ctx context.Context, tenantID, id string) error
	CountGrantsOfRole(ctx context.Context, tenantID, roleID string) (int, error)
	// ReplaceRoleInGrants moves every grant of roleID to replacementID (a
	// grant that would duplicate one the subject has already is deleted)
	// and returns the ids of the grants it changed or deleted.
	ReplaceRoleInGrants(ctx context.Context, tenantID, roleID, replacementID string) ([]string, error)

	InsertResource(ctx context.Context, r *Resource) error
	ResourceByRef(ctx context.Context, tenantID, typ, key string) (*Resource, error)
	ListResources(ctx context.Context, tenantID string, q ResourceQuery) ([]*Resource, error)
	UpdateResource(ctx context.Context, r *Resource) error
	// Subtree lists a resource and everything under it.
	Subtree(ctx context.Context, tenantID, typ, key string) ([]*Resource, error)
	// DeleteResources deletes resources and every grant on them, and
	// returns the grants it deleted.
	DeleteResources(ctx context.Context, tenantID string, rs []*Resource) ([]*Grant, error)

	InsertGrant(ctx context.Context, g *Grant) error
	GrantByID(ctx context.Context, tenantID, id string) (*Grant, error)
	ListGrants(ctx context.Context, tenantID string, q GrantQuery) ([]*Grant, error)
	// UpdateGrant changes a grant's role and access; ErrNoRows when it is
	// gone, ErrUniqueViolation when the subject has the new role there.
	UpdateGrant(ctx context.Context, g *Grant) error
	DeleteGrant(ctx context.Context, tenantID, id string) error
	Misconfigurations(ctx context.Context, tenantID, projectKey string) ([]Misconfiguration, error)

	// AccessVersion is the tenant's access change counter.
	AccessVersion(ctx context.Context, tenantID string) (int64, error)
	// AccessVersions reads the counters of several tenants.
	AccessVersions(ctx context.Context, tenantIDs []string) (map[string]int64, error)
	// AccessChangesSince lists up to limit changes after version, in order.
	AccessChangesSince(ctx context.Context, tenantID string, version int64, limit int) ([]AccessChange, error)
	// LoadAccess streams a tenant's whole authorization state to v.
	LoadAccess(ctx context.Context, tenantID string, v AccessVisitor) error
	// UserAccessByID reads what the access index needs of one user.
	UserAccessByID(ctx context.Context, tenantID, id string) (UserAccess, []string, error)
	// PruneAccessChanges deletes change log entries older than before.
	PruneAccessChanges(ctx context.Context, before time.Time) (int, error)
	// AccessTouched lists the tenants whose access this transaction changed.
	AccessTouched() []string

	// AccessChanged records that the entities ("user:<id>", "group:<id>",
	// "role:<id>", "resource:<type>:<key>", "grant:<id>", "catalogue") changed
	// in the tenant, so that every process's index reloads them.
	AccessChanged(ctx context.Context, tenantID string, entities ...string) error
}

// SignInFailure is the state of an account after a failed sign-in.
type SignInFailure struct {
	Failures int  // consecutive failures, this one included
	Locked   bool // this failure locked the account
	Lockouts int  // lockouts in a row before this one
}

// Clock tells the time; tests use a fixed one.
type Clock interface{ Now() time.Time }

// SystemClock is the wall clock, in UTC.
type SystemClock struct{}

// Now returns the current UTC time, to the microsecond the store keeps.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
