package server_test

import (
	"net/http"
	"slices"
	"testing"

	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

type roleJSON struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Locked      bool     `json:"locked"`
	Predefined  bool     `json:"predefined"`
	Permissions []string `json:"permissions"`
}

type checkJSON struct {
	Results []struct {
		Allowed bool `json:"allowed"`
		Reason  *struct {
			Rule     string   `json:"rule"`
			GrantID  string   `json:"grant_id"`
			RoleName string   `json:"role_name"`
			Resource string   `json:"resource"`
			GroupID  string   `json:"group_id"`
			Path     []string `json:"path"`
		} `json:"reason"`
		Denial string `json:"denial"`
	} `json:"results"`
}

// TestAuthorizationOverHTTP walks the §3 contract of roles, resources,
// grants and checks, with the problems it promises.
func TestAuthorizationOverHTTP(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e, ada := acmeAndGlobex(t, db)
		ann := e.mustCreateUser(ada, "acme", map[string]any{"username": "ann"})
		bob := e.mustCreateUser(ada, "acme", map[string]any{"username": "bob", "type": "read_only"})
		api := "/api/v1/tenants/acme"

		for _, p := range []map[string]any{{"name": "defects.read", "kind": "read"}, {"name": "defects.edit", "kind": "write", "description": "Edit defects"}} {
			wantStatus(t, do(t, e.staff, "POST", "/api/v1/permissions", p), http.StatusCreated)
		}
		wantProblem(t, do(t, ada, "POST", "/api/v1/permissions", map[string]any{"name": "x.read", "kind": "read"}), http.StatusForbidden, "staff_only")
		wantProblem(t, do(t, e.staff, "POST", "/api/v1/permissions", map[string]any{"name": "roster.x", "kind": "read"}), http.StatusUnprocessableEntity, "reserved", "name")
		wantProblem(t, do(t, e.staff, "POST", "/api/v1/permissions", map[string]any{"name": "defects.read", "kind": "write"}), http.StatusConflict, "permission_kind_fixed", "kind")
		r := do(t, ada, "GET", "/api/v1/permissions", nil)
		wantStatus(t, r, http.StatusOK)
		if n := len(decode[pageJSON[map[string]any]](t, r).Items); n != 12 {
			t.Fatalf("the catalogue has %d permissions, want 10 roster.* and 2 more", n)
		}

		// Roles: the staff makes the editor (ada holds no defects.* right: R-R4).
		wantProblem(t, do(t, ada, "POST", api+"/roles", map[string]any{"name": "Editor", "permissions": []string{"defects.edit"}}), http.StatusForbidden, "escalation")
		r = do(t, e.staff, "POST", api+"/roles", map[string]any{"name": "Editor", "permissions": []string{"defects.read", "defects.edit"}})
		wantStatus(t, r, http.StatusCreated)
		editor := decode[roleJSON](t, r)
		r = do(t, ada, "GET", api+"/roles", nil)
		wantStatus(t, r, http.StatusOK)
		roles := decode[pageJSON[roleJSON]](t, r).Items
		if len(roles) != 3 {
			t.Fatalf("roles %+v, want auditor, editor, tenant administrator", roles)
		}
		wantProblem(t, do(t, ada, "PATCH", api+"/roles/tenant-administrator", map[string]any{"name": "x"}), http.StatusConflict, "role_locked")
		r = do(t, ada, "POST", api+"/roles/auditor/copy", map[string]any{"name": "Auditor 2"})
		wantStatus(t, r, http.StatusCreated)
		if got := decode[roleJSON](t, r); got.Locked || got.Predefined || !slices.Equal(got.Permissions, []string{"roster.audit.read", "roster.users.read"}) {
			t.Fatalf("copy of auditor %+v", got)
		}

		// Resources.
		for _, res := range []map[string]any{
			{"type": "project", "key": "P1", "name": "Apollo"},
			{"type": "folder", "key": "F1", "parent": "project:P1"},
			{"type": "folder", "key": "F2", "parent": "folder:F1"},
		} {
			wantStatus(t, do(t, ada, "POST", api+"/resources", res), http.StatusCreated)
		}
		wantProblem(t, do(t, ada, "POST", api+"/resources", map[string]any{"type": "folder", "key": "F9"}), http.StatusUnprocessableEntity, "parent_required", "parent")
		wantProblem(t, do(t, ada, "POST", api+"/resources", map[string]any{"type": "project", "key": "P1"}), http.StatusConflict, "resource_exists", "key")
		r = do(t, ada, "GET", api+"/resources?parent=folder:F1", nil)
		wantStatus(t, r, http.StatusOK)
		if items := decode[pageJSON[map[string]any]](t, r).Items; len(items) != 1 || items[0]["ref"] != "folder:F2" || items[0]["parent"] != "folder:F1" {
			t.Fatalf("children of F1: %v", items)
		}

		// Grants: a team on P1 and a grant to all projects.
		r = do(t, ada, "POST", api+"/groups", map[string]any{"name": "devs"})
		devs := decode[groupJSON](t, r)
		wantStatus(t, do(t, ada, "POST", api+"/groups/"+devs.ID+"/members", map[string]any{"user_ids": []string{ann.ID, bob.ID}}), http.StatusOK)
		r = do(t, e.staff, "POST", api+"/grants", map[string]any{"subject": map[string]any{"type": "group", "id": devs.ID}, "role": editor.ID, "resource": "project:P1"})
		wantStatus(t, r, http.StatusCreated)
		team := r.str("id")
		if r.str("access") != "write" || r.str("resource") != "project:P1" {
			t.Fatalf("grant %v", r)
		}
		wantProblem(t, do(t, e.staff, "POST", api+"/grants", map[string]any{"subject": map[string]any{"type": "user", "id": ann.ID}, "role": editor.ID, "resource": "project:P9"}), http.StatusNotFound, "not_found")
		wantProblem(t, do(t, e.staff, "POST", api+"/grants", map[string]any{"subject": map[string]any{"type": "user", "id": ann.ID}, "role": "nope", "resource": "project:P1"}), http.StatusUnprocessableEntity, "unknown_role", "role")
		wantProblem(t, do(t, ada, "DELETE", api+"/groups/"+devs.ID, nil), http.StatusConflict, "group_in_use")
		wantProblem(t, do(t, ada, "DELETE", api+"/roles/"+editor.ID, nil), http.StatusConflict, "role_in_use", "replacement")

		// Checks.
		r = do(t, ada, "POST", api+"/check", map[string]any{"checks": []map[string]any{
			{"user": ann.ID, "permission": "defects.edit", "resource": "folder:F2"},
			{"user": bob.ID, "permission": "defects.edit", "resource": "folder:F2"},
			{"user": bob.ID, "permission": "defects.read", "resource": "folder:F2"},
			{"user": ann.ID, "permission": "defects.read", "resource": "tenant:acme"},
		}})
		wantStatus(t, r, http.StatusOK)
		res := decode[checkJSON](t, r).Results
		if len(res) != 4 || !res[0].Allowed || res[1].Allowed || res[1].Denial != "read_only_user" || !res[2].Allowed || res[3].Allowed {
			t.Fatalf("check results %s", r.raw)
		}
		if why := res[0].Reason; why.Rule != "grant" || why.GrantID != team || why.GroupID != devs.ID || why.RoleName != "Editor" ||
			!slices.Equal(why.Path, []string{"project:P1", "folder:F1", "folder:F2"}) {
			t.Fatalf("reason %+v", why)
		}
		r = do(t, ada, "GET", api+"/users/"+bob.ID+"/permissions?resource=folder:F1", nil)
		wantStatus(t, r, http.StatusOK)
		held := decode[struct {
			Permissions []struct {
				Name string `json:"name"`
			} `json:"permissions"`
		}](t, r).Permissions
		if len(held) != 1 || held[0].Name != "defects.read" {
			t.Fatalf("bob holds %s", r.raw)
		}
		r = do(t, ada, "GET", api+"/resources/folder/F2/who?permission=defects.edit", nil)
		wantStatus(t, r, http.StatusOK)
		if who := decode[pageJSON[struct {
			UserID   string `json:"user_id"`
			Username string `json:"username"`
		}]](t, r).Items; len(who) != 1 || who[0].Username != "ann" {
			t.Fatalf("who edits F2: %s", r.raw)
		}
		r = do(t, ada, "GET", api+"/resources/project/P1/misconfigurations", nil)
		wantStatus(t, r, http.StatusOK)

		// Another tenant's objects answer 404; grants listed by subject.
		wantProblem(t, do(t, ada, "POST", "/api/v1/tenants/globex/check", map[string]any{"checks": []map[string]any{{"user": ann.ID, "permission": "defects.read", "resource": "project:P1"}}}), http.StatusNotFound, "not_found")
		r = do(t, ada, "GET", api+"/grants?subject="+devs.ID, nil)
		wantStatus(t, r, http.StatusOK)
		if items := decode[pageJSON[map[string]any]](t, r).Items; len(items) != 1 {
			t.Fatalf("grants of devs: %s", r.raw)
		}
		// Deleting the project deletes its grants; the group can then go.
		wantStatus(t, do(t, ada, "DELETE", api+"/resources/project/P1", nil), http.StatusNoContent)
		wantStatus(t, do(t, ada, "DELETE", api+"/groups/"+devs.ID, nil), http.StatusNoContent)
		wantProblem(t, do(t, ada, "GET", api+"/resources/folder/F2", nil), http.StatusNotFound, "not_found")
	})
}
