// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp)
// inside a test process and keeps what it receives, parsed, so that tests
// can read mail and follow its links. It can be stopped and started again
// on the same address, to play an SMTP server that goes down and returns.
package smtptest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one received e-mail.
type Message struct {
	From     string   // envelope sender
	Rcpt     []string // envelope recipients
	Header   mail.Header
	Subject  string
	To, Cc   string
	Text     string
	HTML     string
	Raw      []byte
	Received time.Time
}

var linkPattern = regexp.MustCompile(`https?://[^\s"<>]+token=[A-Za-z0-9_%.-]+`)

// Link returns the first link with a token in the text part, or "".
func (m *Message) Link() string {
	return linkPattern.FindString(m.Text)
}

// Token returns the token= parameter of the message's link, or "".
func (m *Message) Token() string {
	u, err := url.Parse(m.Link())
	if err != nil {
		return ""
	}
	return u.Query().Get("token")
}

// Server is an SMTP server on a loopback address.
type Server struct {
	Addr string // host:port

	mu       sync.Mutex
	srv      *smtp.Server
	ln       net.Listener
	msgs     []*Message
	arrived  chan struct{}
	rejectTo map[string]bool
}

// Start starts a server on a free loopback port; it stops with the test.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{arrived: make(chan struct{}), rejectTo: map[string]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("smtptest: %v", err)
	}
	s.Addr = ln.Addr().String()
	s.serve(ln)
	tb.Cleanup(s.Stop)
	return s
}

// URL is the server's address as ROSTER_SMTP_URL.
func (s *Server) URL() string { return "smtp://" + s.Addr }

func (s *Server) serve(ln net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "smtptest.invalid"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.mu.Lock()
	s.srv, s.ln = srv, ln
	s.mu.Unlock()
	go srv.Serve(ln)
}

// Stop stops the server: connections are refused until Restart.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if ln != nil {
		ln.Close() // the server may not have started serving it yet
	}
	if srv != nil {
		srv.Close()
	}
}

// Restart listens again on the same address.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the old socket may linger a moment
		if ln, err = net.Listen("tcp", s.Addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		tb.Fatalf("smtptest: restart on %s: %v", s.Addr, err)
	}
	s.serve(ln)
}

// Reject makes the server refuse the recipient for good (550).
func (s *Server) Reject(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejectTo[strings.ToLower(addr)] = true
}

// Messages returns what arrived so far, oldest first.
func (s *Server) Messages() []*Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Message(nil), s.msgs...)
}

// WaitFor waits up to timeout for a message that match accepts and
// returns the first one; it fails the test when none arrives. match runs
// under the server's lock: it must not call the Server's methods.
func (s *Server) WaitFor(tb testing.TB, timeout time.Duration, what string, match func(*Message) bool) *Message {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		for _, m := range s.msgs {
			if match(m) {
				s.mu.Unlock()
				return m
			}
		}
		ch := s.arrived
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			tb.Fatalf("smtptest: no mail %s arrived within %v (%d received)", what, timeout, len(s.Messages()))
			return nil
		}
	}
}

// WaitTo waits for a message to addr whose subject contains subject.
func (s *Server) WaitTo(tb testing.TB, addr, subject string) *Message {
	tb.Helper()
	return s.WaitFor(tb, 15*time.Second, "to "+addr+" about "+subject, func(m *Message) bool {
		return strings.Contains(strings.ToLower(m.To), strings.ToLower(addr)) && strings.Contains(m.Subject, subject)
	})
}

func (s *Server) add(m *Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	close(s.arrived)
	s.arrived = make(chan struct{})
}

type session struct {
	s    *Server
	from string
	rcpt []string
}

func (ss *session) Reset()        { ss.from, ss.rcpt = "", nil }
func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	reject := ss.s.rejectTo[strings.ToLower(to)]
	ss.s.mu.Unlock()
	if reject {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	ss.rcpt = append(ss.rcpt, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := parse(raw)
	if err != nil {
		return err
	}
	m.From, m.Rcpt, m.Received = ss.from, append([]string(nil), ss.rcpt...), time.Now()
	ss.s.add(m)
	return nil
}

var dec = new(mime.WordDecoder)

// parse reads the headers and the text and HTML parts of a message.
func parse(raw []byte) (*Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	m := &Message{Raw: raw, Header: msg.Header}
	m.Subject, _ = dec.DecodeHeader(msg.Header.Get("Subject"))
	m.To, m.Cc = msg.Header.Get("To"), msg.Header.Get("Cc")
	err = walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, m)
	return m, err
}

func walk(contentType, encoding string, body io.Reader, m *Message) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, m); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch mt {
	case "text/plain":
		m.Text = string(b)
	case "text/html":
		m.HTML = string(b)
	}
	return nil
}
