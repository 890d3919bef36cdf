package admin_test

import (
	"context"
	"fmt"
	"testing"

	"roster/internal/admin"
	"roster/internal/mail/smtptest"
	"roster/internal/sqlstore/sqltest"
)

// BenchmarkMailDelivery measures the outbox end to end on each engine:
// claiming due mail, minting each activation link's token, rendering,
// sending over SMTP to a server in the process, and recording the outcome.
// The mails are queued (by creating users) outside the timer.
func BenchmarkMailDelivery(b *testing.B) {
	for _, engine := range sqltest.Engines {
		b.Run(engine, func(b *testing.B) {
			f := MustFixture(b, sqltest.Open(b, engine))
			srv := smtptest.Start(b)
			svc := f.mailer(b, srv)
			for i := range b.N {
				f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: fmt.Sprintf("b%07d", i)})
			}
			ctx := context.Background()
			b.ResetTimer()
			sent := 0
			for sent < b.N {
				n, err := svc.DeliverMail(ctx, "bench", 20)
				if err != nil {
					b.Fatal(err)
				}
				if n == 0 {
					b.Fatalf("nothing delivered with %d of %d sent", sent, b.N)
				}
				sent += n
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
		})
	}
}

// BenchmarkQueueNotification measures a change that writes a notification
// to the outbox: a deactivation or reactivation with its audit event and
// its mail in one transaction, against the same change for a user with
// notifications disabled (no mail), on each engine.
func BenchmarkQueueNotification(b *testing.B) {
	for _, engine := range sqltest.Engines {
		for _, mail := range []bool{true, false} {
			name := engine + "/with-mail"
			if !mail {
				name = engine + "/notifications-off"
			}
			b.Run(name, func(b *testing.B) {
				f := MustFixture(b, sqltest.Open(b, engine))
				u := f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "ann", Password: initialPassword, NotificationsDisabled: !mail})
				i := 0
				for b.Loop() {
					var err error
					if i%2 == 0 {
						_, err = f.svc.DeactivateUser(f.staff, f.slug, u.ID)
					} else {
						_, err = f.svc.ActivateUser(f.staff, f.slug, u.ID)
					}
					if err != nil {
						b.Fatal(err)
					}
					i++
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changes/s")
			})
		}
	}
}
