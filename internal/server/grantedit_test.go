package server_test

import (
	"net/http"
	"testing"

	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

// TestGrantEditTreeAndInheritanceOverHTTP: PATCH grants/{id}, grants of
// several projects at once, a project's tree and a folder's inherited
// grants, with the problems they promise.
func TestGrantEditTreeAndInheritanceOverHTTP(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e, ada := acmeAndGlobex(t, db)
		ann := e.mustCreateUser(ada, "acme", map[string]any{"username": "ann"})
		api := "/api/v1/tenants/acme"
		for _, res := range []map[string]any{
			{"type": "project", "key": "P1", "name": "Apollo"},
			{"type": "project", "key": "P2", "name": "Gemini"},
			{"type": "folder", "key": "F1", "parent": "project:P1"},
			{"type": "folder", "key": "F2", "parent": "folder:F1"},
		} {
			wantStatus(t, do(t, ada, "POST", api+"/resources", res), http.StatusCreated)
		}
		r := do(t, ada, "POST", api+"/grants", map[string]any{"subject": map[string]any{"type": "user", "id": ann.ID}, "role": "auditor", "resource": "project:P1"})
		wantStatus(t, r, http.StatusCreated)
		g1 := r.str("id")
		wantStatus(t, do(t, ada, "POST", api+"/grants", map[string]any{"subject": map[string]any{"type": "user", "id": ann.ID}, "role": "auditor", "resource": "project:P2"}), http.StatusCreated)

		r = do(t, ada, "PATCH", api+"/grants/"+g1, map[string]any{"access": "read_only"})
		wantStatus(t, r, http.StatusOK)
		if r.str("id") != g1 || r.str("access") != "read_only" || r.str("role") != "auditor" {
			t.Fatalf("patched grant %v", r)
		}
		r = do(t, ada, "PATCH", api+"/grants/"+g1, map[string]any{"role": "tenant-administrator", "access": "write"})
		wantStatus(t, r, http.StatusOK)
		wantProblem(t, do(t, ada, "PATCH", api+"/grants/"+g1, map[string]any{"access": "all"}), http.StatusUnprocessableEntity, "invalid", "access")
		wantProblem(t, do(t, ada, "PATCH", api+"/grants/"+g1, map[string]any{"role": "nope"}), http.StatusUnprocessableEntity, "unknown_role", "role")
		wantProblem(t, do(t, ada, "PATCH", "/api/v1/tenants/globex/grants/"+g1, map[string]any{"access": "write"}), http.StatusNotFound, "not_found")

		r = do(t, ada, "GET", api+"/grants?resources=project:P1&resources=project:P2", nil)
		wantStatus(t, r, http.StatusOK)
		if items := decode[pageJSON[map[string]any]](t, r).Items; len(items) != 2 {
			t.Fatalf("grants on P1 and P2: %s", r.raw)
		}
		wantProblem(t, do(t, ada, "GET", api+"/grants?resources=project:P1&resources=folder:F1", nil), http.StatusUnprocessableEntity, "invalid_filter", "resources")

		r = do(t, ada, "GET", api+"/resources?type=project&q=gem", nil)
		wantStatus(t, r, http.StatusOK)
		if items := decode[pageJSON[map[string]any]](t, r).Items; len(items) != 1 || items[0]["key"] != "P2" {
			t.Fatalf("projects matching gem: %s", r.raw)
		}
		r = do(t, ada, "GET", api+"/resources/project/P1/tree", nil)
		wantStatus(t, r, http.StatusOK)
		if items := decode[pageJSON[map[string]any]](t, r).Items; len(items) != 3 {
			t.Fatalf("the tree of P1: %s", r.raw)
		}
		r = do(t, ada, "GET", api+"/resources/folder/F2/inherited-grants", nil)
		wantStatus(t, r, http.StatusOK)
		if items := decode[pageJSON[map[string]any]](t, r).Items; len(items) != 1 || items[0]["id"] != g1 || items[0]["resource"] != "project:P1" {
			t.Fatalf("F2 inherits %s", r.raw)
		}
		wantProblem(t, do(t, ada, "GET", "/api/v1/tenants/globex/resources/folder/F2/inherited-grants", nil), http.StatusNotFound, "not_found")
		wantProblem(t, do(t, ada, "GET", api+"/resources/folder/F9/tree", nil), http.StatusNotFound, "not_found")
	})
}
