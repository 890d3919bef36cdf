package rest

import (
	"context"
	"encoding/base64"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"roster/internal/qr"
)

type temporaryPasswordInput struct {
	Slug string `path:"slug"`
	ID   string `path:"id"`
	Body struct {
		Password string `json:"password,omitempty" maxLength:"1024" doc:"The temporary password; absent or empty: one is generated"`
	}
}

type temporaryPasswordOutput struct {
	Password string `json:"password" doc:"The temporary password, shown this once; the user must change it at their next sign-in"`
}

type totpEnrolmentOutput struct {
	Secret     string `json:"secret" doc:"The TOTP secret (base32), for typing into an app by hand"`
	OTPAuthURL string `json:"otpauth_url" doc:"The otpauth:// URL that the QR code carries"`
	QRPNG      string `json:"qr_png" doc:"The QR code as a data: URL of a PNG image"`
	QRSVG      string `json:"qr_svg" doc:"The QR code as an SVG document"`
}

type totpConfirmInput struct {
	Body struct {
		Code string `json:"code" maxLength:"64" doc:"The current code from the authenticator app"`
	}
}

type recoveryCodesOutput struct {
	RecoveryCodes []string `json:"recovery_codes" doc:"Ten one-time recovery codes, shown this once"`
}

type mfaStatusOutput struct {
	Enrolled           bool `json:"enrolled"`
	EnrollmentRequired bool `json:"enrollment_required"`
	RecoveryCodesLeft  int  `json:"recovery_codes_left"`
}

func (a *API) registerCredentials(api huma.API) {
	users := "/api/v1/tenants/{slug}/users/{id}"
	huma.Register(api, op("set-temporary-password", http.MethodPost, users+"/temporary-password",
		"Set or generate a temporary password, shown this once; the user must change it at next sign-in", "Users"),
		func(ctx context.Context, in *temporaryPasswordInput) (*body[temporaryPasswordOutput], error) {
			pw, err := a.svc.SetTemporaryPassword(ctx, in.Slug, in.ID, in.Body.Password)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			return reply(temporaryPasswordOutput{Password: pw}), nil
		})

	huma.Register(api, op("reset-user-mfa", http.MethodPost, users+"/mfa/reset", "Reset a user's two-factor enrolment", "Users"),
		func(ctx context.Context, in *userInput) (*body[User], error) {
			u, err := a.svc.ResetMFA(ctx, in.Slug, in.ID)
			return a.userReply(ctx, in.Slug, u, err)
		})

	huma.Register(api, op("get-my-mfa", http.MethodGet, "/api/v1/me/mfa", "Your two-factor authentication", "Session"),
		func(ctx context.Context, _ *struct{}) (*body[mfaStatusOutput], error) {
			u, t, err := a.svc.Me(ctx)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			n, err := a.svc.RecoveryCodesLeft(ctx)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			return reply(mfaStatusOutput{Enrolled: u.MFAEnrolled, EnrollmentRequired: meOut(u, t, a.svc.Clock().Now()).MFAEnrollmentRequired, RecoveryCodesLeft: n}), nil
		})

	huma.Register(api, op("start-totp", http.MethodPost, "/api/v1/me/mfa/totp", "Start enrolling an authenticator app", "Session"),
		func(ctx context.Context, _ *struct{}) (*body[totpEnrolmentOutput], error) {
			e, err := a.svc.StartTOTP(ctx)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			png, err := qr.PNG(e.URL, 240)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			svg, err := qr.SVG(e.URL)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			return reply(totpEnrolmentOutput{Secret: e.Secret, OTPAuthURL: e.URL,
				QRPNG: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), QRSVG: svg}), nil
		})

	huma.Register(api, op("confirm-totp", http.MethodPost, "/api/v1/me/mfa/totp/confirm", "Confirm the authenticator app with a first code; returns recovery codes", "Session"),
		func(ctx context.Context, in *totpConfirmInput) (*body[recoveryCodesOutput], error) {
			codes, err := a.svc.ConfirmTOTP(ctx, in.Body.Code)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			return reply(recoveryCodesOutput{RecoveryCodes: codes}), nil
		})
}
