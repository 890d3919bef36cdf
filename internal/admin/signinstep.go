package admin

import (
	"encoding/base64"
	"encoding/binary"
	"strings"
	"time"
)

// SignInStepLifetime is how long a sign-in may wait for its second factor.
const SignInStepLifetime = 5 * time.Minute

// SealSignInStep keeps the password of a sign-in that waits for its
// second factor, for a client that must send it again with the code (the
// console's code page): sealed with the server's key, bound to the tenant
// and login typed, and expiring after SignInStepLifetime. The page carries
// this value instead of the password, so that the password is never
// written into HTML.
func (s *Service) SealSignInStep(c Credentials) string {
	plain := binary.BigEndian.AppendUint64(nil, uint64(s.clock.Now().Add(SignInStepLifetime).Unix()))
	plain = append(plain, c.Password...)
	return base64.RawURLEncoding.EncodeToString(s.keys.Seal(plain, signInStepContext(c)))
}

// OpenSignInStep returns the password sealed by SealSignInStep for the same
// tenant and login, or an Unauthenticated error (code sign_in_step_expired)
// when the value is foreign, tampered with, for another login, or expired.
func (s *Service) OpenSignInStep(c Credentials, sealed string) (string, error) {
	expired := &Error{Kind: KindUnauthenticated, Code: "sign_in_step_expired", Message: "The sign-in took too long. Please start again."}
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return "", expired
	}
	plain, err := s.keys.Open(raw, signInStepContext(c))
	if err != nil || len(plain) < 8 {
		return "", expired
	}
	if s.clock.Now().Unix() > int64(binary.BigEndian.Uint64(plain[:8])) {
		return "", expired
	}
	return string(plain[8:]), nil
}

func signInStepContext(c Credentials) string {
	return "sign-in-step\x00" + strings.ToLower(strings.TrimSpace(c.Tenant)) + "\x00" + strings.ToLower(strings.TrimSpace(c.Username))
}
