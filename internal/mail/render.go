// Package mail renders Roster's e-mails (English and Japanese, plain text
// and HTML: R-E4) and sends them over SMTP; it implements admin.Mailer.
// Each template is one file per locale in templates/ with a "subject" and
// a "body"; the HTML part is the text part's paragraphs laid out by
// templates/page.html, with the link as a button.
package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"text/template"

	"roster/internal/admin"
)

//go:embed templates
var templateFiles embed.FS

// Locales are the languages every template exists in.
var Locales = []string{"en", "ja"}

// Rendered is an e-mail ready to send.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
}

// Renderer renders the embedded templates; it is safe for concurrent use.
type Renderer struct {
	text map[string]*template.Template // by "template.locale"
	page *htmltemplate.Template
}

// NewRenderer parses every template, failing when one is missing or broken.
func NewRenderer() (*Renderer, error) {
	r := &Renderer{text: map[string]*template.Template{}}
	var err error
	if r.page, err = htmltemplate.ParseFS(templateFiles, "templates/page.html"); err != nil {
		return nil, err
	}
	for _, name := range admin.MailTemplates {
		for _, loc := range Locales {
			key := string(name) + "." + loc
			t, err := template.New(key).Option("missingkey=zero").ParseFS(templateFiles,
				"templates/layout."+loc+".tmpl", "templates/"+key+".tmpl")
			if err != nil {
				return nil, err
			}
			for _, part := range []string{"subject", "body", "greeting", "signature", "button"} {
				if t.Lookup(part) == nil {
					return nil, fmt.Errorf("template %s has no %q", key, part)
				}
			}
			r.text[key] = t
		}
	}
	return r, nil
}

// view is what the templates see.
type view struct {
	D    map[string]string
	Link string
	Name string
}

// paragraph is one paragraph of the HTML part: text, or the link.
type paragraph struct{ Text, Link string }

// Render renders m in its locale (English when the locale is unknown).
func (r *Renderer) Render(m *admin.Mail) (*Rendered, error) {
	loc := m.Locale
	t := r.text[string(m.Template)+"."+loc]
	if t == nil {
		loc = "en"
		if t = r.text[string(m.Template)+".en"]; t == nil {
			return nil, fmt.Errorf("no template %q", m.Template)
		}
	}
	v := view{D: m.Data, Link: m.Link, Name: personName(m.Data, loc)}
	if v.D == nil {
		v.D = map[string]string{}
	}
	exec := func(name string) (string, error) {
		var b bytes.Buffer
		err := t.ExecuteTemplate(&b, name, v)
		return strings.TrimSpace(b.String()), err
	}
	parts := map[string]string{}
	for _, name := range []string{"subject", "greeting", "body", "signature", "button"} {
		s, err := exec(name)
		if err != nil {
			return nil, fmt.Errorf("rendering %s.%s %s: %w", m.Template, loc, name, err)
		}
		parts[name] = s
	}
	out := &Rendered{
		// A header never spans lines, whatever a name contains.
		Subject: strings.Join(strings.Fields(parts["subject"]), " "),
		Text:    parts["greeting"] + "\n\n" + parts["body"] + "\n\n" + parts["signature"] + "\n",
	}
	var paras []paragraph
	for _, p := range strings.Split(strings.TrimSpace(out.Text), "\n\n") {
		p = strings.TrimSpace(p)
		if m.Link != "" && p == m.Link {
			paras = append(paras, paragraph{Link: p})
		} else if p != "" {
			paras = append(paras, paragraph{Text: p})
		}
	}
	var b bytes.Buffer
	err := r.page.Execute(&b, struct {
		Locale, Subject, Button string
		Paragraphs              []paragraph
	}{loc, out.Subject, parts["button"], paras})
	if err != nil {
		return nil, err
	}
	out.HTML = b.String()
	return out, nil
}

// personName is how a mail addresses its reader: the first name in
// English, the family name (then the given name) in Japanese, else the
// username.
func personName(d map[string]string, loc string) string {
	first, last := d["first_name"], d["last_name"]
	switch {
	case loc == "ja" && last != "":
		return strings.TrimSpace(last + " " + first)
	case loc != "ja" && first != "":
		return first
	}
	return d["username"]
}
