// Command roster is Roster's one binary: `roster serve` runs the server,
// `roster migrate` updates the database schema, `roster version` prints the
// version.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"

	"roster/internal/admin"
	"roster/internal/mail"
	"roster/internal/server"
	"roster/internal/sqlstore"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	if err := m.Run(ctx, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "roster:", err)
		}
		os.Exit(2)
	}
}

// Main is the program: its output streams and environment are fields so
// that tests can run it.
type Main struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Ready, when set, receives the address the server listens on.
	Ready func(addr string)

	db *sqlstore.DB
}

const usage = `Roster administers the users of a multi-tenant product.

Usage:
  roster serve     run the server (SQLite file by default)
  roster migrate   apply database migrations and exit
  roster backup    copy a running SQLite database to a new file
  roster version   print the version

Run "roster <command> -h" for a command's flags.
`

// Run runs the command named by args[0].
func (m *Main) Run(ctx context.Context, args []string) error {
	defer m.Close()
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "serve":
		return m.serve(ctx, args[1:])
	case "migrate":
		return m.migrate(ctx, args[1:])
	case "backup":
		return m.backup(ctx, args[1:])
	case "version":
		fmt.Fprintln(m.Stdout, "roster", Version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(m.Stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q (try roster help)", args[0])
}

// Close releases what Run opened.
func (m *Main) Close() error {
	if m.db != nil {
		err := m.db.Close()
		m.db = nil
		return err
	}
	return nil
}

// Version is the build's version: set by -ldflags, else from the module
// build information.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev := ""
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = s.Value[:12]
			}
		}
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		if rev != "" {
			return "dev-" + rev
		}
	}
	return "dev"
}

// config is the server's configuration: flags with ROSTER_* equivalents.
type config struct {
	addr              string
	db                string
	publicURL         string
	adminPassword     string
	secretKey         string
	failuresPerMinute int
	logLevel          string
	logFormat         string
	out               string
	smtpURL           string
	mailFrom          string
	permissions       string
	demo              bool
}

func (m *Main) env(name, def string) string {
	if v := m.Getenv(name); v != "" {
		return v
	}
	return def
}

