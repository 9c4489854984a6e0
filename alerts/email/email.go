// Package email is the email alert channel: one plain-text mail per group of
// notifications (see notify.Group), listing its alerts, sent over SMTP
// (github.com/wneessen/go-mail) with STARTTLS or implicit TLS (TLS is
// mandatory unless the configuration says tls: none), optional SMTP AUTH, and
// several recipients — or handed to the local MTA as mdadm and smartd do
// (`/usr/sbin/sendmail -t -i`), which also takes bare local names such as
// root. The subject says host, severity and what broke; the body has each
// alert's finding, the members' states and the remediation. Both are
// text/template templates that can be overridden; they are executed with the
// *notify.Group as data (.Alerts are the notifications).
package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/mail"
	"net/textproto"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/redwatch/redwatch/alerts/exec"
	"github.com/redwatch/redwatch/alerts/notify"
	"github.com/redwatch/redwatch/internal/safefile"
	"github.com/redwatch/redwatch/internal/secret"
)

// TLS modes.
const (
	TLSStartTLS = "starttls" // STARTTLS, mandatory (default); port 587
	TLSImplicit = "tls"      // implicit TLS (SMTPS); port 465
	TLSNone     = "none"     // plain SMTP, no encryption; port 25
)

// DefaultTimeout bounds one delivery when the configuration sets none.
const DefaultTimeout = 30 * time.Second

// Header names added to every mail.
const (
	HeaderNotificationID = "X-Redwatch-Notification-Id"
	HeaderFingerprint    = "X-Redwatch-Fingerprint"
)

// Transports: how the mail leaves.
const (
	TransportSMTP     = "smtp"     // to an SMTP server (host)
	TransportSendmail = "sendmail" // piped to the local MTA's sendmail -t -i
)

// DefaultSendmail is the sendmail command, as mdadm runs it: recipients from
// the headers (-t), a lone dot is no end of input (-i).
var DefaultSendmail = []string{"/usr/sbin/sendmail", "-t", "-i"}

// DefaultSubject is the subject template: the alert itself when the group
// holds one, else how many fire and resolve.
const DefaultSubject = `{{if .Test}}[TEST] {{end}}[redwatch] {{.Host}} {{upper .Severity.String}} {{if eq .Status "resolved"}}RESOLVED{{else}}FIRING{{end}}: ` +
	`{{if eq (len .Alerts) 1}}{{with index .Alerts 0}}{{.Rule}} {{.Subject}}{{end}}` +
	`{{else}}{{len .Firing}} firing, {{len .Resolved}} resolved{{range .Alerts}} · {{.Rule}} {{.Subject}}{{end}}{{end}}`

// DefaultBody is the body template: one section per alert.
const DefaultBody = `{{if .Test}}This is a test notification sent by 'redwatch notify test'. Nothing is broken.

{{end}}{{if gt (len .Alerts) 1}}{{len .Alerts}} alerts on {{.Host}}: {{len .Firing}} firing, {{len .Resolved}} resolved.

{{end}}{{range $i, $a := .Alerts}}{{if $i}}
----

{{end}}{{with $a}}{{if eq .Status "resolved"}}RESOLVED{{else}}FIRING{{end}} on {{.Host}}: {{.Message}}

Severity:  {{.Severity}}
Rule:      {{.Rule}}
Subject:   {{.Subject}}
Started:   {{rfc3339 .StartsAt}}
{{- if not .EndsAt.IsZero}}
Resolved:  {{rfc3339 .EndsAt}}{{end}}
{{- if .Maintenance}}
Note:      inside a maintenance window{{end}}
{{- if .Members}}

Members of {{.Group}}:
{{- range .Members}}
  {{printf "%-16s" .Name}} {{.State}}{{end}}{{end}}
{{- if .Facts}}

Facts:
{{- range $k, $v := .Facts}}
  {{$k}} = {{$v}}{{end}}{{end}}
{{- if .Remediation}}

What to do:
  {{.Remediation}}{{end}}
(fingerprint {{.Fingerprint}}, notification {{.ID}})
{{end}}{{end}}
{{- if .ExternalURL}}
Status page: {{.ExternalURL}}
{{end}}
--
redwatch notification {{.ID}}
`

