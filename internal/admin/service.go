// Package admin is Roster's domain: tenants, users, sessions and the audit
// trail, with every rule and every authorization decision. Adapters (the
// HTTP API, the console, the CLI) parse input, call one Service method and
// render its answer; storage sits behind the Store interface declared here.
package admin

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"

	"github.com/google/uuid"

	"roster/internal/password"
	"roster/internal/secret"
)

// Service carries out every administrative action. It is safe for
// concurrent use.
type Service struct {
	store  Store
	clock  Clock
	hasher *password.Hasher
	newID  func() string
	log    *slog.Logger
	keys   *secret.Key
	// throttle counts failed sign-ins per client address (R-A2).
	throttle *failureThrottle

	mailer    Mailer
	publicURL string

	background chan struct{} // a slot per background task in flight
	bg         sync.WaitGroup

	catalogue *Catalogue
	authz     *authz
}

// Config wires a Service. Store is required; the rest have defaults.
type Config struct {
	Store  Store
	Clock  Clock            // default: SystemClock
	Hasher *password.Hasher // default: argon2id with OWASP parameters
	NewID  func() string    // default: UUIDv7 strings
	Logger *slog.Logger     // default: slog.Default()
	// Mailer delivers the outbox; nil leaves mail in the outbox (logged).
	Mailer Mailer
	// PublicURL is the base of links in e-mails, e.g. https://roster.example.com.
	PublicURL string
	// SecretKey seals TOTP secrets at rest. Default: a random key, which
	// suits tests only: secrets sealed with it do not open after a restart.
	SecretKey *secret.Key
	// SignInFailuresPerMinute is how many failed sign-ins one client
	// address may make in a minute before it gets RateLimited; default
	// DefaultSignInFailuresPerMinute.
	SignInFailuresPerMinute int
	// Catalogue is the host product's permissions and predefined roles
	// (ROSTER_PERMISSIONS), installed by Bootstrap.
	Catalogue *Catalogue
}

// DefaultSignInFailuresPerMinute is the per-address throttle of R-A2.
const DefaultSignInFailuresPerMinute = 100

// New returns a Service for cfg.
func New(cfg Config) *Service {
	s := &Service{store: cfg.Store, clock: cfg.Clock, hasher: cfg.Hasher, newID: cfg.NewID, log: cfg.Logger,
		mailer: cfg.Mailer, publicURL: strings.TrimRight(cfg.PublicURL, "/"), background: make(chan struct{}, backgroundLimit),
		catalogue: cfg.Catalogue}
	s.keys = cfg.SecretKey
	if s.keys == nil {
		s.keys = secret.Random()
	}
	if cfg.SignInFailuresPerMinute <= 0 {
		cfg.SignInFailuresPerMinute = DefaultSignInFailuresPerMinute
	}
	s.throttle = newFailureThrottle(cfg.SignInFailuresPerMinute)
	if s.clock == nil {
		s.clock = SystemClock{}
	}
	if s.hasher == nil {
		s.hasher = password.NewHasher(password.OWASP)
	}
	if s.newID == nil {
		s.newID = func() string { return uuid.Must(uuid.NewV7()).String() }
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.authz = newAuthz(s)
	s.store = &syncingStore{Store: s.store, authz: s.authz}
	return s
}

// Clock returns the service's clock.
func (s *Service) Clock() Clock { return s.clock }

const (
	defaultPageSize = 50
	maxPageSize     = 500
)

func pageLimit(n int) (int, error) {
	switch {
	case n == 0:
		return defaultPageSize, nil
	case n < 1 || n > maxPageSize:
		return 0, Invalid("limit", "out_of_range", "limit is between 1 and %d.", maxPageSize)
	}
	return n, nil
}

func encodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, v any) error {
	if len(s) > 1024 {
		return errors.New("cursor too long")
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// notFoundAs turns the store's ErrNoRows into a NotFound error for what.
func notFoundAs(err error, what string) error {
	if errors.Is(err, ErrNoRows) {
		return NotFound(what)
	}
	return err
}
