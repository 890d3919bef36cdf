package console

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"roster/internal/admin"
)

// The Folder permissions page (R-P3): a project's folder tree, nested to
// any depth, and for the chosen node its own grants and those it inherits
// from its ancestors. A folder inherits every grant above it and can only
// extend them, so inherited grants are shown with where they come from and
// are changed there, never here; grants added here add to them. Folders
// are created, moved and deleted from the same page.

func (c *Console) registerFolders(mux *http.ServeMux) {
	mux.Handle("GET /t/{slug}/folders", c.serve(signedIn, c.foldersPage))
	mux.Handle("POST /t/{slug}/folders", c.serve(signedIn, c.createFolder))
	mux.Handle("POST /t/{slug}/folders/move", c.serve(signedIn, c.moveFolder))
	mux.Handle("POST /t/{slug}/folders/delete", c.serve(signedIn, c.deleteFolder))
	mux.Handle("POST /t/{slug}/folders/grants", c.serve(signedIn, c.createFolderGrant))
	mux.Handle("POST /t/{slug}/folders/grants/{id}/delete", c.serve(signedIn, c.deleteFolderGrant))
}

// treeProjects is how many projects the tree lists at once.
const treeProjects = 50

// foldersPage is the Folder permissions page.
type foldersPage struct {
	*base
	Projects  []*admin.Resource
	Q         string
	Pager     pager
	Project   *admin.Resource // the project whose tree is open
	Tree      *treeNode       // its tree
	Node      *treeNode       // the chosen node (the project or one of its folders)
	Path      []*treeNode     // from the project down to Node
	Own       []grantLine
	Inherited []grantLine
	Roles     []*admin.Role
	Parents   []*treeNode // where Node may move
	// One form each, with the domain's field names.
	FolderForm, MoveForm, GrantForm *form
	Problem                         string // a refusal that names no form (a removal)
}

// treeNode is a project or folder in the tree.
type treeNode struct {
	*admin.Resource
	Children []*treeNode
	Depth    int
	Open     bool // on the path to the chosen node
	Selected bool
}

// grantLine is a grant as the page shows it.
type grantLine struct {
	*admin.Grant
	Subject  string // a username or group name
	Group    bool
	RoleName string
	Rights   string
	From     string // for an inherited grant: where it sits, as a person reads it
	FromURL  string // and the page of that node, when it is in this tree
}

// treeArgs is what the recursive "tree-node" template gets: the page and
// the node to draw.
type treeArgs struct {
	Page *foldersPage
	Node *treeNode
}

func nodeArgs(p *foldersPage, n *treeNode) treeArgs { return treeArgs{p, n} }

// indent shows a node's depth in a list of options.
func indent(depth int) string { return strings.Repeat("\u00a0\u00a0", depth) }

// FieldIn is a text input with an id of its own (id) and the domain's name.
func (p *foldersPage) FieldIn(id, name, label string, f *form) field {
	fl := p.Field(name, label, "text", f)
	fl.ID = id
	return fl
}