var funcs = template.FuncMap{
	"upper":   strings.ToUpper,
	"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}

// Config is an email channel's `email:` block.
type Config struct {
	// Transport is smtp (to Host) or sendmail (the local MTA). Default: smtp
	// when Host is set, else sendmail.
	Transport string `yaml:"transport" json:"transport,omitempty"`
	// SendmailCommand is the MTA's sendmail interface and its arguments
	// (default /usr/sbin/sendmail -t -i); the message is written to its
	// standard input and the recipients are taken from its headers.
	SendmailCommand []string `yaml:"sendmail_command" json:"sendmail_command,omitempty"`
	// Host and Port are the SMTP server. Port defaults by TLS mode: 587, 465, 25.
	Host string `yaml:"host" json:"host"`
	Port int    `yaml:"port" json:"port,omitempty"`
	// TLS is starttls (default: STARTTLS required), tls (implicit TLS) or none.
	TLS string `yaml:"tls" json:"tls,omitempty"`
	// CAFile, when set, is the only CA bundle trusted for the server certificate.
	CAFile string `yaml:"ca_file" json:"ca_file,omitempty"`
	// ServerName is the name the certificate must carry (default Host).
	ServerName string `yaml:"server_name" json:"server_name,omitempty"`
	// Username enables SMTP AUTH with Password or PasswordFile.
	Username     string        `yaml:"username" json:"username,omitempty"`
	Password     secret.String `yaml:"password" json:"password,omitempty"`
	PasswordFile string        `yaml:"password_file" json:"password_file,omitempty"`
	// Auth is the SASL mechanism: plain (default), login, cram-md5, or auto
	// (the strongest the server offers).
	Auth string `yaml:"auth" json:"auth,omitempty"`
	// From and To are the sender and the recipients. With sendmail, To may
	// hold bare local names (root, as mdadm's MAILADDR) and From may be left
	// out (the MTA sets it).
	From string   `yaml:"from" json:"from"`
	To   []string `yaml:"to" json:"to"`
	// Hello is the EHLO name (default: the host name).
	Hello string `yaml:"hello" json:"hello,omitempty"`
	// Timeout bounds one delivery (default 30s).
	Timeout time.Duration `yaml:"timeout" json:"timeout,omitempty"`
	// SubjectTemplate and BodyTemplate override DefaultSubject and DefaultBody.
	SubjectTemplate string `yaml:"subject_template" json:"subject_template,omitempty"`
	BodyTemplate    string `yaml:"body_template" json:"body_template,omitempty"`
}

var authTypes = map[string]gomail.SMTPAuthType{
	"plain":    gomail.SMTPAuthPlain,
	"login":    gomail.SMTPAuthLogin,
	"cram-md5": gomail.SMTPAuthCramMD5,
	"auto":     gomail.SMTPAuthAutoDiscover,
}

// transport is the transport in force.
func (c *Config) transport() string {
	switch {
	case c.Transport != "":
		return c.Transport
	case c.Host == "":
		return TransportSendmail
	}
	return TransportSMTP
}

// localName is a bare local recipient such as root: what sendmail qualifies
// with the local domain.
var localName = regexp.MustCompile(`^[A-Za-z0-9._][A-Za-z0-9._+-]{0,63}$`)

// Validate checks the block, templates included, without reading files.
func (c *Config) Validate() error {
	var errs []error
	sendmail := c.transport() == TransportSendmail
	switch c.Transport {
	case "", TransportSMTP, TransportSendmail:
	default:
		errs = append(errs, fmt.Errorf("email: transport %q: want smtp or sendmail", c.Transport))
	}
	if c.transport() == TransportSMTP && c.Host == "" {
		errs = append(errs, errors.New("email: host is required for transport smtp"))
	}
	if sendmail && c.Host != "" {
		errs = append(errs, errors.New("email: host is for transport smtp; sendmail uses the local MTA"))
	}
	if len(c.SendmailCommand) > 0 {
		if !sendmail {
			errs = append(errs, errors.New("email: sendmail_command needs transport sendmail"))
		}
		if !filepath.IsAbs(c.SendmailCommand[0]) {
			errs = append(errs, fmt.Errorf("email: sendmail_command %q: give an absolute path", c.SendmailCommand[0]))
		}
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("email: port %d out of range", c.Port))
	}
	switch c.TLS {
	case "", TLSStartTLS, TLSImplicit, TLSNone:
	default:
		errs = append(errs, fmt.Errorf("email: tls %q: want starttls, tls or none", c.TLS))
	}
	if sendmail && c.From == "" {
		// the MTA sets the sender
	} else if _, err := mail.ParseAddress(c.From); err != nil && !(sendmail && localName.MatchString(c.From)) {
		errs = append(errs, fmt.Errorf("email: from %q: %w", c.From, err))
	}
	if len(c.To) == 0 {
		errs = append(errs, errors.New("email: to: at least one recipient is required"))
	}
	for _, to := range c.To {
		_, err := mail.ParseAddress(to)
		switch {
		case err == nil:
		case localName.MatchString(to) && sendmail:
		case localName.MatchString(to):
			errs = append(errs, fmt.Errorf("email: to %q: a bare local name needs transport sendmail (the local MTA); SMTP needs user@domain", to))
		default:
			errs = append(errs, fmt.Errorf("email: to %q: %w", to, err))
		}
	}
	if c.Username == "" && (c.Password != "" || c.PasswordFile != "") {
		errs = append(errs, errors.New("email: password without username"))
	}
	if c.Password != "" && c.PasswordFile != "" {
		errs = append(errs, errors.New("email: set password or password_file, not both"))
	}
	if c.Username != "" && c.Password == "" && c.PasswordFile == "" {
		errs = append(errs, errors.New("email: username needs password or password_file"))
	}
	if _, ok := authTypes[c.Auth]; c.Auth != "" && !ok {
		errs = append(errs, fmt.Errorf("email: auth %q: want plain, login, cram-md5 or auto", c.Auth))
	}
	if c.Timeout < 0 {
		errs = append(errs, errors.New("email: timeout must not be negative"))
	}
	if _, _, err := c.templates(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (c *Config) templates() (subject, body *template.Template, err error) {
	s, b := DefaultSubject, DefaultBody
	if c.SubjectTemplate != "" {
		s = c.SubjectTemplate
	}
	if c.BodyTemplate != "" {
		b = c.BodyTemplate
	}
	if subject, err = template.New("subject").Funcs(funcs).Option("missingkey=error").Parse(s); err != nil {
		return nil, nil, fmt.Errorf("email: subject_template: %w", err)
	}
	if body, err = template.New("body").Funcs(funcs).Option("missingkey=error").Parse(b); err != nil {
		return nil, nil, fmt.Errorf("email: body_template: %w", err)
	}
	return subject, body, nil
}

// Notifier sends mail through one SMTP server.
type Notifier struct {
	cfg      Config
	password string
	subject  *template.Template
	body     *template.Template
	tls      *tls.Config
	timeout  time.Duration
}

// New builds the notifier, reading the password and CA files.
func New(c Config) (*Notifier, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	n := &Notifier{cfg: c, timeout: c.Timeout}
	if n.timeout == 0 {
		n.timeout = DefaultTimeout
	}
	n.subject, n.body, _ = c.templates()
	if c.Username != "" {
		var err error
		if n.password, err = secret.Resolve(c.Password.Reveal(), c.PasswordFile); err != nil {
			return nil, fmt.Errorf("email: password: %w", err)
		}
	}
	serverName := c.ServerName
	if serverName == "" {
		serverName = c.Host
	}
	n.tls = &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := safefile.ReadFile(c.CAFile, notify.MaxCAFile)
		if err != nil {
			return nil, fmt.Errorf("email: ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("email: ca_file %s: no PEM certificate in it", c.CAFile)
		}
		n.tls.RootCAs = pool
	}
	return n, nil
}

// Render returns the subject (one line) and the body of the mail for g.
func (e *Notifier) Render(g *notify.Group) (subject, body string, err error) {
	var s, b strings.Builder
	if err := e.subject.Execute(&s, g); err != nil {
		return "", "", fmt.Errorf("email: subject_template: %w", err)
	}
	if err := e.body.Execute(&b, g); err != nil {
		return "", "", fmt.Errorf("email: body_template: %w", err)
	}
	return strings.Join(strings.Fields(s.String()), " "), b.String(), nil
}

func (e *Notifier) client() (*gomail.Client, int, error) {
	c := e.cfg
	opts := []gomail.Option{gomail.WithTimeout(e.timeout), gomail.WithTLSConfig(e.tls)}
	port := c.Port
	switch c.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
		if port == 0 {
			port = 465
		}
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
		if port == 0 {
			port = 25
		}
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
		if port == 0 {
			port = 587
		}
	}
	opts = append(opts, gomail.WithPort(port))
	if c.Hello != "" {
		opts = append(opts, gomail.WithHELO(c.Hello))
	}
	if c.Username != "" {
		mech := gomail.SMTPAuthPlain
		if c.Auth != "" {
			mech = authTypes[c.Auth]
		}
		opts = append(opts, gomail.WithSMTPAuth(mech), gomail.WithUsername(c.Username), gomail.WithPassword(e.password))
	}
	cl, err := gomail.NewClient(c.Host, opts...)
	if err != nil {
		return nil, 0, notify.Permanent(fmt.Errorf("email: %w", err))
	}
	return cl, port, nil
}

// Notify implements notify.Notifier.
func (e *Notifier) Notify(ctx context.Context, g *notify.Group) error {
	subject, body, err := e.Render(g)
	if err != nil {
		return notify.Permanent(err)
	}
	sendmail := e.cfg.transport() == TransportSendmail
	m := gomail.NewMsg()
	if e.cfg.From != "" {
		if err := m.From(e.cfg.From); err != nil && !sendmail {
			return notify.Permanent(fmt.Errorf("email: from: %w", err))
		} else if err != nil {
			m.SetGenHeaderPreformatted(gomail.Header(gomail.HeaderFrom), e.cfg.From)
		}
	}
	if sendmail {
		// Bare local names are no RFC 5322 address; the MTA qualifies them.
		m.SetGenHeaderPreformatted(gomail.Header(gomail.HeaderTo), strings.Join(e.cfg.To, ", "))
	} else if err := m.To(e.cfg.To...); err != nil {
		return notify.Permanent(fmt.Errorf("email: to: %w", err))
	}
	m.Subject(subject)
	m.SetBodyString(gomail.TypeTextPlain, body)
	m.SetDate()
	m.SetMessageIDWithValue(g.ID + "@" + sanitizeHost(g.Host))
	m.SetGenHeader(HeaderNotificationID, g.ID)
	m.SetGenHeader(HeaderFingerprint, strings.Join(g.Fingerprints(), ", "))
	if sendmail {
		return e.sendmail(ctx, m)
	}
	cl, port, err := e.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	if err := cl.DialAndSendWithContext(ctx, m); err != nil {
		return classify(fmt.Errorf("email: %s:%d: %w", e.cfg.Host, port, err))
	}
	return nil
}

// sendmail pipes m to the local MTA through alerts/exec (the one place in the
// alerts that starts processes), bounded by the timeout. The sendmail exit
// statuses that say the message itself is wrong (EX_USAGE, EX_DATAERR,
// EX_NOUSER, EX_NOHOST) are permanent; the rest (EX_TEMPFAIL,
// EX_UNAVAILABLE when the relay is down, a crash) are retried.
func (e *Notifier) sendmail(ctx context.Context, m *gomail.Msg) error {
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		return notify.Permanent(fmt.Errorf("email: %w", err))
	}
	argv := e.cfg.SendmailCommand
	if len(argv) == 0 {
		argv = DefaultSendmail
	}
	if err := exec.Run(ctx, argv, e.timeout, nil, buf.Bytes(), sendmailPermanent); err != nil {
		return fmt.Errorf("email: sendmail: %w", err)
	}
	return nil
}

// sendmailPermanent: EX_USAGE 64, EX_DATAERR 65, EX_NOUSER 67, EX_NOHOST 68.
func sendmailPermanent(code int) bool { return code == 64 || code == 65 || code == 67 || code == 68 }

// classify marks SMTP 5xx answers (rejected recipient, failed AUTH) permanent;
// 4xx answers, network errors and timeouts stay retryable.
func classify(err error) error {
	var se *gomail.SendError
	if errors.As(err, &se) {
		if se.IsTemp() {
			return err
		}
		if se.ErrorCode() >= 500 {
			return notify.Permanent(err)
		}
	}
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return notify.Permanent(err)
	}
	return err
}

func sanitizeHost(h string) string {
	h = strings.Map(func(r rune) rune {
		if r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return -1
	}, h)
	if h == "" {
		return "redwatch"
	}
	return h
}