func (m *Main) flags(name string, args []string) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("roster "+name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.StringVar(&c.db, "db", m.env("ROSTER_DB", "roster.db"), "SQLite file path or postgres:// URL (ROSTER_DB)")
	if name == "backup" {
		fs.StringVar(&c.out, "out", "", "the new file to write the copy to (required)")
	}
	if name == "serve" {
		fs.StringVar(&c.addr, "addr", m.env("ROSTER_ADDR", "127.0.0.1:8080"), "address to listen on (ROSTER_ADDR)")
		fs.StringVar(&c.publicURL, "public-url", m.env("ROSTER_PUBLIC_URL", ""), "base URL of links in e-mails; https:// sets Secure cookies (ROSTER_PUBLIC_URL)")
		// No environment default here: help output must not print a password.
		fs.StringVar(&c.smtpURL, "smtp-url", "", "SMTP server, smtp://[user:pass@]host:port (loopback only, or STARTTLS) or smtps://… (ROSTER_SMTP_URL)")
		fs.StringVar(&c.mailFrom, "mail-from", m.env("ROSTER_MAIL_FROM", ""), "sender address of e-mails (ROSTER_MAIL_FROM)")
		perMinute, err := strconv.Atoi(m.env("ROSTER_SIGNIN_FAILURES_PER_MINUTE", strconv.Itoa(admin.DefaultSignInFailuresPerMinute)))
		if err != nil || perMinute < 1 {
			return nil, fmt.Errorf("ROSTER_SIGNIN_FAILURES_PER_MINUTE: want a positive number")
		}
		fs.IntVar(&c.failuresPerMinute, "signin-failures-per-minute", perMinute, "failed sign-ins one client address may make in a minute before it gets 429 (ROSTER_SIGNIN_FAILURES_PER_MINUTE)")
		fs.StringVar(&c.permissions, "permissions", m.env("ROSTER_PERMISSIONS", ""), "the host product's permission catalogue, a JSON file (ROSTER_PERMISSIONS)")
		fs.BoolVar(&c.demo, "demo", false, "seed a demo tenant (with the example tracker catalogue unless -permissions names one)")
	}
	fs.StringVar(&c.logLevel, "log-level", m.env("ROSTER_LOG_LEVEL", "info"), "debug, info, warn or error (ROSTER_LOG_LEVEL)")
	fs.StringVar(&c.logFormat, "log-format", m.env("ROSTER_LOG_FORMAT", "json"), "json or text (ROSTER_LOG_FORMAT)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.adminPassword = m.Getenv("ROSTER_ADMIN_PASSWORD")
	c.secretKey = m.Getenv("ROSTER_SECRET_KEY")
	if name == "serve" && c.failuresPerMinute < 1 {
		return nil, fmt.Errorf("--signin-failures-per-minute: want a positive number")
	}
	if name == "serve" && c.smtpURL == "" {
		c.smtpURL = m.Getenv("ROSTER_SMTP_URL")
	}
	return c, nil
}

func (m *Main) logger(c *config) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, fmt.Errorf("log level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.logFormat {
	case "json":
		return slog.New(slog.NewJSONHandler(m.Stderr, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(m.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want json or text", c.logFormat)
}

// open opens and migrates the database.
func (m *Main) open(ctx context.Context, c *config, log *slog.Logger) error {
	db, err := sqlstore.Open(ctx, c.db)
	if err != nil {
		return err
	}
	m.db = db
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	for _, name := range applied {
		log.Info("applied migration", "name", name)
	}
	return nil
}

func (m *Main) migrate(ctx context.Context, args []string) error {
	c, err := m.flags("migrate", args)
	if err != nil {
		return err
	}
	log, err := m.logger(c)
	if err != nil {
		return err
	}
	if err := m.open(ctx, c, log); err != nil {
		return err
	}
	v, err := m.db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "database schema at version %d (%s)\n", v, m.db.Engine())
	return nil
}

// backup writes an online copy of a SQLite database (safe while roster
// serve runs on it). PostgreSQL has its own tools.
func (m *Main) backup(ctx context.Context, args []string) error {
	c, err := m.flags("backup", args)
	if err != nil {
		return err
	}
	if c.out == "" {
		return errors.New("backup: -out FILE is required")
	}
	log, err := m.logger(c)
	if err != nil {
		return err
	}
	if err := m.open(ctx, c, log); err != nil {
		return err
	}
	if err := m.db.Backup(ctx, c.out); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "backed up %s to %s\n", c.db, c.out)
	return nil
}

func (m *Main) serve(ctx context.Context, args []string) error {
	c, err := m.flags("serve", args)
	if err != nil {
		return err
	}
	log, err := m.logger(c)
	if err != nil {
		return err
	}
	if err := m.open(ctx, c, log); err != nil {
		return err
	}
	catalogue, err := readCatalogue(c.permissions)
	if err != nil {
		return err
	}
	if c.demo && catalogue == nil {
		catalogue = admin.TrackerCatalogue()
	}
	if c.publicURL == "" {
		c.publicURL = "http://" + c.addr
	}
	var mailer admin.Mailer
	if c.smtpURL != "" {
		sender, err := mail.New(mail.Config{URL: c.smtpURL, From: c.mailFrom})
		if err != nil {
			return err
		}
		mailer = sender
		log.Info("mail goes out through SMTP", "smtp", sender.String(), "from", c.mailFrom)
	} else {
		log.Warn("no SMTP server configured (ROSTER_SMTP_URL): mail stays in the outbox until one is")
	}
	key, err := m.secretKey(ctx, c, log)
	if err != nil {
		return err
	}
	svc := admin.New(admin.Config{Store: m.db, Logger: log, Mailer: mailer, PublicURL: c.publicURL, SecretKey: key, SignInFailuresPerMinute: c.failuresPerMinute,
		Catalogue: catalogue})
	generated, err := svc.Bootstrap(ctx, c.adminPassword)
	if err != nil {
		return fmt.Errorf("creating the platform administrator: %w", err)
	}
	if c.demo {
		made, err := svc.SeedDemo(ctx)
		if err != nil {
			return fmt.Errorf("seeding the demo tenant: %w", err)
		}
		if made {
			fmt.Fprintf(m.Stdout, "\nSeeded the demo tenant %q: users alice (admin), bob, carol, dave, erin and frank (read-only),\neach with the first password %q, to be changed at first sign-in.\n\n", admin.DemoSlug, admin.DemoPassword)
		}
	}
	// The first start hashes the staff password (argon2id, 19 MiB); give
	// that memory back now rather than idling on it.
	debug.FreeOSMemory()
	if generated != "" {
		// Shown once, on the terminal only: never in the structured log.
		fmt.Fprintf(m.Stdout, "\nCreated the staff user \"admin\" with the one-time password:\n\n    %s\n\nSign in with it and choose a new password. It is not shown again.\n\n", generated)
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	srv := server.New(server.Config{
		Service: svc, DB: m.db, Logger: log, Version: Version(),
		SecureCookie: strings.HasPrefix(c.publicURL, "https://"),
		AccessWake:   m.db.ListenAccess(ctx, log),
	})
	log.Info("roster listening", "addr", ln.Addr().String(), "db", m.db.Engine(), "version", Version())
	if m.Ready != nil {
		m.Ready(ln.Addr().String())
	}
	err = srv.Serve(ctx, ln)
	svc.WaitBackground()
	return err
}

// readCatalogue reads the permission catalogue file, if one is named.
func readCatalogue(path string) (*admin.Catalogue, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ROSTER_PERMISSIONS: %w", err)
	}
	defer f.Close()
	c, err := admin.ParseCatalogue(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}
