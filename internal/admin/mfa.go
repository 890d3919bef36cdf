package admin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Two-factor authentication with TOTP (RFC 6238) and recovery codes (R-A7).

const (
	totpPeriod        = 30 // seconds per time step
	totpSkew          = 1  // steps accepted either side of now, for clocks that drift
	recoveryCodeCount = 10
)

// TOTPEnrolment is a started enrolment: the secret for typing in by hand
// and the otpauth:// URL that a QR code carries.
type TOTPEnrolment struct {
	Secret string
	URL    string
}

// mfaActor returns the actor of ctx if they may manage their own second
// factor: a person (not an API token) whose password change is not due.
func mfaActor(ctx context.Context) (*Actor, error) {
	a, err := personFrom(ctx)
	if err != nil {
		return nil, err
	}
	if a.Restriction == RestrictionPasswordChange {
		return nil, a.restrictionError()
	}
	return a, nil
}

// totpContext binds a sealed secret to its row.
func totpContext(tenantID, userID string) string { return "totp/" + tenantID + "/" + userID }

// StartTOTP begins the signed-in user's TOTP enrolment with a new secret,
// replacing an unconfirmed one. Conflict "mfa_already_enrolled" when the
// user has confirmed one (an admin can reset it); Forbidden "sso_user_mfa"
// for a single sign-on user.
func (s *Service) StartTOTP(ctx context.Context) (*TOTPEnrolment, error) {
	a, err := mfaActor(ctx)
	if err != nil {
		return nil, err
	}
	var out *TOTPEnrolment
	err = s.store.Update(ctx, func(tx Tx) error {
		t, err := tx.TenantByID(ctx, a.TenantID)
		if err != nil {
			return err
		}
		u, err := tx.UserByID(ctx, a.TenantID, a.UserID)
		if err != nil {
			return notFoundAs(err, "User")
		}
		if u.Auth != AuthPassword {
			return Forbidden("sso_user_mfa", "You sign in through single sign-on; your identity provider asks for the second factor.")
		}
		if u.MFAEnrolled {
			return Conflict("mfa_already_enrolled", "", "Two-factor authentication is already set up; an administrator can reset it.")
		}
		key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer(t), AccountName: u.Username, Period: totpPeriod, SecretSize: 20})
		if err != nil {
			return Internal(err)
		}
		m := &TOTP{TenantID: t.ID, UserID: u.ID, Secret: s.keys.Seal([]byte(key.Secret()), totpContext(t.ID, u.ID)), CreatedAt: s.clock.Now()}
		if err := tx.PutTOTP(ctx, m); err != nil {
			return err
		}
		out = &TOTPEnrolment{Secret: key.Secret(), URL: key.URL()}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "user.mfa_enrolment_started", userTarget(u), nil))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PendingTOTP returns the signed-in user's started, unconfirmed enrolment,
// so that a page can show its QR code again (after a mistyped code).
// NotFound when there is none.
func (s *Service) PendingTOTP(ctx context.Context) (*TOTPEnrolment, error) {
	a, err := mfaActor(ctx)
	if err != nil {
		return nil, err
	}
	var m *TOTP
	var t *Tenant
	var u *User
	err = s.store.View(ctx, func(tx Tx) (err error) {
		if m, err = tx.TOTPByUser(ctx, a.TenantID, a.UserID); err != nil {
			return err
		}
		if t, err = tx.TenantByID(ctx, a.TenantID); err != nil {
			return err
		}
		u, err = tx.UserByID(ctx, a.TenantID, a.UserID)
		return err
	})
	if err != nil {
		return nil, notFoundAs(err, "Enrolment")
	}
	if m.Confirmed {
		return nil, NotFound("Enrolment")
	}
	plain, err := s.keys.Open(m.Secret, totpContext(m.TenantID, m.UserID))
	if err != nil {
		return nil, Internal(err)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer(t), AccountName: u.Username, Period: totpPeriod, Secret: mustBase32(string(plain))})
	if err != nil {
		return nil, Internal(err)
	}
	return &TOTPEnrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

// totpIssuer is the name an authenticator app shows for the account.
func totpIssuer(t *Tenant) string {
	if t.IsPlatform() {
		return "Roster"
	}
	return t.Name
}

func mustBase32(s string) []byte {
	b, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	return b
}

