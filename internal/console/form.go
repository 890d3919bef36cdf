package console

import (
	"net/http"

	"roster/internal/admin"
	"roster/internal/rest"
)

// form is what a page shows in a form after a failed submission: the values
// typed and the error of each field, beside that field.
type form struct {
	Values map[string]string
	Errors map[string]string
	// Problem is an error that names no field of the form.
	Problem string
}

func newForm() *form { return &form{Values: map[string]string{}, Errors: map[string]string{}} }

// formFrom keeps the submitted values of names.
func formFrom(r *http.Request, names ...string) *form {
	f := newForm()
	for _, n := range names {
		f.Values[n] = r.PostFormValue(n)
	}
	return f
}

// Val is the value of the named field.
func (f *form) Val(name string) string {
	if f == nil {
		return ""
	}
	return f.Values[name]
}

// Err is the error shown beside the named field.
func (f *form) Err(name string) string {
	if f == nil {
		return ""
	}
	return f.Errors[name]
}

// Checked reports whether the named checkbox was ticked.
func (f *form) Checked(name string) bool { return f.Val(name) != "" }

// HasErrors reports whether anything is to be shown.
func (f *form) HasErrors() bool { return f != nil && (len(f.Errors) > 0 || f.Problem != "") }

// fail places err beside the field it names when the form has that field
// (fields maps the domain's field names to the form's), else above the
// form.
func (f *form) fail(b *base, err error, fields ...string) {
	e := admin.ErrorOf(err)
	msg := b.ErrorText(err)
	for _, name := range fields {
		if name == e.Field {
			f.Errors[name] = msg
			return
		}
	}
	f.Problem = msg
}

// statusOf is the HTTP status of a page that shows err: the API's, except
// that a malformed form is, for a person, just an invalid one.
func statusOf(err error) int {
	if k := admin.KindOf(err); k != admin.KindMalformed {
		return rest.StatusOf(k)
	}
	return http.StatusUnprocessableEntity
}

// field is one input as the field templates draw it.
type field struct {
	ID, Name, Label, Type, Value string
	Reason                       string // why the field is disabled
	Error                        string
	Disabled, Required, Wide     bool
}

// Describe lists the ids of the texts that describe the field.
func (f field) Describe() string {
	s := ""
	if f.Reason != "" {
		s = "why-" + f.ID
	}
	if f.Error != "" {
		if s != "" {
			s += " "
		}
		s += "err-" + f.ID
	}
	return s
}

// Field is a text input named name with the label key, its value and error
// taken from f.
func (b *base) Field(name, label, typ string, f *form) field {
	return field{ID: name, Name: name, Label: b.T(label), Type: typ, Value: f.Val(name), Error: f.Err(name)}
}

// Check is a checkbox named name with the label key, ticked as in f.
func (b *base) Check(name, label string, f *form) field {
	return field{ID: name, Name: name, Label: b.T(label), Type: "checkbox", Value: f.Val(name), Error: f.Err(name)}
}

// Disable shows fl disabled, with the reason key beside it.
func (b *base) Disable(fl field, reason string) field {
	fl.Disabled, fl.Reason = true, b.T(reason)
	return fl
}
