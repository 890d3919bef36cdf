package admin

import (
	"context"
	"errors"
	"net/url"
	"time"
)

// MailTemplate names one kind of e-mail; internal/mail renders each in
// English and Japanese, as plain text and HTML (R-E4).
type MailTemplate string

// The e-mails Roster sends. The first three carry a link with a secret and
// go to the user's own address only; the others are notifications (R-E2),
// copied to other_recipients and not sent when notifications_disabled.
const (
	MailActivation    MailTemplate = "activation"
	MailPasswordReset MailTemplate = "password_reset"
	MailInvitation    MailTemplate = "invitation"
	MailDeactivated   MailTemplate = "deactivated"
	MailReactivated   MailTemplate = "reactivated"
	MailLocked        MailTemplate = "locked"
	MailRolesChanged  MailTemplate = "roles_changed"
	MailExpiryComing  MailTemplate = "expiry_coming"
)

// MailTemplates lists every template, for the renderer's completeness test.
var MailTemplates = []MailTemplate{MailActivation, MailPasswordReset, MailInvitation,
	MailDeactivated, MailReactivated, MailLocked, MailRolesChanged, MailExpiryComing}

// linkPaths are the console pages that links of each kind open; the token
// travels as the token= query parameter (SPEC §3).
var linkPaths = map[MailTemplate]string{
	MailActivation:    "/activate",
	MailPasswordReset: "/reset-password",
	MailInvitation:    "/accept-invitation",
}

// The states of an outbox row.
const (
	MailPending = "pending" // waiting for (another) delivery attempt
	MailSent    = "sent"    // accepted by the SMTP server
	MailDropped = "dropped" // not sent: its link was superseded, used or expired
	MailFailed  = "failed"  // given up: refused for good, or too old
)

// OutboxMail is one e-mail in the durable outbox (R-E3), written in the
// transaction of the change that causes it. It never holds a secret: the
// token of a link is minted when the mail is delivered.
type OutboxMail struct {
	ID            string
	TenantID      string
	Template      MailTemplate
	Locale        string
	To            string
	Cc            []string
	Data          map[string]string // values the template shows: names, dates
	LinkID        string            // the link whose token the mail carries, if any
	State         string
	Attempts      int
	NextAttemptAt time.Time
	LeaseOwner    string
	LastError     string
	CreatedAt     time.Time
	SentAt        *time.Time
}

// Mail is an e-mail ready to render and send: an outbox row plus, for a
// mail that carries a link, the link with its fresh token.
type Mail struct {
	ID       string
	Template MailTemplate
	Locale   string
	To       string
	Cc       []string
	Data     map[string]string
	Link     string
}

// Mailer renders and sends one e-mail (internal/mail over SMTP). An error
// wrapping ErrMailRejected is final; any other error is retried.
type Mailer interface {
	Send(ctx context.Context, m *Mail) error
}

// ErrMailRejected marks a delivery failure that retrying cannot fix, such
// as a recipient the SMTP server refuses for good.
var ErrMailRejected = errors.New("mail rejected")

// Delivery timing. A failed attempt waits 1 s, 2 s, 4 s … up to
// mailMaxBackoff, so that mail written while the SMTP server is down goes
// out within mailMaxBackoff plus the worker's poll interval (well under
// 30 s) of it coming back. A claimed mail is leased for mailLease: if its
// process dies mid-delivery, another picks it up after that.
const (
	mailMaxBackoff = 20 * time.Second
	mailLease      = 2 * time.Minute
	mailMaxAge     = 72 * time.Hour
	mailRetention  = 7 * 24 * time.Hour
)

func mailBackoff(attempts int) time.Duration {
	d := time.Second
	for i := 1; i < attempts && d < mailMaxBackoff; i++ {
		d *= 2
	}
	return min(d, mailMaxBackoff)
}

// queueMail writes m to the outbox in the caller's transaction.
func (s *Service) queueMail(ctx context.Context, tx Tx, m *OutboxMail) error {
	now := s.clock.Now()
	m.ID, m.State, m.NextAttemptAt, m.CreatedAt = s.newID(), MailPending, now, now
	if err := tx.InsertMail(ctx, m); err != nil {
		return err
	}
	if s.mailer == nil {
		// Development without SMTP: say that mail is waiting, never what
		// secret it will carry (the token does not exist yet anyway).
		s.log.InfoContext(ctx, "mail queued; no SMTP server is configured, so it stays in the outbox",
			"mail_id", m.ID, "template", string(m.Template), "to", m.To, "tenant_id", m.TenantID)
	}
	return nil
}