// ConfirmTOTP completes the enrolment with a first code from the user's
// app and returns ten recovery codes, shown this once (only their hashes
// are kept). Invalid "wrong_code" for a wrong code; Conflict
// "mfa_not_started" without a started enrolment, "mfa_already_enrolled"
// after a confirmed one.
func (s *Service) ConfirmTOTP(ctx context.Context, code string) ([]string, error) {
	a, err := mfaActor(ctx)
	if err != nil {
		return nil, err
	}
	var m *TOTP
	err = s.store.View(ctx, func(tx Tx) (err error) {
		m, err = tx.TOTPByUser(ctx, a.TenantID, a.UserID)
		return err
	})
	if errors.Is(err, ErrNoRows) {
		return nil, Conflict("mfa_not_started", "", "Start the enrolment first: POST /api/v1/me/mfa/totp.")
	}
	if err != nil {
		return nil, err
	}
	if m.Confirmed {
		return nil, Conflict("mfa_already_enrolled", "", "Two-factor authentication is already set up.")
	}
	now := s.clock.Now()
	step, ok, err := s.matchTOTP(m, code, now)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, Invalid("code", "wrong_code", "The code is not correct; enter the current code from your app (and check the time on your device).")
	}
	codes, hashes := newRecoveryCodes()
	err = s.store.Update(ctx, func(tx Tx) error {
		if err := tx.ConfirmTOTP(ctx, a.TenantID, a.UserID, step); err != nil {
			if errors.Is(err, ErrStale) {
				return Conflict("mfa_already_enrolled", "", "Two-factor authentication is already set up.")
			}
			return err
		}
		u, err := tx.UserByID(ctx, a.TenantID, a.UserID)
		if err != nil {
			return err
		}
		u.MFAEnrolled, u.UpdatedAt = true, now
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.InsertRecoveryCodes(ctx, a.TenantID, a.UserID, hashes); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, a.TenantID, "user.mfa_enrolled", userTarget(u), map[string]any{"recovery_codes": len(codes)}))
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// ResetMFA removes a user's second factor and recovery codes, so that they
// enrol again (R-A7). Requires roster.users.write.
func (s *Service) ResetMFA(ctx context.Context, slug, id string) (*User, error) {
	return s.lifecycle(ctx, slug, id, "user.mfa_reset", false, func(tx Tx, t *Tenant, u *User) error {
		if err := tx.DeleteTOTP(ctx, t.ID, u.ID); err != nil {
			return err
		}
		u.MFAEnrolled = false
		return nil
	})
}

// RecoveryCodesLeft reports how many unused recovery codes the signed-in
// user has.
func (s *Service) RecoveryCodesLeft(ctx context.Context) (int, error) {
	a, err := personFrom(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.store.View(ctx, func(tx Tx) (err error) {
		n, err = tx.CountRecoveryCodes(ctx, a.TenantID, a.UserID)
		return err
	})
	return n, err
}

// matchTOTP finds the time step within the skew whose code is code,
// comparing in constant time.
func (s *Service) matchTOTP(m *TOTP, code string, now time.Time) (int64, bool, error) {
	code = strings.TrimSpace(code)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return 0, false, nil
	}
	plain, err := s.keys.Open(m.Secret, totpContext(m.TenantID, m.UserID))
	if err != nil {
		return 0, false, Internal(err)
	}
	opts := totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	step := now.Unix() / totpPeriod
	found, match := int64(0), false
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		want, err := totp.GenerateCodeCustom(string(plain), time.Unix((step+d)*totpPeriod, 0), opts)
		if err != nil {
			return 0, false, Internal(err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && !match {
			found, match = step+d, true
		}
	}
	return found, match, nil
}

// secondFactor is a checked code, spent in the sign-in's transaction.
type secondFactor struct {
	kind string // "totp" or "recovery_code"
	step int64
	hash []byte
}

// spend uses the code: a TOTP step only if it is later than the last one
// accepted, a recovery code only if unused. ErrStale when it was used.
func (f *secondFactor) spend(ctx context.Context, tx Tx, t *Tenant, u *User, at time.Time) error {
	if f.kind == "totp" {
		return tx.AdvanceTOTPStep(ctx, t.ID, u.ID, f.step)
	}
	if err := tx.UseRecoveryCode(ctx, t.ID, u.ID, f.hash, at); err != nil {
		if errors.Is(err, ErrNoRows) {
			return ErrStale
		}
		return err
	}
	return nil
}

// checkSecondFactor checks a TOTP code or a recovery code of u; nil when
// it is neither. Whether it was used already is known only when it is
// spent.
func (s *Service) checkSecondFactor(ctx context.Context, t *Tenant, u *User, code string, now time.Time) (*secondFactor, error) {
	var m *TOTP
	err := s.store.View(ctx, func(tx Tx) (err error) {
		m, err = tx.TOTPByUser(ctx, t.ID, u.ID)
		return err
	})
	if errors.Is(err, ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !m.Confirmed {
		return nil, nil
	}
	step, ok, err := s.matchTOTP(m, code, now)
	if err != nil {
		return nil, err
	}
	if ok {
		return &secondFactor{kind: "totp", step: step}, nil
	}
	if h := recoveryCodeHash(code); h != nil {
		return &secondFactor{kind: "recovery_code", hash: h}, nil
	}
	return nil, nil
}

// Recovery codes are 80 random bits in base32, written in four groups of
// four: xxxx-xxxx-xxxx-xxxx. 80 bits make a fast hash safe to store.
var recoveryEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func newRecoveryCodes() (codes []string, hashes [][]byte) {
	for range recoveryCodeCount {
		b := make([]byte, 10)
		_, _ = rand.Read(b)
		c := recoveryEncoding.EncodeToString(b)
		codes = append(codes, c[0:4]+"-"+c[4:8]+"-"+c[8:12]+"-"+c[12:16])
		hashes = append(hashes, HashToken(c))
	}
	return codes, hashes
}

// recoveryCodeHash is the stored form of a typed recovery code (case,
// spaces and dashes ignored); nil when it cannot be one.
func recoveryCodeHash(code string) []byte {
	c := strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(code))
	if len(c) != 16 {
		return nil
	}
	if _, err := recoveryEncoding.DecodeString(c); err != nil {
		return nil
	}
	return HashToken(c)
}
