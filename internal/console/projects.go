package console

import (
	"encoding/hex"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"roster/internal/admin"
)

// The Project permissions page (R-P1, R-P2): a matrix of the users and
// groups granted on a page of projects × those projects, with the role and
// access of each grant in its cell. A cell's role is chosen from a list
// (none revokes), its access toggled between write and read-only; a group
// is added to a project as a team; each project shows the misconfigurations
// of its teams. Every rule — no escalation, one team per project, who may
// see what — is the service's; the page shows its refusals in place.

func (c *Console) registerProjects(mux *http.ServeMux) {
	mux.Handle("GET /t/{slug}/projects", c.serve(signedIn, c.projectsPage))
	mux.Handle("POST /t/{slug}/projects", c.serve(signedIn, c.createProject))
	mux.Handle("POST /t/{slug}/projects/grants", c.serve(signedIn, c.createProjectGrant))
	mux.Handle("POST /t/{slug}/projects/grants/{id}", c.serve(signedIn, c.changeProjectGrant))
}

// matrixColumns is how many projects one page of the matrix shows, and
// matrixRows how many users and groups: a page has up to 12 × 60 cells.
const (
	matrixColumns = 12
	matrixRows    = 60
)

// withFrom is this page showing rows from the offset from.
func (p *matrixPage) withFrom(from int) string {
	u, _ := url.Parse(p.Back)
	q := u.Query()
	q.Del("from")
	if from > 0 {
		q.Set("from", strconv.Itoa(from))
	}
	return projectsURL(p.Tenant.Slug, q)
}

// matrixPage is the Project permissions page.
type matrixPage struct {
	*base
	Projects []*matrixProject
	Rows     []*matrixRow
	Roles    []*admin.Role
	Groups   []*admin.Group // for "add group as team"
	Q        string         // the project filter
	Find     string         // the row picker's search
	Adds     []string       // rows added by the picker (?add=user:<id>), kept by every link
	Found    []matrixSubject
	Pager    pager
	Back     string // this page's address, where forms return
	Form     *form  // the create-project form
	Failed   *cellFailure
	Texts    matrixTexts
	// The rows shown (RowsFrom to RowsTo of RowsTotal), and the pages of
	// rows before and after.
	RowsFrom, RowsTo, RowsTotal int
	PrevRows, NextRows          string
	options                     map[string]template.HTML // a role select's options, by the role chosen
}

// Options are the options of a cell's role select with role chosen ("" for
// None), built once per role a page: every cell has the same list.
func (p *matrixPage) Options(role string) template.HTML {
	if o, ok := p.options[role]; ok {
		return o
	}
	var b strings.Builder
	b.WriteString(`<option value=""`)
	if role == "" {
		b.WriteString(` selected`)
	}
	b.WriteString(`>` + template.HTMLEscapeString(p.T("matrix.none")) + `</option>`)
	for _, r := range p.Roles {
		b.WriteString(`<option value="` + template.HTMLEscapeString(r.ID) + `"`)
		if r.ID == role {
			b.WriteString(` selected`)
		}
		b.WriteString(`>` + template.HTMLEscapeString(r.Name) + `</option>`)
	}
	if p.options == nil {
		p.options = map[string]template.HTML{}
	}
	p.options[role] = template.HTML(b.String())
	return p.options[role]
}

// matrixProject is a column: a project and its teams' problems.
type matrixProject struct {
	*admin.Resource
	Problems []problemLine
	// Editable: the viewer holds roster.grants.write on the project. A
	// column they may only read shows its roles as text, without forms.
	Editable bool
}

// problemLine is one misconfiguration as the page says it.
type problemLine struct {
	UserID string
	Text   string
}

// ProblemsText is the column's problems on one line each, for hover.
func (p *matrixProject) ProblemsText() string {
	lines := make([]string, len(p.Problems))
	for i, l := range p.Problems {
		lines[i] = l.Text
	}
	return strings.Join(lines, "\n")
}

// matrixSubject is a row's subject: a user or a group.
type matrixSubject struct {
	Type   admin.SubjectType
	ID     string
	Name   string
	Detail string // a user's full name, a group's member count
	Status admin.Status
}

// Key is "user:<id>" or "group:<id>", the row's handle in forms and URLs.
func (s matrixSubject) Key() string { return string(s.Type) + ":" + s.ID }

// matrixRow is a subject and its cells, one per project of the page.
type matrixRow struct {
	matrixSubject
	Cells []*matrixCell
	Added bool // put there by the picker: shown first, to be granted
}

