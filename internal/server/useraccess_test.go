package server_test

import (
	"net/http"
	"testing"

	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

// TestCreateUserWithAccessOverHTTP: POST users takes groups, roles and
// grants, writes them with the user in one transaction, and a refusal
// names its field and leaves the tenant as it was.
func TestCreateUserWithAccessOverHTTP(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e, ada := acmeAndGlobex(t, db)
		api := "/api/v1/tenants/acme"
		wantStatus(t, do(t, e.staff, "POST", "/api/v1/permissions", map[string]any{"name": "defects.edit", "kind": "write"}), http.StatusCreated)
		r := do(t, e.staff, "POST", api+"/roles", map[string]any{"name": "Editor", "permissions": []string{"defects.edit"}})
		wantStatus(t, r, http.StatusCreated)
		editor := r.str("id")
		wantStatus(t, do(t, ada, "POST", api+"/resources", map[string]any{"type": "project", "key": "P1"}), http.StatusCreated)
		devs := do(t, ada, "POST", api+"/groups", map[string]any{"name": "devs"}).str("id")
		foreign := do(t, e.staff, "POST", "/api/v1/tenants/globex/groups", map[string]any{"name": "devs"}).str("id")

		before := e.snapshot("acme")
		for _, c := range []struct {
			name   string
			as     *client
			extra  map[string]any
			status int
			code   string
			field  string
		}{
			{"unknown group", ada, map[string]any{"groups": []string{"nope"}}, 422, "unknown_group", "groups"},
			{"another tenant's group", ada, map[string]any{"groups": []string{foreign}}, 422, "unknown_group", "groups"},
			{"unknown role", ada, map[string]any{"roles": []string{"nope"}}, 422, "unknown_role", "roles"},
			{"unknown resource", ada, map[string]any{"grants": []map[string]any{{"resource": "project:P9", "role": "auditor"}}}, 422, "unknown_resource", "grants[0].resource"},
			{"an admin grants a right she lacks", ada, map[string]any{"grants": []map[string]any{{"resource": "project:P1", "role": editor}}}, 403, "escalation", "grants[0].role"},
		} {
			body := map[string]any{"username": "ghost", "email": "ghost@acme.test"}
			for k, v := range c.extra {
				body[k] = v
			}
			r := do(t, c.as, "POST", api+"/users", body)
			if c.field != "" {
				wantProblem(t, r, c.status, c.code, c.field)
			} else {
				wantProblem(t, r, c.status, c.code)
			}
			e.wantUnchanged("acme", before, r)
		}

		r = do(t, e.staff, "POST", api+"/users", map[string]any{"username": "nia", "email": "nia@acme.test",
			"groups": []string{devs}, "roles": []string{"auditor"},
			"grants": []map[string]any{{"resource": "collection:project", "role": editor, "access": "read_only"}}})
		wantStatus(t, r, http.StatusCreated)
		nia := r.str("id")
		r = do(t, ada, "GET", api+"/grants?subject="+nia, nil)
		wantStatus(t, r, http.StatusOK)
		got := map[string]string{}
		for _, g := range decode[pageJSON[map[string]any]](t, r).Items {
			got[g["resource"].(string)] = g["role"].(string) + "/" + g["access"].(string)
		}
		if len(got) != 2 || got["tenant:acme"] != "auditor/write" || got["collection:project"] != editor+"/read_only" {
			t.Fatalf("grants of nia %v", got)
		}
		r = do(t, ada, "GET", api+"/users/"+nia+"/groups", nil)
		wantStatus(t, r, http.StatusOK)
		if items := decode[pageJSON[map[string]any]](t, r).Items; len(items) != 1 || items[0]["id"] != devs {
			t.Fatalf("groups of nia %s", r.raw)
		}
	})
}

// TestChangeUserAccessOverHTTP: POST users/{id}/access changes groups and
// grants together; a refusal names its field and changes none of it.
func TestChangeUserAccessOverHTTP(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := mustEnv(t, db)
		e.mustTenant("acme", nil)
		e.mustTenant("globex", nil)
		ada, adaUser := e.mustMember("acme", "ada", "admin")
		api := "/api/v1/tenants/acme"
		devs := do(t, ada, "POST", api+"/groups", map[string]any{"name": "devs"}).str("id")
		ops := do(t, ada, "POST", api+"/groups", map[string]any{"name": "ops"}).str("id")
		r := do(t, ada, "POST", api+"/users", map[string]any{"username": "nia", "email": "nia@acme.test", "groups": []string{devs}, "roles": []string{"auditor"}})
		wantStatus(t, r, http.StatusCreated)
		nia := r.str("id")
		r = do(t, ada, "GET", api+"/grants?subject="+nia, nil)
		auditor := decode[pageJSON[map[string]any]](t, r).Items[0]["id"].(string)

		before := e.snapshot("acme")
		for _, c := range []struct {
			name   string
			user   string
			body   map[string]any
			status int
			code   string
		}{
			{"an unknown group to join", nia, map[string]any{"revoke": []string{auditor}, "join_groups": []string{"nope"}}, 422, "unknown_group"},
			{"another tenant's user", "", map[string]any{"join_groups": []string{ops}}, 404, "not_found"},
			{"her own access", adaUser.ID, map[string]any{"join_groups": []string{ops}}, 403, "self_edit_forbidden"},
		} {
			user := c.user
			path := api + "/users/" + user + "/access"
			if user == "" {
				other := e.mustCreateUser(e.staff, "globex", map[string]any{"username": "gus"})
				path = api + "/users/" + other.ID + "/access"
			}
			r := do(t, ada, "POST", path, c.body)
			wantProblem(t, r, c.status, c.code)
			e.wantUnchanged("acme", before, r)
		}
		wantProblem(t, do(t, ada, "POST", api+"/users/"+nia+"/access", map[string]any{"join_groups": []string{"nope"}}), 422, "unknown_group", "join_groups")

		r = do(t, ada, "POST", api+"/users/"+nia+"/access", map[string]any{"join_groups": []string{ops}, "leave_groups": []string{devs},
			"revoke": []string{auditor}, "grants": []map[string]any{{"resource": "collection:project", "role": "auditor", "access": "read_only"}}})
		wantStatus(t, r, http.StatusNoContent)
		r = do(t, ada, "GET", api+"/users/"+nia+"/groups", nil)
		if items := decode[pageJSON[map[string]any]](t, r).Items; len(items) != 1 || items[0]["id"] != ops {
			t.Fatalf("groups of nia %s", r.raw)
		}
		r = do(t, ada, "GET", api+"/grants?subject="+nia, nil)
		if items := decode[pageJSON[map[string]any]](t, r).Items; len(items) != 1 || items[0]["resource"] != "collection:project" || items[0]["access"] != "read_only" {
			t.Fatalf("grants of nia %s", r.raw)
		}
	})
}
