// Package server assembles Roster's one http.Handler — the JSON API, the
// web console, health, readiness and metrics — with the middleware every request goes
// through: request ids, structured logs, metrics, security headers, CSRF
// protection and session authentication. It also runs the background jobs
// and shuts down gracefully.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"roster/internal/admin"
	"roster/internal/console"
	"roster/internal/rest"
)

// Pinger tells whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config wires a Server.
type Config struct {
	Service      *admin.Service
	DB           Pinger
	Logger       *slog.Logger
	Version      string
	SecureCookie bool
	// PurgeEvery is how often removed users past the retention window are
	// purged; 0 means hourly.
	PurgeEvery time.Duration
	// MailEvery is how often the outbox is polled for due mail; 0 means
	// every second. Mail is delivered only when the Service has a Mailer.
	MailEvery time.Duration
	// AccessEvery is how often the access indexes look for other
	// processes' changes; 0 means every 250 ms.
	AccessEvery time.Duration
	// AccessWake, when not nil, signals another process's access change
	// at once (PostgreSQL LISTEN).
	AccessWake <-chan struct{}
}

// Server is Roster's HTTP server.
type Server struct {
	cfg     Config
	log     *slog.Logger
	handler http.Handler
	metrics *metrics
	// mailSent counts the mail this process's worker delivered.
	mailSent prometheus.Counter
}

// New builds the server's handler.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PurgeEvery == 0 {
		cfg.PurgeEvery = time.Hour
	}
	if cfg.MailEvery == 0 {
		cfg.MailEvery = time.Second
	}
	if cfg.AccessEvery == 0 {
		cfg.AccessEvery = 250 * time.Millisecond
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.metrics = newMetrics(reg)
	s.mailSent = prometheus.NewCounter(prometheus.CounterOpts{Name: "roster_mail_sent_total", Help: "E-mails this process delivered to the SMTP server."})
	reg.MustRegister(s.mailSent)

	mux := http.NewServeMux()
	rest.Register(mux, cfg.Service, rest.Config{Version: cfg.Version, SecureCookie: cfg.SecureCookie, Logger: cfg.Logger})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", s.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	console.New(console.Config{Service: cfg.Service, Logger: cfg.Logger, SecureCookie: cfg.SecureCookie}).Register(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		rest.WriteProblem(w, rest.NewProblem(http.StatusNotFound, "not_found", "There is nothing at "+r.URL.Path+"."))
	})

	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest.WriteProblem(w, rest.NewProblem(http.StatusForbidden, "csrf_rejected", "A cross-origin request was refused."))
	}))
	var h http.Handler = mux
	h = s.restrict(h)
	h = s.authenticate(h)
	h = csrf.Handler(h)
	h = securityHeaders(h)
	h = s.observe(h)
	h = s.recoverPanics(h)
	s.handler = h
	return s
}

// Handler returns the server's root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers on ln until ctx is done, then shuts down gracefully: it
// stops accepting, lets running requests finish (up to 20 s), and stops
// the background jobs.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	jobs, stopJobs := context.WithCancel(ctx)
	defer stopJobs()
	done := make(chan struct{})
	mailDone := make(chan struct{})
	watching := make(chan struct{})
	go func() {
		defer close(done)
		s.runJobs(jobs)
		<-watching
	}()
	go func() {
		defer close(watching)
		s.cfg.Service.WatchAccess(jobs, s.cfg.AccessEvery, s.cfg.AccessWake)
	}()
	go func() {
		defer close(mailDone)
		s.runMail(jobs)
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		stopJobs()
		<-done
		<-mailDone
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdown)
	stopJobs()
	<-done
	<-mailDone
	if err2 := <-errc; err2 != nil && !errors.Is(err2, http.ErrServerClosed) {
		err = errors.Join(err, err2)
	}
	return err
}

// runJobs runs the periodic jobs until ctx ends.
func (s *Server) runJobs(ctx context.Context) {
	t := time.NewTicker(s.cfg.PurgeEvery)
	defer t.Stop()
	for {
		if n, err := s.cfg.Service.PurgeRemovedUsers(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("purging removed users", "err", err)
		} else if n > 0 {
			s.log.Info("purged removed users past the retention window", "count", n)
		}
		if n, err := s.cfg.Service.PurgeMail(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("purging old mail and links", "err", err)
		} else if n > 0 {
			s.log.Info("purged old mail and links", "count", n)
		}
		if n, err := s.cfg.Service.NotifyExpiringUsers(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("telling users their account expires soon", "err", err)
		} else if n > 0 {
			s.log.Info("told users their account expires soon", "count", n)
		}
		if err := s.cfg.Service.PruneAccessChanges(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("pruning the access change log", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// mailBatch is how many mails one delivery round claims.
const mailBatch = 20

// runMail delivers the outbox until ctx ends: a full batch is followed at
// once by the next, otherwise the worker waits MailEvery. Every process
// runs one; leases keep them from sending a mail twice.
func (s *Server) runMail(ctx context.Context) {
	owner := newOwnerID()
	t := time.NewTicker(s.cfg.MailEvery)
	defer t.Stop()
	for {
		n, err := s.cfg.Service.DeliverMail(ctx, owner, mailBatch)
		s.mailSent.Add(float64(n))
		if err != nil && ctx.Err() == nil {
			s.log.Error("delivering mail", "err", err)
		}
		if err == nil && n == mailBatch {
			if ctx.Err() != nil {
				return
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// newOwnerID names this process's mail worker in the outbox leases.
func newOwnerID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.DB.Ping(ctx); err != nil {
		s.log.WarnContext(r.Context(), "not ready", "err", err)
		rest.WriteProblem(w, rest.NewProblem(http.StatusServiceUnavailable, "database_unavailable", "The database does not answer."))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ready\n"))
}