// matrixCell is what a subject holds on one project.
type matrixCell struct {
	Project  string // the project's key
	Grants   []*admin.Grant
	Problem  string // this user's misconfiguration on the project, if any
	Error    string // a refusal of the change just tried here
	Editable bool   // the project's column is (matrixProject.Editable)
	// Worked out once here rather than in the template: a page has
	// rows × columns cells.
	ID, Label, AccessLabel string
	Hidden                 template.HTML // the hidden inputs of the cell's forms
}

// hiddenInput is one escaped hidden input.
func hiddenInput(name, value string) string {
	return `<input type="hidden" name="` + name + `" value="` + template.HTMLEscapeString(value) + `">`
}

// matrixTexts are the strings every cell repeats, looked up once a page.
type matrixTexts struct {
	Set, ReadOnly, ReadOnlyOn, ReadOnlyOff, ProblemMark string
}

// cellFailure is a refused change and where the page shows it: the cell of
// Subject × Project, or the column's team form when Subject is "team".
type cellFailure struct {
	Subject, Project, Message string
}

// TeamError is the refusal to show under the team form of project key.
func (p *matrixPage) TeamError(key string) string {
	if f := p.Failed; f != nil && f.Subject == "team" && f.Project == key {
		return f.Message
	}
	return ""
}

// AttrKey turns a project key (any characters but a slash) into a safe
// part of an element id.
func (p *matrixPage) AttrKey(key string) string { return hex.EncodeToString([]byte(key)) }

// ColSpan is the number of columns of the matrix.
func (p *matrixPage) ColSpan() int { return len(p.Projects) + 1 }

// RoleName is the name of a role, for a cell the viewer may only read.
func (p *matrixPage) RoleName(id string) string {
	for _, r := range p.Roles {
		if r.ID == id {
			return r.Name
		}
	}
	return id
}

// Rights is a role's permissions, for hover.
func (p *matrixPage) Rights(id string) string {
	for _, r := range p.Roles {
		if r.ID == id {
			return strings.Join(r.Permissions, "\n")
		}
	}
	return ""
}