// tenantMailData is what every template may show about the tenant and user.
func tenantMailData(t *Tenant, u *User) map[string]string {
	d := map[string]string{"tenant_name": t.Name, "tenant_slug": t.Slug}
	if u != nil {
		d["username"], d["first_name"], d["last_name"] = u.Username, u.FirstName, u.LastName
	}
	return d
}

// Notify queues a notification to u about tmpl (MailDeactivated,
// MailReactivated, MailLocked, MailRolesChanged, MailExpiryComing) in the
// caller's transaction tx, so that it is sent exactly when the change
// commits (R-E3). It honours u's notifications_disabled and copies
// other_recipients (R-E2). data adds values for the template. A template
// that carries a link is refused: those go through the link functions, to
// the user's own address only.
func (s *Service) Notify(ctx context.Context, tx Tx, t *Tenant, u *User, tmpl MailTemplate, data map[string]string) error {
	if _, link := linkPaths[tmpl]; link {
		return Internal(errors.New("Notify: " + string(tmpl) + " carries a link"))
	}
	if u.NotificationsDisabled || u.Email == "" {
		return nil
	}
	d := tenantMailData(t, u)
	for k, v := range data {
		d[k] = v
	}
	return s.queueMail(ctx, tx, &OutboxMail{TenantID: t.ID, Template: tmpl, Locale: u.Locale, To: u.Email,
		Cc: append([]string(nil), u.OtherRecipients...), Data: d})
}

// NotifyLocked tells u that their account is locked (R-E2), in tx.
func (s *Service) NotifyLocked(ctx context.Context, tx Tx, t *Tenant, u *User) error {
	return s.Notify(ctx, tx, t, u, MailLocked, nil)
}

// NotifyRolesChanged tells u that their roles changed (R-E2), in tx;
// roles is a comma-separated list of the roles they hold now (may be "").
func (s *Service) NotifyRolesChanged(ctx context.Context, tx Tx, t *Tenant, u *User, roles string) error {
	return s.Notify(ctx, tx, t, u, MailRolesChanged, map[string]string{"roles": roles})
}

