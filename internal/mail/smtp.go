package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"roster/internal/admin"
)

// Config says how to reach the SMTP server.
type Config struct {
	// URL is ROSTER_SMTP_URL: smtp://[user:password@]host[:port] or
	// smtps://… . Plain smtp:// is allowed only to a loopback address;
	// to any other host it must upgrade with STARTTLS. smtps:// speaks TLS
	// from the first byte.
	URL string
	// From is ROSTER_MAIL_FROM, e.g. "Roster <roster@example.com>".
	From string
	// TLS overrides the TLS settings (tests trust their own CA with it).
	TLS *tls.Config
	// Timeout bounds one delivery; default 30 s.
	Timeout time.Duration
}

// Sender sends rendered mail over SMTP. It implements admin.Mailer and is
// safe for concurrent use: each Send opens its own connection.
type Sender struct {
	opts     []gomail.Option
	host     string
	from     string
	domain   string // of From, for Message-IDs
	renderer *Renderer
	redacted string
}

// New checks cfg and returns a Sender. Errors name what is wrong without
// repeating the password.
func New(cfg Config) (*Sender, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, errors.New("ROSTER_SMTP_URL is not a URL")
	}
	host := u.Hostname()
	if host == "" {
		return nil, errors.New("ROSTER_SMTP_URL has no host")
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return nil, errors.New("ROSTER_SMTP_URL takes no path or query: smtp://host:port or smtps://host:port")
	}
	if cfg.From == "" {
		return nil, errors.New("ROSTER_MAIL_FROM is required with ROSTER_SMTP_URL")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("ROSTER_MAIL_FROM %q is not an address: %v", cfg.From, err)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	tlsConf := cfg.TLS
	if tlsConf == nil {
		tlsConf = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	opts := []gomail.Option{gomail.WithTimeout(timeout), gomail.WithTLSConfig(tlsConf)}
	port := 0
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, errors.New("ROSTER_SMTP_URL has a bad port")
		}
	}
	switch u.Scheme {
	case "smtps":
		if port == 0 {
			port = 465
		}
		opts = append(opts, gomail.WithSSL())
	case "smtp":
		if isLoopback(host) {
			// On the same machine the connection never leaves it: use TLS
			// when offered, plain otherwise.
			if port == 0 {
				port = 25
			}
			opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
		} else {
			if port == 0 {
				port = 587
			}
			opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
		}
	default:
		return nil, fmt.Errorf("ROSTER_SMTP_URL scheme %q: use smtp:// or smtps://", u.Scheme)
	}
	opts = append(opts, gomail.WithPort(port))
	if u.User != nil {
		pw, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pw))
	}
	r, err := NewRenderer()
	if err != nil {
		return nil, err
	}
	redacted := *u
	if u.User != nil {
		redacted.User = url.User(u.User.Username())
	}
	return &Sender{opts: opts, host: host, from: cfg.From, domain: from.Address[strings.LastIndexByte(from.Address, '@')+1:],
		renderer: r, redacted: redacted.String()}, nil
}

// String is the server's URL without its password, for logs.
func (s *Sender) String() string { return s.redacted }

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Send renders m and delivers it. A refusal that retrying cannot fix (a
// permanent SMTP error, a bad address) wraps admin.ErrMailRejected.
func (s *Sender) Send(ctx context.Context, m *admin.Mail) error {
	msg, err := s.message(m)
	if err != nil {
		return fmt.Errorf("%w: %v", admin.ErrMailRejected, err)
	}
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return err
	}
	err = c.DialAndSendWithContext(ctx, msg)
	var se *gomail.SendError
	if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
		return fmt.Errorf("%w: %v", admin.ErrMailRejected, err)
	}
	return err
}

// message builds the MIME message: text and HTML alternatives.
func (s *Sender) message(m *admin.Mail) (*gomail.Msg, error) {
	r, err := s.renderer.Render(m)
	if err != nil {
		return nil, err
	}
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return nil, err
	}
	if err := msg.To(m.To); err != nil {
		return nil, err
	}
	if len(m.Cc) > 0 {
		if err := msg.Cc(m.Cc...); err != nil {
			return nil, err
		}
	}
	msg.Subject(r.Subject)
	msg.SetMessageIDWithValue(m.ID + "@" + s.domain)
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, r.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, r.HTML)
	return msg, nil
}
