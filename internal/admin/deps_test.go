package admin_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDomainImportsNoAdapter keeps the domain free of storage, HTTP and
// every adapter, directly or through its dependencies: arrows point inward.
func TestDomainImportsNoAdapter(t *testing.T) {
	forbidden := []string{"database/sql", "net/http", "roster/internal/sqlstore", "roster/internal/rest",
		"roster/internal/server", "roster/internal/console", "roster/internal/mail", "roster/internal/scim",
		"github.com/jackc/pgx", "modernc.org/sqlite", "github.com/danielgtaylor/huma"}
	for _, pkg := range []string{"roster/internal/admin", "roster/internal/access"} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			if strings.Contains(string(out), "cannot find package") || strings.Contains(string(out), "is not in std") || strings.Contains(string(out), "no required module") || strings.Contains(string(out), "matched no packages") {
				continue // the package does not exist yet
			}
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep == "database/sql/driver" {
				continue // google/uuid implements driver.Valuer; it opens no database
			}
			for _, f := range forbidden {
				if dep == f || strings.HasPrefix(dep, f+"/") {
					t.Errorf("%s depends on %s: the domain must not import adapters, database/sql or net/http", pkg, dep)
				}
			}
		}
	}
}
