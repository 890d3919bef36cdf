package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"roster/internal/mail/smtptest"
)

// post sends a JSON body with the cookie and returns the status and body.
func (r *running) post(tb testing.TB, path string, cookie *http.Cookie, body any) (int, string) {
	tb.Helper()
	b, _ := json.Marshal(body)
	req, err := http.NewRequest("POST", r.url+path, bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if cookie != nil {
		req.AddCookie(cookie)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out)
}

// TestMailWrittenWhileSMTPIsDownArrivesAfterARestart covers R-E3: an
// activation mail written while the SMTP server is down stays in the
// outbox across a restart of `roster serve` and goes out soon after the
// SMTP server is back; its link then works.
func TestMailWrittenWhileSMTPIsDownArrivesAfterARestart(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			db := databases(t)[engine](t)
			smtp := smtptest.Start(t)
			smtp.Stop()
			env := map[string]string{"ROSTER_ADMIN_PASSWORD": adminPassword, "ROSTER_DB": db, "ROSTER_ADDR": "127.0.0.1:0",
				"ROSTER_SMTP_URL": smtp.URL(), "ROSTER_MAIL_FROM": "Roster <roster@example.com>"}
			srv := mustServe(t, env)
			_, _, cookie := srv.signIn(t, adminPassword)
			if code, body := srv.post(t, "/api/v1/tenants", cookie, map[string]any{"slug": "acme", "name": "Acme"}); code != http.StatusCreated {
				t.Fatalf("create tenant: %d %s", code, body)
			}
			if code, body := srv.post(t, "/api/v1/tenants/acme/users", cookie, map[string]any{"username": "ann", "email": "ann@acme.example.com"}); code != http.StatusCreated {
				t.Fatalf("create user: %d %s", code, body)
			}
			for deadline := time.Now().Add(15 * time.Second); !strings.Contains(srv.stderr.String(), "will retry"); {
				if time.Now().After(deadline) {
					t.Fatalf("no failed delivery attempt logged:\n%s", srv.stderr)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err := srv.stop(t); err != nil {
				t.Fatalf("stop: %v", err)
			}

			smtp.Restart(t)
			back := time.Now()
			again := mustServe(t, env)
			msg := smtp.WaitTo(t, "ann@acme.example.com", "Activate")
			if d := time.Since(back); d > 30*time.Second {
				t.Fatalf("the mail arrived %v after the SMTP server came back, want within 30 s", d)
			} else {
				t.Logf("delivered %v after the SMTP server came back (restart included)", d.Round(time.Millisecond))
			}
			if !strings.HasPrefix(msg.Link(), "http://127.0.0.1:") {
				t.Fatalf("link %q: want the server's own address when ROSTER_PUBLIC_URL is unset", msg.Link())
			}
			if code, body := again.post(t, "/api/v1/activate", nil, map[string]any{"token": msg.Token(), "password": "ann's own passphrase"}); code != http.StatusOK {
				t.Fatalf("activate with the mailed token: %d %s", code, body)
			}
			for _, logs := range []string{srv.stderr.String(), again.stderr.String()} {
				if strings.Contains(logs, msg.Token()) {
					t.Fatalf("a log holds the token")
				}
			}
			if len(smtp.Messages()) != 1 {
				t.Fatalf("%d messages arrived, want exactly 1", len(smtp.Messages()))
			}
		})
	}
}
