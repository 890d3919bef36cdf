package console

import (
	"net/http"
	"net/url"

	"roster/internal/admin"
)

func (c *Console) registerGroups(mux *http.ServeMux) {
	mux.Handle("POST /t/{slug}/groups", c.serve(signedIn, c.createGroup))
	mux.Handle("POST /t/{slug}/groups/{id}/rename", c.serve(signedIn, c.renameGroup))
	mux.Handle("POST /t/{slug}/groups/{id}/delete", c.serve(signedIn, c.deleteGroup))
	mux.Handle("POST /t/{slug}/groups/{id}/members/{change}", c.serve(signedIn, c.changeMembers))
}

// groupsPanel is the Groups panel beside the users table (seed 002): the
// tenant's groups, the selected one with its members, and what the
// buttons between the panels act on.
type groupsPanel struct {
	Q           string // the panel's find box
	Groups      []*admin.Group
	More        bool // more groups than shown: narrow the find
	Selected    *admin.Group
	Members     []*admin.User
	MoreMembers bool
	// SelectURL opens a group while keeping the users' list as it is.
	state url.Values
	slug  string
}

// SelectURL is the Users page with group id selected.
func (p *groupsPanel) SelectURL(id string) string {
	st := url.Values{}
	for k, v := range p.state {
		st[k] = v
	}
	st.Del("cursor")
	st.Del("prev")
	return usersURL(p.slug, st, "group", id)
}

// groupsPanel loads the Groups panel of the Users page: the first 100
// groups (those matching the panel's find box) and the selected group's
// first 100 members.
func (c *Console) groupsPanel(r *http.Request, slug string, state url.Values) (*groupsPanel, error) {
	p := &groupsPanel{Q: state.Get("gq"), state: state, slug: slug}
	page, err := c.svc.ListGroups(r.Context(), slug, admin.GroupFilter{Q: p.Q, Limit: 100})
	if err != nil {
		if admin.KindOf(err) == admin.KindInvalid {
			return p, nil
		}
		return nil, err
	}
	p.Groups, p.More = page.Items, page.NextCursor != ""
	if id := state.Get("group"); id != "" {
		g, err := c.svc.GetGroup(r.Context(), slug, id)
		switch {
		case admin.KindOf(err) == admin.KindNotFound:
			return p, nil // deleted meanwhile: nothing selected
		case err != nil:
			return nil, err
		}
		p.Selected = g
		members, err := c.svc.ListMembers(r.Context(), slug, id, "", 100)
		if err != nil {
			return nil, err
		}
		p.Members, p.MoreMembers = members.Items, members.NextCursor != ""
	}
	return p, nil
}

// groupDone redirects to the Users page in the state of the form's
// "back" field, with group selected (or none) and the outcome.
func groupDone(r *http.Request, group string, err error, done string) error {
	slug := r.PathValue("slug")
	state := listState(r.PostFormValue("back"))
	if group == "" {
		state.Del("group")
	} else {
		state.Set("group", group)
	}
	if err != nil {
		if k := admin.KindOf(err); k == admin.KindInternal || k == admin.KindUnauthenticated {
			return err
		}
		return redirect(usersURL(slug, state, "failed", admin.CodeOf(err)))
	}
	return redirect(usersURL(slug, state, "done", done))
}

func (c *Console) createGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := c.svc.CreateGroup(r.Context(), r.PathValue("slug"), admin.NewGroup{Name: formValue(r, "name")})
	if err != nil {
		return groupDone(r, listState(r.PostFormValue("back")).Get("group"), err, "")
	}
	return groupDone(r, g.ID, nil, "group_created")
}

func (c *Console) renameGroup(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	_, err := c.svc.RenameGroup(r.Context(), r.PathValue("slug"), id, formValue(r, "name"))
	return groupDone(r, id, err, "group_renamed")
}

func (c *Console) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := c.svc.DeleteGroup(r.Context(), r.PathValue("slug"), id); err != nil {
		return groupDone(r, id, err, "")
	}
	return groupDone(r, "", nil, "group_deleted")
}

// changeMembers is the pair of buttons between the panels: the users
// ticked (in the table or among the members) join or leave the selected
// group, in one service call.
func (c *Console) changeMembers(w http.ResponseWriter, r *http.Request) error {
	slug, id := r.PathValue("slug"), r.PathValue("id")
	ids := unique(r.PostForm["user_id"])
	if len(ids) == 0 {
		return groupDone(r, id, admin.Invalid("user_ids", "nothing_selected", "Select users first."), "")
	}
	var err error
	done := ""
	switch r.PathValue("change") {
	case "add":
		_, err = c.svc.AddMembers(r.Context(), slug, id, ids)
		done = "members_added"
	case "remove":
		_, err = c.svc.RemoveMembers(r.Context(), slug, id, ids)
		done = "members_removed"
	default:
		return admin.NotFound("Action")
	}
	return groupDone(r, id, err, done)
}

// unique keeps the first of each id, in order.
func unique(ids []string) []string {
	seen := map[string]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
