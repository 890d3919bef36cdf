package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net/http"
	"time"

	"golang.org/x/text/language"

	"roster/internal/admin"
	"roster/internal/rest"
)

// base is what every page knows: who is signed in, in which language,
// the CSRF token for its forms, and the tenant it is about.
type base struct {
	Lang     string
	cat      catalogue
	Me       *admin.User
	MyTenant *admin.Tenant // the signed-in user's tenant (the platform for staff)
	Tenant   *admin.Tenant // the tenant the page is about, if any
	CSRF     string
	Here     string // the request URI, where the language switcher returns
	Nav      string // the active navigation item
	Flash    string // a confirmation of what was just done
	Problem  string // an error of what was just tried
}

// base gathers the page's common data for r.
func (c *Console) base(r *http.Request) *base {
	b := &base{Here: r.URL.RequestURI(), CSRF: csrfToken(r)}
	if admin.ActorFrom(r.Context()) != nil {
		if u, t, err := c.svc.Me(r.Context()); err == nil {
			b.Me, b.MyTenant = u, t
		}
	}
	b.Lang = c.language(r, b.Me)
	b.cat = c.cats[b.Lang]
	if k := r.URL.Query().Get("done"); k != "" && b.cat.has("done."+k) {
		b.Flash = b.T("done." + k)
	}
	if k := r.URL.Query().Get("failed"); k != "" {
		b.Problem = b.codeText(k, "")
	}
	return b
}

// Staff reports whether the signed-in person is platform staff.
func (b *base) Staff() bool { return b.Me != nil && b.Me.TenantID == admin.PlatformTenantID }

// T is the message key in the page's language, formatted with args.
func (b *base) T(key string, args ...any) string { return b.cat.text(key, args...) }

// ErrorText is the message for a domain error in the page's language: the
// catalogue's text for its code when there is one, else the domain's own
// safe message.
func (b *base) ErrorText(err error) string {
	e := admin.ErrorOf(err)
	return b.codeText(e.Code, e.Message)
}

func (b *base) codeText(code, fallback string) string {
	if b.cat.has("error." + code) {
		return b.T("error." + code)
	}
	if fallback == "" {
		return b.T("error.generic")
	}
	return fallback
}

// Time renders a time.Time or *time.Time as a <time> element in the page's language, in UTC; the
// console's script shows it in the browser's time zone.
func (b *base) Time(v any) template.HTML {
	var u time.Time
	switch t := v.(type) {
	case time.Time:
		u = t
	case *time.Time:
		if t != nil {
			u = *t
		}
	}
	if u.IsZero() {
		return ""
	}
	u = u.UTC()
	layout := "Jan 2, 2006, 15:04 UTC"
	if b.Lang == "ja" {
		layout = "2006年1月2日 15:04 UTC"
	}
	return template.HTML(`<time datetime="` + u.Format(time.RFC3339) + `">` + template.HTMLEscapeString(u.Format(layout)) + `</time>`)
}

// supported are the console's languages, the first the default.
var supported = []language.Tag{language.English, language.Japanese}

var matcher = language.NewMatcher(supported)

// langCookie remembers the choice of the language switcher before sign-in.
const langCookie = "roster_lang"

// language chooses the page's language: the user's locale, else the
// switcher's choice, else the browser's Accept-Language, else English.
func (c *Console) language(r *http.Request, me *admin.User) string {
	if me != nil && c.cats[me.Locale] != nil {
		return me.Locale
	}
	if ck, err := r.Cookie(langCookie); err == nil && c.cats[ck.Value] != nil {
		return ck.Value
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return "en"
	}
	return []string{"en", "ja"}[i]
}

// setLocale is the language switcher: it changes the signed-in user's
// locale (through the same service call as PATCH /api/v1/me) and
// remembers the choice in a cookie for pages before sign-in.
func (c *Console) setLocale(w http.ResponseWriter, r *http.Request) error {
	lang := r.PostFormValue("lang")
	if c.cats[lang] == nil {
		lang = "en"
	}
	if a := admin.ActorFrom(r.Context()); a != nil && !a.Restricted {
		if _, err := c.svc.UpdateMe(r.Context(), admin.MyPatch{Locale: &lang}); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
	return redirect(localBack(r.PostFormValue("back")))
}

// csrfCookie carries the random seed of the CSRF token before sign-in.
const csrfCookie = "roster_csrf"

// csrfToken is the token every form of the page carries. It is derived
// from the session cookie (or, before sign-in, from a random cookie),
// which a page on another site can neither read nor set, so a forged form
// cannot carry it. The cookie itself is HttpOnly: scripts never see it.
func csrfToken(r *http.Request) string {
	seed := csrfSeed(r)
	if seed == "" {
		return ""
	}
	h := sha256.Sum256([]byte("roster console csrf\x00" + seed))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func csrfSeed(r *http.Request) string {
	if ck, err := r.Cookie(rest.SessionCookie); err == nil && ck.Value != "" {
		return ck.Value
	}
	if ck, err := r.Cookie(csrfCookie); err == nil && len(ck.Value) >= 32 {
		return ck.Value
	}
	return ""
}

// csrfValid compares the form's token with the request's in constant time.
func (c *Console) csrfValid(r *http.Request) bool {
	want := csrfToken(r)
	got := r.PostFormValue("csrf")
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// ensureCSRFCookie gives an anonymous browser the random seed of its CSRF
// token, so that the sign-in form can carry one.
func (c *Console) ensureCSRFCookie(w http.ResponseWriter, r *http.Request) {
	if csrfSeed(r) != "" {
		return
	}
	b := make([]byte, 32)
	rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteStrictMode})
	r.AddCookie(&http.Cookie{Name: csrfCookie, Value: v})
}