func foldersURL(slug string, q url.Values) string {
	s := "/t/" + url.PathEscape(slug) + "/folders"
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

// NodeURL is the page of node n.
func (p *foldersPage) NodeURL(n *treeNode) string {
	return foldersURL(p.Tenant.Slug, url.Values{"node": {n.Ref()}})
}

func (c *Console) foldersPage(w http.ResponseWriter, r *http.Request) error {
	return c.renderFolders(w, r, r.URL.Query().Get("node"), nil, http.StatusOK)
}

// renderFolders draws the page with node chosen ("project:K" or
// "folder:K"; empty: the first project) and the forms of p (nil: empty).
func (c *Console) renderFolders(w http.ResponseWriter, r *http.Request, node string, p *foldersPage, status int) error {
	ctx, slug := r.Context(), r.PathValue("slug")
	t, err := c.svc.GetTenant(ctx, slug)
	if err != nil {
		return err
	}
	if p == nil {
		p = &foldersPage{}
	}
	for _, f := range []**form{&p.FolderForm, &p.MoveForm, &p.GrantForm} {
		if *f == nil {
			*f = newForm()
		}
	}
	b := c.base(r)
	b.Tenant, b.Nav = t, "folders"
	p.base = b
	if p.Problem != "" {
		b.Problem = p.Problem
	}
	q := r.URL.Query()
	p.Q = strings.TrimSpace(q.Get("q"))
	page, err := c.svc.ListResources(ctx, slug, admin.ResourceFilter{Type: admin.TypeProject, Q: p.Q, Cursor: q.Get("cursor"), Limit: treeProjects})
	if err != nil {
		if admin.KindOf(err) != admin.KindInvalid {
			return err
		}
		b.Problem, page = b.ErrorText(err), &admin.ResourcePage{}
	}
	p.Projects = page.Items
	p.Pager = b.pager(r, page.NextCursor)
	if p.Roles, err = c.svc.ListRoles(ctx, slug); err != nil {
		return err
	}

	// The chosen node and its project.
	var chosen *admin.Resource
	switch {
	case node != "":
		typ, key, _ := strings.Cut(node, ":")
		if typ != admin.TypeProject && typ != admin.TypeFolder {
			return admin.NotFound("Folder")
		}
		if chosen, err = c.svc.GetResource(ctx, slug, typ, key); err != nil {
			return err
		}
	case len(p.Projects) > 0:
		chosen = p.Projects[0]
	default:
		c.render(w, r, status, "folders", p)
		return nil
	}
	if p.Project, err = c.projectOf(r, slug, chosen); err != nil {
		return err
	}
	nodes, err := c.svc.ResourceTree(ctx, slug, admin.TypeProject, p.Project.Key)
	if err != nil {
		return err
	}
	p.Tree = buildTree(p.Project, nodes)
	p.Node, p.Path = p.Tree.find(chosen.Ref(), nil)
	if p.Node == nil {
		return admin.NotFound("Folder")
	}
	for _, n := range p.Path {
		n.Open = true
	}
	p.Node.Selected = true
	if p.Node.Type == admin.TypeFolder {
		p.Tree.walk(func(n *treeNode) bool {
			if n == p.Node {
				return false // not into itself or its subtree
			}
			if n.Ref() != p.Node.ParentRef() {
				p.Parents = append(p.Parents, n)
			}
			return true
		})
		for _, other := range p.Projects { // or into another project
			if other.Ref() != p.Project.Ref() {
				p.Parents = append(p.Parents, &treeNode{Resource: other})
			}
		}
	}

	// Its grants and those it inherits.
	own, err := c.svc.ListGrants(ctx, slug, admin.GrantFilter{Resource: p.Node.Ref(), Limit: 500})
	if err != nil {
		return err
	}
	inherited, err := c.svc.InheritedGrants(ctx, slug, p.Node.Ref())
	if err != nil {
		return err
	}
	names, err := c.subjectNames(r, slug, append(slices.Clone(own.Items), inherited...))
	if err != nil {
		return err
	}
	roles := map[string]*admin.Role{}
	for _, ro := range p.Roles {
		roles[ro.ID] = ro
	}
	line := func(g *admin.Grant) grantLine {
		l := grantLine{Grant: g, Subject: names[g.SubjectID], Group: g.SubjectType == admin.SubjectGroup, RoleName: g.RoleID}
		if ro := roles[g.RoleID]; ro != nil {
			l.RoleName, l.Rights = ro.Name, strings.Join(ro.Permissions, "\n")
		}
		return l
	}
	for _, g := range own.Items {
		p.Own = append(p.Own, line(g))
	}
	for _, g := range inherited {
		l := line(g)
		switch typ, key, _ := strings.Cut(g.Resource, ":"); typ {
		case admin.TypeTenant:
			l.From = b.T("folders.from_tenant")
		case admin.TypeCollection:
			l.From = b.T("folders.from_collection", key)
		default:
			l.From = g.Resource
			if n, _ := p.Tree.find(g.Resource, nil); n != nil {
				l.From, l.FromURL = n.Name, p.NodeURL(n)
			}
		}
		p.Inherited = append(p.Inherited, l)
	}
	c.render(w, r, status, "folders", p)
	return nil
}

// projectOf walks up from a node to its project.
func (c *Console) projectOf(r *http.Request, slug string, n *admin.Resource) (*admin.Resource, error) {
	for i := 0; n.Type != admin.TypeProject; i++ {
		typ, key, _ := strings.Cut(n.ParentRef(), ":")
		if typ != admin.TypeProject && typ != admin.TypeFolder || i > 1000 {
			return nil, admin.NotFound("Folder")
		}
		var err error
		if n, err = c.svc.GetResource(r.Context(), slug, typ, key); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// subjectNames maps the subjects of grants to a username or group name.
func (c *Console) subjectNames(r *http.Request, slug string, gs []*admin.Grant) (map[string]string, error) {
	var users, groups []string
	for _, g := range gs {
		if g.SubjectType == admin.SubjectUser {
			users = append(users, g.SubjectID)
		} else {
			groups = append(groups, g.SubjectID)
		}
	}
	us, grs, err := c.subjects(r, slug, users, groups)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for id, u := range us {
		out[id] = u.Username
	}
	for id, g := range grs {
		out[id] = g.Name
	}
	return out, nil
}

// buildTree nests a project's subtree under it, children by name.
func buildTree(project *admin.Resource, nodes []*admin.Resource) *treeNode {
	root := &treeNode{Resource: project}
	byRef := map[string]*treeNode{project.Ref(): root}
	for _, n := range nodes {
		if n.Ref() != project.Ref() {
			byRef[n.Ref()] = &treeNode{Resource: n}
		}
	}
	for _, n := range nodes {
		if parent := byRef[n.ParentRef()]; parent != nil && n.Ref() != project.Ref() {
			parent.Children = append(parent.Children, byRef[n.Ref()])
		}
	}
	root.walk(func(n *treeNode) bool {
		slices.SortFunc(n.Children, func(a, b *treeNode) int {
			return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		})
		for _, c := range n.Children {
			c.Depth = n.Depth + 1
		}
		return true
	})
	return root
}

// walk visits n and, while visit says so, its subtrees, depth first.
func (n *treeNode) walk(visit func(*treeNode) bool) {
	if !visit(n) {
		return
	}
	for _, c := range n.Children {
		c.walk(visit)
	}
}

// find returns the node of ref and the path from n down to it.
func (n *treeNode) find(ref string, path []*treeNode) (*treeNode, []*treeNode) {
	path = append(path, n)
	if n.Ref() == ref {
		return n, path
	}
	for _, c := range n.Children {
		if f, p := c.find(ref, path); f != nil {
			return f, p
		}
	}
	return nil, nil
}

// nodeOf is the node a form names: "project:K" or "folder:K".
func nodeOf(r *http.Request) string {
	n := formValue(r, "node")
	if typ, _, _ := strings.Cut(n, ":"); typ != admin.TypeProject && typ != admin.TypeFolder {
		return ""
	}
	return n
}

// folderFailed re-renders the page of node with err shown by the form it
// belongs to; errors that are not a form's go to serve.
func (c *Console) folderFailed(w http.ResponseWriter, r *http.Request, node string, p *foldersPage, f *form, err error, fields ...string) error {
	if k := admin.KindOf(err); k == admin.KindInternal || k == admin.KindUnauthenticated {
		return err
	}
	if f != nil {
		f.fail(c.base(r), err, fields...)
	} else {
		p.Problem = c.base(r).ErrorText(err)
	}
	return c.renderFolders(w, r, node, p, statusOf(err))
}

func (c *Console) createFolder(w http.ResponseWriter, r *http.Request) error {
	slug, node := r.PathValue("slug"), nodeOf(r)
	f := formFrom(r, "key", "name")
	res, err := c.svc.CreateResource(r.Context(), slug, admin.NewResource{Type: admin.TypeFolder, Key: strings.TrimSpace(f.Val("key")), Name: f.Val("name"), Parent: node})
	if err != nil {
		return c.folderFailed(w, r, node, &foldersPage{FolderForm: f}, f, err, "key", "name", "parent")
	}
	return redirect(foldersURL(slug, url.Values{"node": {res.Ref()}, "done": {"folder_created"}}))
}

func (c *Console) moveFolder(w http.ResponseWriter, r *http.Request) error {
	slug, node := r.PathValue("slug"), nodeOf(r)
	f := formFrom(r, "parent")
	typ, key, _ := strings.Cut(node, ":")
	if typ != admin.TypeFolder {
		return admin.NotFound("Folder")
	}
	parent := f.Val("parent")
	if parent == "" {
		return c.folderFailed(w, r, node, &foldersPage{MoveForm: f}, f, admin.Invalid("parent", "required", "Choose where the folder goes."), "parent")
	}
	if _, err := c.svc.UpdateResource(r.Context(), slug, typ, key, admin.ResourcePatch{Parent: &parent}); err != nil {
		return c.folderFailed(w, r, node, &foldersPage{MoveForm: f}, f, err, "parent")
	}
	return redirect(foldersURL(slug, url.Values{"node": {node}, "done": {"folder_moved"}}))
}

func (c *Console) deleteFolder(w http.ResponseWriter, r *http.Request) error {
	slug, node := r.PathValue("slug"), nodeOf(r)
	typ, key, _ := strings.Cut(node, ":")
	if typ != admin.TypeFolder {
		return admin.NotFound("Folder")
	}
	res, err := c.svc.GetResource(r.Context(), slug, typ, key)
	if err != nil {
		return err
	}
	if err := c.svc.DeleteResource(r.Context(), slug, typ, key); err != nil {
		return c.folderFailed(w, r, node, &foldersPage{}, nil, err)
	}
	return redirect(foldersURL(slug, url.Values{"node": {res.ParentRef()}, "done": {"folder_deleted"}}))
}

// createFolderGrant adds a grant on the chosen node. The subject is named
// as people know it: a username, or a group's name.
func (c *Console) createFolderGrant(w http.ResponseWriter, r *http.Request) error {
	slug, node := r.PathValue("slug"), nodeOf(r)
	f := formFrom(r, "subject_type", "subject", "role", "access")
	fail := func(err error) error {
		return c.folderFailed(w, r, node, &foldersPage{GrantForm: f}, f, err, "subject", "role", "access")
	}
	if node == "" {
		return admin.NotFound("Folder")
	}
	id, err := c.findSubject(r, slug, admin.SubjectType(f.Val("subject_type")), strings.TrimSpace(f.Val("subject")))
	if err != nil {
		return fail(err)
	}
	in := admin.NewGrant{SubjectType: admin.SubjectType(f.Val("subject_type")), SubjectID: id, Role: f.Val("role"), Resource: node, Access: admin.Access(f.Val("access"))}
	if _, err := c.svc.CreateGrant(r.Context(), slug, in); err != nil {
		if e := admin.ErrorOf(err); e.Field == "subject.id" || e.Field == "subject.type" {
			e2 := *e
			e2.Field = "subject"
			err = &e2
		}
		return fail(err)
	}
	return redirect(foldersURL(slug, url.Values{"node": {node}, "done": {"grant_created"}}))
}

// findSubject finds the user with this username or the group with this
// name (any case) in the tenant.
func (c *Console) findSubject(r *http.Request, slug string, typ admin.SubjectType, name string) (string, error) {
	unknown := admin.Invalid("subject", "unknown_subject", "There is no such %s in this tenant.", typ)
	switch {
	case name == "":
		return "", admin.Invalid("subject", "required", "Name a user or a group.")
	case typ == admin.SubjectUser:
		page, err := c.svc.SearchUsers(r.Context(), slug, admin.UserFilter{Q: name, Limit: 50})
		if err != nil {
			return "", err
		}
		for _, u := range page.Items {
			if strings.EqualFold(u.Username, name) {
				return u.ID, nil
			}
		}
		return "", unknown
	case typ == admin.SubjectGroup:
		page, err := c.svc.ListGroups(r.Context(), slug, admin.GroupFilter{Q: name, Limit: 50})
		if err != nil {
			return "", err
		}
		for _, g := range page.Items {
			if strings.EqualFold(g.Name, name) {
				return g.ID, nil
			}
		}
		return "", unknown
	}
	return "", admin.Invalid("subject", "invalid_subject", "Choose a user or a group.")
}

func (c *Console) deleteFolderGrant(w http.ResponseWriter, r *http.Request) error {
	slug, node := r.PathValue("slug"), nodeOf(r)
	if err := c.svc.DeleteGrant(r.Context(), slug, r.PathValue("id")); err != nil {
		if admin.KindOf(err) == admin.KindNotFound {
			return err
		}
		return c.folderFailed(w, r, node, &foldersPage{}, nil, err)
	}
	return redirect(foldersURL(slug, url.Values{"node": {node}, "done": {"grant_deleted"}}))
}
