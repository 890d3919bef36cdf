package console

import (
	"encoding/base64"
	"html/template"
	"net/http"

	"roster/internal/admin"
	"roster/internal/qr"
)

// Two-factor enrolment (R-A7): the page a restricted session is sent to
// when the tenant requires 2FA, and the one My account links to.

func (c *Console) registerMFA(mux *http.ServeMux) {
	mux.Handle("GET /account/mfa", c.serve(restricted, c.mfaPage))
	mux.Handle("POST /account/mfa/start", c.serve(restricted, c.startMFA))
	mux.Handle("POST /account/mfa/confirm", c.serve(restricted, c.confirmMFA))
}

func init() { restrictionPages[admin.RestrictionMFAEnrollment] = "/account/mfa" }

type mfaPage struct {
	*base
	Form          *form
	Enrolled      bool
	Required      bool // the tenant requires it and it is not done yet
	Left          int  // recovery codes left
	Secret        string
	QR            template.URL // the QR code as a data: URL of a PNG
	RecoveryCodes []string     // shown once, just after confirmation
}

func (c *Console) mfaPage(w http.ResponseWriter, r *http.Request) error {
	return c.renderMFA(w, r, newForm(), http.StatusOK, nil)
}

// renderMFA shows the state of the person's second factor: enrolled, an
// enrolment under way (QR code and secret), or nothing yet.
func (c *Console) renderMFA(w http.ResponseWriter, r *http.Request, f *form, status int, e *admin.TOTPEnrolment) error {
	if a := admin.ActorFrom(r.Context()); a.Restriction == admin.RestrictionPasswordChange {
		return redirect("/password")
	}
	b := c.base(r)
	b.Nav = "account"
	p := &mfaPage{base: b, Form: f, Enrolled: b.Me.MFAEnrolled, Required: b.MyTenant != nil && admin.MFAEnrollmentDue(b.MyTenant, b.Me)}
	if p.Enrolled {
		n, err := c.svc.RecoveryCodesLeft(r.Context())
		if err != nil {
			return err
		}
		p.Left = n
	} else {
		if e == nil {
			var err error
			if e, err = c.svc.PendingTOTP(r.Context()); err != nil && admin.KindOf(err) != admin.KindNotFound {
				return err
			}
		}
		if e != nil {
			png, err := qr.PNG(e.URL, 240)
			if err != nil {
				return err
			}
			p.Secret, p.QR = e.Secret, template.URL(dataURL("image/png", png))
		}
	}
	c.render(w, r, status, "mfa", p)
	return nil
}

func (c *Console) startMFA(w http.ResponseWriter, r *http.Request) error {
	e, err := c.svc.StartTOTP(r.Context())
	if err != nil {
		if k := admin.KindOf(err); k == admin.KindInternal {
			return err
		}
		f := newForm()
		f.fail(c.base(r), err)
		return c.renderMFA(w, r, f, statusOf(err), nil)
	}
	return c.renderMFA(w, r, newForm(), http.StatusOK, e)
}

// confirmMFA checks the first code and shows the recovery codes, once.
func (c *Console) confirmMFA(w http.ResponseWriter, r *http.Request) error {
	codes, err := c.svc.ConfirmTOTP(r.Context(), r.PostFormValue("code"))
	if err != nil {
		if k := admin.KindOf(err); k == admin.KindInternal {
			return err
		}
		f := newForm()
		f.fail(c.base(r), err, "code")
		return c.renderMFA(w, r, f, statusOf(err), nil)
	}
	b := c.base(r)
	b.Nav = "account"
	c.render(w, r, http.StatusOK, "mfa", &mfaPage{base: b, Form: newForm(), Enrolled: true, Left: len(codes), RecoveryCodes: codes})
	return nil
}

// dataURL is a data: URL of content in base64.
func dataURL(mime string, content []byte) string {
	return "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(content)
}