// notifyGrantChanged tells a user that a role was granted to them or
// revoked (R-E2: "its roles change"), in tx. Grants to groups are not
// announced to every member.
func (s *Service) notifyGrantChanged(ctx context.Context, tx Tx, t *Tenant, g *Grant) error {
	if g.SubjectType != SubjectUser {
		return nil
	}
	u, err := tx.UserByID(ctx, t.ID, g.SubjectID)
	if errors.Is(err, ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if u.Status == StatusRemoved {
		return nil
	}
	return s.NotifyRolesChanged(ctx, tx, t, u, "")
}

// linkURL is the address a link's mail carries.
func (s *Service) linkURL(tmpl MailTemplate, token string) string {
	return s.publicURL + linkPaths[tmpl] + "?token=" + url.QueryEscape(token)
}

// DeliverMail sends up to limit due mails through the service's Mailer and
// reports how many it sent. Rows are claimed with a lease (FOR UPDATE SKIP
// LOCKED on PostgreSQL), so several processes can deliver from one outbox
// without sending a mail twice. A mail that carries a link gets its token
// here, minted and stored hashed just before sending; if the link was
// superseded or used meanwhile, the mail is dropped. Without a Mailer it
// does nothing.
func (s *Service) DeliverMail(ctx context.Context, owner string, limit int) (sent int, err error) {
	if s.mailer == nil {
		return 0, nil
	}
	now := s.clock.Now()
	var batch []*OutboxMail
	if err := s.store.Update(ctx, func(tx Tx) (err error) {
		batch, err = tx.ClaimMail(ctx, owner, now, now.Add(mailLease), limit)
		return err
	}); err != nil {
		return 0, err
	}
	// A mail in flight finishes even when the server is shutting down.
	ctx = context.WithoutCancel(ctx)
	for i, m := range batch {
		ok, transient, err := s.deliverOne(ctx, owner, m)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
		if transient {
			// The SMTP server is failing: put the rest back for the same
			// wait instead of trying each of them now.
			for _, rest := range batch[i+1:] {
				next := s.clock.Now().Add(mailBackoff(rest.Attempts))
				if err := s.finishMail(ctx, owner, rest, MailPending, next, "not attempted: the SMTP server failed for an earlier mail"); err != nil {
					return sent, err
				}
			}
			return sent, nil
		}
	}
	return sent, nil
}

// deliverOne mints the mail's link if it has one, sends it and records
// the outcome. transient reports a failure worth retrying later.
func (s *Service) deliverOne(ctx context.Context, owner string, m *OutboxMail) (ok, transient bool, err error) {
	out := &Mail{ID: m.ID, Template: m.Template, Locale: m.Locale, To: m.To, Cc: m.Cc, Data: m.Data}
	if m.LinkID != "" {
		token := newToken()
		err := s.store.Update(ctx, func(tx Tx) error {
			return tx.MintLink(ctx, m.TenantID, m.LinkID, HashToken(token), s.clock.Now())
		})
		if errors.Is(err, ErrNoRows) {
			return false, false, s.finishMail(ctx, owner, m, MailDropped, time.Time{}, "the link was superseded, used or has expired")
		}
		if err != nil {
			return false, false, err
		}
		out.Link = s.linkURL(m.Template, token)
	}
	sendCtx, cancel := context.WithTimeout(ctx, time.Minute)
	serr := s.mailer.Send(sendCtx, out)
	cancel()
	now := s.clock.Now()
	switch {
	case serr == nil:
		return true, false, s.finishMail(ctx, owner, m, MailSent, now, "")
	case errors.Is(serr, ErrMailRejected) || now.Sub(m.CreatedAt) > mailMaxAge:
		s.log.WarnContext(ctx, "mail not delivered; giving up", "mail_id", m.ID, "template", string(m.Template), "attempts", m.Attempts, "err", serr)
		return false, false, s.finishMail(ctx, owner, m, MailFailed, time.Time{}, serr.Error())
	}
	next := now.Add(mailBackoff(m.Attempts))
	s.log.WarnContext(ctx, "mail not delivered; will retry", "mail_id", m.ID, "template", string(m.Template), "attempts", m.Attempts, "retry_at", next, "err", serr)
	return false, true, s.finishMail(ctx, owner, m, MailPending, next, serr.Error())
}

// finishMail records the outcome of an attempt, unless the lease passed to
// another process meanwhile (then that process owns the row).
func (s *Service) finishMail(ctx context.Context, owner string, m *OutboxMail, state string, at time.Time, lastErr string) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		return tx.FinishMail(ctx, m.TenantID, m.ID, owner, state, at, truncate(lastErr, 500))
	})
	if errors.Is(err, ErrNoRows) {
		s.log.WarnContext(ctx, "mail lease lost before its outcome was recorded", "mail_id", m.ID)
		return nil
	}
	return err
}

// PurgeMail deletes delivered, dropped and failed mail older than a week,
// and links that expired more than a day ago. Run by the server's
// background job; it reports how many rows went.
func (s *Service) PurgeMail(ctx context.Context) (int, error) {
	now := s.clock.Now()
	n := 0
	err := s.store.Update(ctx, func(tx Tx) error {
		m, err := tx.PurgeMail(ctx, now.Add(-mailRetention))
		if err != nil {
			return err
		}
		l, err := tx.PurgeLinks(ctx, now.Add(-24*time.Hour))
		n = m + l
		return err
	})
	return n, err
}

// expiryNoticeWindow is how long before an account expires its user is told.
const expiryNoticeWindow = 7 * 24 * time.Hour

// NotifyExpiringUsers tells users whose account expires within a week
// (R-E2, R-B6), once per expiry date. Several processes may run it at once:
// a notice is recorded under a unique key in the mail's transaction. It
// reports how many users were told.
func (s *Service) NotifyExpiringUsers(ctx context.Context) (int, error) {
	now := s.clock.Now()
	n := 0
	for range 1000 {
		var batch []*User
		if err := s.store.View(ctx, func(tx Tx) (err error) {
			batch, err = tx.UsersExpiringBetween(ctx, now, now.Add(expiryNoticeWindow), 100)
			return err
		}); err != nil || len(batch) == 0 {
			return n, err
		}
		for _, u := range batch {
			err := s.store.Update(ctx, func(tx Tx) error {
				if err := tx.InsertExpiryNotice(ctx, u.TenantID, u.ID, *u.ExpiresAt, now); err != nil {
					return err
				}
				t, err := tx.TenantByID(ctx, u.TenantID)
				if err != nil {
					return err
				}
				return s.Notify(ctx, tx, t, u, MailExpiryComing, map[string]string{"expires_at": u.ExpiresAt.UTC().Format("2006-01-02 15:04 MST")})
			})
			if errors.Is(err, ErrUniqueViolation) {
				continue // another process told them
			}
			if err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}
