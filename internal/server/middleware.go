package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"roster/internal/admin"
	"roster/internal/rest"
)

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roster_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "roster_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logFields collects what inner handlers learn for the request's log line.
type logFields struct{ userID string }

type logFieldsKey struct{}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// observe gives every request an id (the caller's X-Request-Id when it is
// sane), logs it without query strings (they may carry tokens), and counts
// it by route pattern.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !requestIDPattern.MatchString(id) {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		ip, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			ip = r.RemoteAddr
		}
		fields := &logFields{}
		ctx := admin.WithRequestInfo(r.Context(), admin.RequestInfo{IP: ip, UserAgent: r.UserAgent(), RequestID: id})
		ctx = context.WithValue(ctx, logFieldsKey{}, fields)
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		d := time.Since(start)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		if i := strings.IndexByte(route, ' '); i >= 0 {
			route = route[i+1:]
		}
		s.metrics.requests.WithLabelValues(r.Method, route, strconv.Itoa(sw.code)).Inc()
		s.metrics.duration.WithLabelValues(r.Method, route).Observe(d.Seconds())
		attrs := []any{"request_id", id, "method", r.Method, "path", r.URL.Path, "status", sw.code, "duration_ms", float64(d.Microseconds()) / 1000, "ip", ip}
		if fields.userID != "" {
			attrs = append(attrs, "user_id", fields.userID)
		}
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" {
			s.log.Debug("request", attrs...)
			return
		}
		s.log.Info("request", attrs...)
	})
}

// recoverPanics turns a panic into a 500 problem and a log line.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(r.Context(), "panic", "panic", p, "path", r.URL.Path)
				rest.WriteProblem(w, rest.NewProblem(http.StatusInternalServerError, "internal", "An internal error occurred."))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate resolves the session cookie or bearer token into the
// request's actor. A missing or dead session leaves the request
// anonymous: public routes still work and the others answer 401.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := ""
		if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			token = strings.TrimSpace(h[7:])
		} else if c, err := r.Cookie(rest.SessionCookie); err == nil {
			token = c.Value
		}
		if token != "" {
			actor, _, err := s.cfg.Service.Authenticate(r.Context(), token)
			switch {
			case err == nil:
				if f, ok := r.Context().Value(logFieldsKey{}).(*logFields); ok {
					f.userID = actor.UserID
				}
				r = r.WithContext(admin.WithActor(r.Context(), actor))
			case admin.KindOf(err) != admin.KindUnauthenticated:
				rest.WriteProblem(w, rest.ProblemOf(r.Context(), s.log, err))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// restrictedRoutes are all a restricted session may call (SPEC §3): the
// way out of the restriction, and signing out.
func restrictedAllowed(r *http.Request) bool {
	p := r.URL.Path
	switch {
	case r.Method == http.MethodGet && p == "/api/v1/me",
		r.Method == http.MethodPost && p == "/api/v1/me/password",
		r.Method == http.MethodDelete && p == "/api/v1/session",
		strings.HasPrefix(p, "/api/v1/me/mfa/"),
		r.Method == http.MethodPost && publicLinkRoutes[p],
		!strings.HasPrefix(p, "/api/"):
		return true
	}
	return false
}

// publicLinkRoutes are where links in e-mails lead: they act on the
// link's user, not on the session's, so a restricted session does not
// stand in their way.
var publicLinkRoutes = map[string]bool{
	"/api/v1/activate": true, "/api/v1/password-reset": true,
	"/api/v1/password-reset/request": true, "/api/v1/invitations/accept": true,
}

// restrict keeps a session whose password change (R-A4) or two-factor
// enrolment (R-A7) is due to the routes that lead out of it.
func (s *Server) restrict(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := admin.ActorFrom(r.Context()); a != nil && a.Restricted && !restrictedAllowed(r) {
			if a.Restriction == admin.RestrictionMFAEnrollment {
				rest.WriteProblem(w, rest.NewProblem(http.StatusForbidden, admin.RestrictionMFAEnrollment, "Set up two-factor authentication first: POST /api/v1/me/mfa/totp."))
				return
			}
			rest.WriteProblem(w, rest.NewProblem(http.StatusForbidden, admin.RestrictionPasswordChange, "Change your password first: POST /api/v1/me/password."))
			return
		}
		next.ServeHTTP(w, r)
	})
}
