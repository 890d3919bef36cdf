package admin_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"roster/internal/admin"
	"roster/internal/mail"
	"roster/internal/mail/smtptest"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

// mailer returns a service on f's database and clock that delivers to srv.
func (f *fixture) mailer(tb testing.TB, srv *smtptest.Server) *admin.Service {
	tb.Helper()
	sender, err := mail.New(mail.Config{URL: srv.URL(), From: "roster@example.com"})
	if err != nil {
		tb.Fatal(err)
	}
	return admin.New(admin.Config{Store: f.db, Clock: f.clock, Hasher: cheapHasher(), Mailer: sender, PublicURL: "https://roster.example.com"})
}

// mustPendingUsers creates n users without a password: n activation mails.
func (f *fixture) mustPendingUsers(n int) {
	f.tb.Helper()
	for i := range n {
		f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: fmt.Sprintf("u%03d", i)})
	}
}

func outboxStates(tb testing.TB, db *sqlstore.DB) map[string]int {
	tb.Helper()
	rows, err := db.SQL().Query(`SELECT state, COUNT(*) FROM mail_outbox GROUP BY state`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			tb.Fatal(err)
		}
		out[s] = n
	}
	return out
}

// TestSeveralProcessesDeliverEachMailOnce runs four delivery workers, as
// four processes would, on one outbox: every mail goes out exactly once.
func TestSeveralProcessesDeliverEachMailOnce(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		srv := smtptest.Start(t)
		const n = 40
		f.mustPendingUsers(n)
		var wg sync.WaitGroup
		for w := range 4 {
			svc := f.mailer(t, srv)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 100 {
					sent, err := svc.DeliverMail(context.Background(), fmt.Sprintf("worker-%d", w), 3)
					if err != nil {
						t.Errorf("DeliverMail: %v", err)
						return
					}
					if sent == 0 && outboxStates(t, db)["pending"] == 0 {
						return
					}
				}
			}()
		}
		wg.Wait()
		got := map[string]int{}
		for _, m := range srv.Messages() {
			got[m.Header.Get("Message-Id")]++
		}
		if len(srv.Messages()) != n || len(got) != n {
			t.Fatalf("%d messages, %d distinct, want %d each once", len(srv.Messages()), len(got), n)
		}
		if st := outboxStates(t, db); st["sent"] != n {
			t.Fatalf("outbox states %v, want %d sent", st, n)
		}
	})
}

// TestDeliveryBacksOffAndResumesWithinSeconds: while the SMTP server is
// down the wait between attempts grows but never passes 20 s, so mail goes
// out within that of the server's return; a refused recipient is final.
func TestDeliveryBacksOffAndResumesWithinSeconds(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		srv := smtptest.Start(t)
		srv.Stop()
		svc := f.mailer(t, srv)
		f.mustPendingUsers(3)
		ctx := context.Background()
		var waits []time.Duration
		for range 10 {
			if sent, err := svc.DeliverMail(ctx, "w", 10); err != nil || sent != 0 {
				t.Fatalf("DeliverMail with SMTP down: %d, %v", sent, err)
			}
			var next int64
			if err := db.SQL().QueryRow(`SELECT MAX(next_attempt_at) FROM mail_outbox WHERE state = 'pending'`).Scan(&next); err != nil {
				t.Fatal(err)
			}
			wait := time.UnixMicro(next).Sub(f.clock.Now())
			waits = append(waits, wait)
			f.clock.Advance(wait)
		}
		if waits[0] > 2*time.Second || waits[len(waits)-1] != 20*time.Second || waits[3] <= waits[0] {
			t.Fatalf("waits between attempts %v: want growing from about 1 s to at most 20 s", waits)
		}
		if st := outboxStates(t, db); st["pending"] != 3 {
			t.Fatalf("outbox %v, want 3 pending", st)
		}
		srv.Restart(t)
		srv.Reject("u001@example.com")
		f.clock.Advance(20 * time.Second)
		if sent, err := svc.DeliverMail(ctx, "w", 10); err != nil || sent != 2 {
			t.Fatalf("DeliverMail after SMTP returned: %d sent, %v; want 2", sent, err)
		}
		if st := outboxStates(t, db); st["sent"] != 2 || st["failed"] != 1 {
			t.Fatalf("outbox %v, want 2 sent and the refused one failed", st)
		}
	})
}

// TestMailOfASupersededLinkIsDropped: a link replaced before its mail went
// out is never sent; only the newest one is.
func TestMailOfASupersededLinkIsDropped(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		srv := smtptest.Start(t)
		svc := f.mailer(t, srv)
		u := f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "ann"})
		wantOK(t, "ResendActivation", f.svc.ResendActivation(f.staff, f.slug, u.ID))
		if sent, err := svc.DeliverMail(context.Background(), "w", 10); err != nil || sent != 1 {
			t.Fatalf("DeliverMail: %d, %v; want 1 sent", sent, err)
		}
		if st := outboxStates(t, db); st["sent"] != 1 || st["dropped"] != 1 {
			t.Fatalf("outbox %v, want the first mail dropped and the second sent", st)
		}
		msg := srv.Messages()[0]
		if _, _, err := f.svc.Activate(f.anon, msg.Token(), userPassword); err != nil {
			t.Fatalf("the delivered link does not work: %v", err)
		}
	})
}

// TestConcurrentRedemptionsUseALinkOnce: of many simultaneous uses of one
// reset token, exactly one sets the password.
func TestConcurrentRedemptionsUseALinkOnce(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		srv := smtptest.Start(t)
		svc := f.mailer(t, srv)
		u := f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "ann", Password: initialPassword})
		wantOK(t, "SendPasswordReset", f.svc.SendPasswordReset(f.staff, f.slug, u.ID))
		if _, err := svc.DeliverMail(context.Background(), "w", 10); err != nil {
			t.Fatal(err)
		}
		token := srv.WaitTo(t, u.Email, "Reset").Token()
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, invalid := 0, 0
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := f.svc.ResetPassword(f.anon, token, fmt.Sprintf("concurrent-passphrase-%d", i))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case admin.CodeOf(err) == "invalid_token":
					invalid++
				default:
					t.Errorf("ResetPassword: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok != 1 || invalid != 7 {
			t.Fatalf("%d redemptions succeeded and %d were refused, want 1 and 7", ok, invalid)
		}
		if n := f.countAudit(f.slug, "user.password_reset"); n != 1 {
			t.Fatalf("%d user.password_reset events, want 1", n)
		}
	})
}
