package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"roster/internal/secret"
)

// TestSecretKeyIsGeneratedOnceAndAnotherKeyIsRefused covers the key that
// seals TOTP secrets: generated on first start (beside a SQLite file, mode
// 0600; in the database on PostgreSQL), the same on the next start, and a
// server given another key through ROSTER_SECRET_KEY refuses to start.
func TestSecretKeyIsGeneratedOnceAndAnotherKeyIsRefused(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			db := databases(t)[engine](t)
			env := map[string]string{"ROSTER_ADMIN_PASSWORD": adminPassword}
			first := mustServe(t, env, "--addr", "127.0.0.1:0", "--db", db)
			if err := first.stop(t); err != nil {
				t.Fatal(err)
			}
			var written []byte
			if engine == "sqlite" {
				st, err := os.Stat(db + ".key")
				if err != nil {
					t.Fatalf("no key file beside the database: %v", err)
				}
				if st.Mode().Perm() != 0o600 {
					t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
				}
				written, _ = os.ReadFile(db + ".key")
			}
			again := mustServe(t, env, "--addr", "127.0.0.1:0", "--db", db)
			if err := again.stop(t); err != nil {
				t.Fatalf("a restart with the generated key: %v", err)
			}
			if engine == "sqlite" {
				if now, _ := os.ReadFile(db + ".key"); string(now) != string(written) {
					t.Error("the key file changed on restart")
				}
			}

			m := &Main{Stdout: &syncBuffer{}, Stderr: &syncBuffer{}, Getenv: func(k string) string {
				return map[string]string{"ROSTER_SECRET_KEY": secret.NewKey(), "ROSTER_ADMIN_PASSWORD": adminPassword}[k]
			}}
			err := m.Run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--db", db})
			if err == nil || !strings.Contains(err.Error(), "not the one this database was set up with") {
				t.Fatalf("serve with another ROSTER_SECRET_KEY = %v, want a refusal", err)
			}
		})
	}
}
