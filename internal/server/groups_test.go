package server_test

import (
	"net/http"
	"slices"
	"testing"

	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

type groupJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	MemberCount int    `json:"member_count"`
}

// TestGroupsOverHTTP covers R-G1 through the API: create, list, rename
// keeping the id, bulk membership, delete, and problems for bad input.
func TestGroupsOverHTTP(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := mustEnv(t, db)
		e.mustTenant("acme", nil)
		ada, _ := e.mustMember("acme", "ada", "admin")
		bob := e.mustCreateUser(ada, "acme", map[string]any{"username": "bob"})
		cy := e.mustCreateUser(ada, "acme", map[string]any{"username": "cy"})
		base := "/api/v1/tenants/acme/groups"

		r := do(t, ada, "POST", base, map[string]any{"name": "Testers"})
		wantStatus(t, r, http.StatusCreated)
		g := decode[groupJSON](t, r)
		wantProblem(t, do(t, ada, "POST", base, map[string]any{"name": "testers"}), http.StatusConflict, "group_name_taken", "name")
		wantProblem(t, do(t, ada, "POST", base, map[string]any{"name": ""}), http.StatusUnprocessableEntity, "required", "name")

		r = do(t, ada, "PATCH", base+"/"+g.ID, map[string]any{"name": "QA"})
		wantStatus(t, r, http.StatusOK)
		if got := decode[groupJSON](t, r); got.ID != g.ID || got.Name != "QA" {
			t.Fatalf("renamed group %+v, want id %s named QA", got, g.ID)
		}

		r = do(t, ada, "POST", base+"/"+g.ID+"/members", map[string]any{"user_ids": []string{bob.ID, cy.ID}})
		wantStatus(t, r, http.StatusOK)
		if got := decode[struct {
			UserIDs []string `json:"user_ids"`
		}](t, r).UserIDs; !slices.Equal(got, []string{bob.ID, cy.ID}) {
			t.Fatalf("added %v", got)
		}
		wantProblem(t, do(t, ada, "POST", base+"/"+g.ID+"/members", map[string]any{"user_ids": []string{"nobody"}}),
			http.StatusUnprocessableEntity, "unknown_user", "user_ids")
		r = do(t, ada, "GET", base+"/"+g.ID+"/members?limit=1", nil)
		wantStatus(t, r, http.StatusOK)
		if p := decode[pageJSON[userJSON]](t, r); len(p.Items) != 1 || p.Items[0].Username != "bob" || p.NextCursor == "" {
			t.Fatalf("first page of members %+v, want bob and a cursor", p)
		}
		r = do(t, ada, "DELETE", base+"/"+g.ID+"/members", map[string]any{"user_ids": []string{cy.ID}})
		wantStatus(t, r, http.StatusOK)
		r = do(t, ada, "GET", "/api/v1/tenants/acme/users/"+bob.ID+"/groups", nil)
		wantStatus(t, r, http.StatusOK)
		if p := decode[pageJSON[groupJSON]](t, r); len(p.Items) != 1 || p.Items[0].Name != "QA" || p.Items[0].MemberCount != 1 {
			t.Fatalf("bob's groups %+v, want QA with one member", p)
		}
		r = do(t, ada, "GET", base+"?q=q", nil)
		wantStatus(t, r, http.StatusOK)
		if p := decode[pageJSON[groupJSON]](t, r); len(p.Items) != 1 {
			t.Fatalf("groups matching q: %+v", p)
		}

		wantStatus(t, do(t, ada, "DELETE", base+"/"+g.ID, nil), http.StatusNoContent)
		wantProblem(t, do(t, ada, "GET", base+"/"+g.ID, nil), http.StatusNotFound, "not_found")
	})
}