func projectsURL(slug string, q url.Values) string {
	s := "/t/" + url.PathEscape(slug) + "/projects"
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

func (c *Console) projectsPage(w http.ResponseWriter, r *http.Request) error {
	return c.renderProjects(w, r, newForm(), nil, http.StatusOK)
}

// renderProjects draws the matrix for the page's query (q, cursor, find,
// add), with f in the create-project form and failed in its place.
func (c *Console) renderProjects(w http.ResponseWriter, r *http.Request, f *form, failed *cellFailure, status int) error {
	ctx, slug := r.Context(), r.PathValue("slug")
	t, err := c.svc.GetTenant(ctx, slug)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p := &matrixPage{Q: strings.TrimSpace(q.Get("q")), Find: strings.TrimSpace(q.Get("find")), Form: f, Failed: failed}
	b := c.base(r)
	b.Tenant, b.Nav = t, "projects"
	p.base = b
	p.Texts = matrixTexts{Set: b.T("matrix.set"), ReadOnly: b.T("matrix.read_only"), ReadOnlyOn: b.T("matrix.read_only_on"),
		ReadOnlyOff: b.T("matrix.read_only_off"), ProblemMark: b.T("matrix.problem_mark")}
	back := url.Values{}
	for _, k := range []string{"q", "cursor", "find", "from"} {
		if v := q.Get(k); v != "" {
			back.Set(k, v)
		}
	}
	for _, a := range q["add"] {
		back.Add("add", a)
	}
	p.Adds = q["add"]
	p.Back = projectsURL(slug, back)

	page, err := c.svc.ListResources(ctx, slug, admin.ResourceFilter{Type: admin.TypeProject, Q: p.Q, Cursor: q.Get("cursor"), Limit: matrixColumns})
	if err != nil {
		if admin.KindOf(err) != admin.KindInvalid {
			return err
		}
		b.Problem = b.ErrorText(err)
		page = &admin.ResourcePage{}
	}
	p.Pager = b.pager(r, page.NextCursor)
	if p.Roles, err = c.svc.ListRoles(ctx, slug); err != nil {
		return err
	}
	groups, err := c.svc.ListGroups(ctx, slug, admin.GroupFilter{Limit: 500})
	if err != nil {
		return err
	}
	p.Groups = groups.Items

	refs := make([]string, len(page.Items))
	for i, res := range page.Items {
		refs[i] = res.Ref()
		mp := &matrixProject{Resource: res}
		p.Projects = append(p.Projects, mp)
	}
	may, err := c.svc.ActorMay(ctx, slug, admin.PermGrantsWrite, refs)
	if err != nil {
		return err
	}
	for i, mp := range p.Projects {
		mp.Editable = may[i]
	}
	var grants []*admin.Grant
	for cursor := ""; len(refs) > 0; {
		gp, err := c.svc.ListGrants(ctx, slug, admin.GrantFilter{Resources: refs, Cursor: cursor, Limit: 500})
		if err != nil {
			return err
		}
		grants = append(grants, gp.Items...)
		if cursor = gp.NextCursor; cursor == "" {
			break
		}
	}

	// The rows: every subject granted on a project of the page, and those
	// the picker added (?add=user:<id>), which have no grant yet.
	type subj struct {
		typ admin.SubjectType
		id  string
	}
	var order []subj
	seen := map[subj]bool{}
	addSubj := func(s subj) {
		if !seen[s] {
			seen[s] = true
			order = append(order, s)
		}
	}
	for _, g := range grants {
		addSubj(subj{g.SubjectType, g.SubjectID})
	}
	// Users with a team problem get a row too, where their badge shows:
	// one granted only on a folder of the project is on no team.
	keys := make([]string, len(p.Projects))
	for i, mp := range p.Projects {
		keys[i] = mp.Key
	}
	misconfigs, err := c.svc.ProjectMisconfigurations(ctx, slug, keys)
	if err != nil {
		return err
	}
	for _, mp := range p.Projects {
		for _, m := range misconfigs[mp.Key] {
			addSubj(subj{admin.SubjectUser, m.UserID})
			for _, g := range m.GroupIDs {
				addSubj(subj{admin.SubjectGroup, g})
			}
		}
	}
	added := map[subj]bool{}
	for _, a := range q["add"] {
		typ, id, _ := strings.Cut(a, ":")
		if s := (subj{admin.SubjectType(typ), id}); (typ == string(admin.SubjectUser) || typ == string(admin.SubjectGroup)) && id != "" && len(order) < admin.MaxSubjects {
			added[s] = !seen[s]
			addSubj(s)
		}
	}
	var userIDs, groupIDs []string
	for _, s := range order {
		if s.typ == admin.SubjectUser {
			userIDs = append(userIDs, s.id)
		} else {
			groupIDs = append(groupIDs, s.id)
		}
	}
	users, groupsByID, err := c.subjects(r, slug, userIDs, groupIDs)
	if err != nil {
		return err
	}

	problems := map[string]map[string]string{} // project key → user id → text
	for _, mp := range p.Projects {
		problems[mp.Key] = map[string]string{}
		for _, m := range misconfigs[mp.Key] {
			text := problemText(b, m, groupsByID)
			mp.Problems = append(mp.Problems, problemLine{UserID: m.UserID, Text: text})
			problems[mp.Key][m.UserID] = text
		}
	}

	byCell := map[string][]*admin.Grant{}
	for _, g := range grants {
		k := string(g.SubjectType) + ":" + g.SubjectID + "@" + g.ResourceKey
		byCell[k] = append(byCell[k], g)
	}
	formHidden := hiddenInput("csrf", b.CSRF) + hiddenInput("back", p.Back)
	for _, s := range order {
		ms := matrixSubject{Type: s.typ, ID: s.id}
		if s.typ == admin.SubjectUser {
			u := users[s.id]
			if u == nil {
				continue // another tenant's id in ?add=, or gone
			}
			ms.Name, ms.Detail, ms.Status = u.Username, strings.TrimSpace(u.FirstName+" "+u.LastName), u.Status
		} else {
			g := groupsByID[s.id]
			if g == nil {
				continue
			}
			ms.Name, ms.Detail = g.Name, b.T("matrix.members", g.MemberCount)
		}
		p.Rows = append(p.Rows, &matrixRow{matrixSubject: ms, Added: added[s]})
	}
	// Rows just added first, then teams, then users, each by name.
	slices.SortStableFunc(p.Rows, func(a, b *matrixRow) int {
		if a.Added != b.Added {
			if a.Added {
				return -1
			}
			return 1
		}
		if a.Type != b.Type {
			if a.Type == admin.SubjectGroup {
				return -1
			}
			return 1
		}
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	// One page of rows (?from=), each with its cells.
	p.RowsTotal = len(p.Rows)
	from, _ := strconv.Atoi(q.Get("from"))
	if from < 0 || from >= p.RowsTotal {
		from = 0
	}
	p.Rows = p.Rows[from:min(from+matrixRows, p.RowsTotal)]
	p.RowsFrom, p.RowsTo = from+1, from+len(p.Rows)
	if from > 0 {
		p.PrevRows = p.withFrom(max(from-matrixRows, 0))
	}
	if p.RowsTo < p.RowsTotal {
		p.NextRows = p.withFrom(p.RowsTo)
	}
	for _, row := range p.Rows {
		ms := row.matrixSubject
		for _, mp := range p.Projects {
			cell := &matrixCell{Project: mp.Key, Grants: byCell[ms.Key()+"@"+mp.Key], Editable: mp.Editable,
				ID: "new-" + ms.ID + "-" + p.AttrKey(mp.Key), Label: b.T("matrix.role_of", ms.Name, mp.Key),
				AccessLabel: b.T("matrix.read_only_of", ms.Name, mp.Key),
				Hidden:      template.HTML(formHidden + hiddenInput("subject", ms.Key()) + hiddenInput("project", mp.Key))}
			if ms.Type == admin.SubjectUser {
				cell.Problem = problems[mp.Key][ms.ID]
			}
			if failed != nil && failed.Subject == ms.Key() && failed.Project == mp.Key {
				cell.Error = failed.Message
			}
			row.Cells = append(row.Cells, cell)
		}
	}

	// The row picker: users and groups whose name matches.
	if p.Find != "" {
		found, err := c.svc.SearchUsers(ctx, slug, admin.UserFilter{Q: p.Find, Limit: 10})
		if err != nil && admin.KindOf(err) != admin.KindInvalid {
			return err
		}
		if found != nil {
			for _, u := range found.Items {
				p.Found = append(p.Found, matrixSubject{Type: admin.SubjectUser, ID: u.ID, Name: u.Username, Detail: strings.TrimSpace(u.FirstName + " " + u.LastName)})
			}
		}
		gs, err := c.svc.ListGroups(ctx, slug, admin.GroupFilter{Q: p.Find, Limit: 10})
		if err != nil && admin.KindOf(err) != admin.KindInvalid {
			return err
		}
		if gs != nil {
			for _, g := range gs.Items {
				p.Found = append(p.Found, matrixSubject{Type: admin.SubjectGroup, ID: g.ID, Name: g.Name, Detail: b.T("matrix.members", g.MemberCount)})
			}
		}
	}
	c.render(w, r, status, "projects", p)
	return nil
}

// subjects resolves any number of subjects, admin.MaxSubjects at a time:
// the projects of one page may have more than that.
func (c *Console) subjects(r *http.Request, slug string, userIDs, groupIDs []string) (map[string]*admin.User, map[string]*admin.Group, error) {
	users, groups := map[string]*admin.User{}, map[string]*admin.Group{}
	for len(userIDs) > 0 || len(groupIDs) > 0 {
		nu := min(len(userIDs), admin.MaxSubjects)
		ng := min(len(groupIDs), admin.MaxSubjects-nu)
		us, gs, err := c.svc.Subjects(r.Context(), slug, userIDs[:nu], groupIDs[:ng])
		if err != nil {
			return nil, nil, err
		}
		maps.Copy(users, us)
		maps.Copy(groups, gs)
		userIDs, groupIDs = userIDs[nu:], groupIDs[ng:]
	}
	return users, groups, nil
}

// AddURL is this page with subject s added as a row.
func (p *matrixPage) AddURL(s matrixSubject) string {
	u, _ := url.Parse(p.Back)
	q := u.Query()
	q.Del("find")
	q.Add("add", s.Key())
	return projectsURL(p.Tenant.Slug, q)
}

// problemText says a misconfiguration in the page's language, naming the
// teams by their current names.
func problemText(b *base, m admin.Misconfiguration, groups map[string]*admin.Group) string {
	if m.Problem != "several_teams" {
		return b.T("matrix.problem_no_team", m.Username)
	}
	names := make([]string, 0, len(m.GroupIDs))
	for _, id := range m.GroupIDs {
		if g := groups[id]; g != nil {
			names = append(names, g.Name)
		} else {
			names = append(names, id)
		}
	}
	return b.T("matrix.problem_several_teams", m.Username, strings.Join(names, ", "))
}

// matrixBack is where a form of the matrix returns: its "back" field when
// it is this tenant's matrix page, else the matrix's first page.
func matrixBack(r *http.Request, slug string) string {
	back := localBack(r.PostFormValue("back"))
	if !strings.HasPrefix(back, projectsURL(slug, nil)) {
		return projectsURL(slug, nil)
	}
	return back
}

// withDone adds the confirmation key to a page address.
func withDone(to, key string) string {
	u, err := url.Parse(to)
	if err != nil {
		return to
	}
	q := u.Query()
	q.Set("done", key)
	u.RawQuery = q.Encode()
	return u.String()
}

// again re-renders the page the form came from, with the refusal shown in
// place; errors that are not the form's to show go to serve.
func (c *Console) againInMatrix(w http.ResponseWriter, r *http.Request, f *form, failed *cellFailure, err error) error {
	if k := admin.KindOf(err); k == admin.KindInternal || k == admin.KindUnauthenticated {
		return err
	}
	if failed != nil {
		failed.Message = c.base(r).ErrorText(err)
	}
	back, _ := url.Parse(matrixBack(r, r.PathValue("slug")))
	r.URL.RawQuery = back.RawQuery
	return c.renderProjects(w, r, f, failed, statusOf(err))
}

func (c *Console) createProject(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	f := formFrom(r, "key", "name")
	if _, err := c.svc.CreateResource(r.Context(), slug, admin.NewResource{Type: admin.TypeProject, Key: strings.TrimSpace(f.Val("key")), Name: f.Val("name")}); err != nil {
		f.fail(c.base(r), err, "key", "name")
		f.Values["open"] = "1"
		return c.againInMatrix(w, r, f, nil, err)
	}
	return redirect(withDone(matrixBack(r, slug), "project_created"))
}

// createProjectGrant gives a subject a role on a project: from an empty
// cell (subject = "user:<id>" or "group:<id>") or from a column's team
// form (group = <id>, a team).
func (c *Console) createProjectGrant(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	project := formValue(r, "project")
	in := admin.NewGrant{Role: formValue(r, "role"), Resource: admin.TypeProject + ":" + project, Access: admin.Access(formValue(r, "access"))}
	failed := &cellFailure{Project: project}
	if g := formValue(r, "group"); g != "" || r.PostFormValue("team") != "" {
		in.SubjectType, in.SubjectID, failed.Subject = admin.SubjectGroup, g, "team"
		if g == "" {
			return c.againInMatrix(w, r, newForm(), failed, admin.Invalid("subject.id", "required", "Choose a group."))
		}
	} else {
		typ, id, _ := strings.Cut(formValue(r, "subject"), ":")
		in.SubjectType, in.SubjectID, failed.Subject = admin.SubjectType(typ), id, typ+":"+id
	}
	if in.Role == "" {
		if failed.Subject == "team" {
			return c.againInMatrix(w, r, newForm(), failed, admin.Invalid("role", "required", "Choose a role."))
		}
		return redirect(matrixBack(r, slug)) // "none" on an empty cell changes nothing
	}
	if _, err := c.svc.CreateGrant(r.Context(), slug, in); err != nil {
		return c.againInMatrix(w, r, newForm(), failed, err)
	}
	key := "grant_created"
	if in.SubjectType == admin.SubjectGroup {
		key = "team_added"
	}
	return redirect(withDone(matrixBack(r, slug), key))
}

// changeProjectGrant changes a cell's grant: role "" (none) revokes it,
// another role or an access changes it in place.
func (c *Console) changeProjectGrant(w http.ResponseWriter, r *http.Request) error {
	slug, id := r.PathValue("slug"), r.PathValue("id")
	failed := &cellFailure{Subject: formValue(r, "subject"), Project: formValue(r, "project")}
	var err error
	key := "grant_updated"
	_, hasRole := r.PostForm["role"]
	switch role := formValue(r, "role"); {
	case hasRole && role == "":
		err, key = c.svc.DeleteGrant(r.Context(), slug, id), "grant_deleted"
	case hasRole:
		_, err = c.svc.UpdateGrant(r.Context(), slug, id, admin.GrantPatch{Role: &role})
	default:
		acc := admin.Access(formValue(r, "access"))
		_, err = c.svc.UpdateGrant(r.Context(), slug, id, admin.GrantPatch{Access: &acc})
	}
	if err != nil {
		return c.againInMatrix(w, r, newForm(), failed, err)
	}
	return redirect(withDone(matrixBack(r, slug), key))
}
