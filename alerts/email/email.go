// Package email is the email alert channel: one plain-text mail per
// notification over SMTP (github.com/wneessen/go-mail), with STARTTLS or
// implicit TLS (TLS is mandatory unless the configuration says tls: none),
// optional SMTP AUTH, and several recipients. The subject says host,
// severity and what broke; the body has the finding, the members' states and
// the remediation. Both are text/template templates that can be overridden;
// they are executed with the *notify.Notification as data.
package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/mail"
	"net/textproto"
	"os"
	"strings"
	"text/template"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/redwatch/redwatch/alerts/notify"
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

// DefaultSubject is the subject template.
const DefaultSubject = `{{if .Test}}[TEST] {{end}}[redwatch] {{.Host}} {{upper .Severity.String}} {{if eq .Status "resolved"}}RESOLVED{{else}}FIRING{{end}}: {{.Rule}} {{.Subject}}`

// DefaultBody is the body template.
const DefaultBody = `{{if .Test}}This is a test notification sent by 'redwatch notify test'. Nothing is broken.

{{end}}{{if eq .Status "resolved"}}RESOLVED{{else}}FIRING{{end}} on {{.Host}}: {{.Message}}

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
{{- if .ExternalURL}}

Status page: {{.ExternalURL}}{{end}}

--
fingerprint {{.Fingerprint}}, notification {{.ID}}
`

var funcs = template.FuncMap{
	"upper":   strings.ToUpper,
	"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}

// Config is an email channel's `email:` block.
type Config struct {
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
	// From and To are the sender and the recipients.
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

// Validate checks the block, templates included, without reading files.
func (c *Config) Validate() error {
	var errs []error
	if c.Host == "" {
		errs = append(errs, errors.New("email: host is required"))
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("email: port %d out of range", c.Port))
	}
	switch c.TLS {
	case "", TLSStartTLS, TLSImplicit, TLSNone:
	default:
		errs = append(errs, fmt.Errorf("email: tls %q: want starttls, tls or none", c.TLS))
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		errs = append(errs, fmt.Errorf("email: from %q: %w", c.From, err))
	}
	if len(c.To) == 0 {
		errs = append(errs, errors.New("email: to: at least one recipient is required"))
	}
	for _, to := range c.To {
		if _, err := mail.ParseAddress(to); err != nil {
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
		pem, err := os.ReadFile(c.CAFile)
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

// Render returns the subject (one line) and the body of the mail for n.
func (e *Notifier) Render(n *notify.Notification) (subject, body string, err error) {
	var s, b strings.Builder
	if err := e.subject.Execute(&s, n); err != nil {
		return "", "", fmt.Errorf("email: subject_template: %w", err)
	}
	if err := e.body.Execute(&b, n); err != nil {
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
func (e *Notifier) Notify(ctx context.Context, n *notify.Notification) error {
	subject, body, err := e.Render(n)
	if err != nil {
		return notify.Permanent(err)
	}
	m := gomail.NewMsg()
	if err := m.From(e.cfg.From); err != nil {
		return notify.Permanent(fmt.Errorf("email: from: %w", err))
	}
	if err := m.To(e.cfg.To...); err != nil {
		return notify.Permanent(fmt.Errorf("email: to: %w", err))
	}
	m.Subject(subject)
	m.SetBodyString(gomail.TypeTextPlain, body)
	m.SetDate()
	m.SetMessageIDWithValue(n.ID + "@" + sanitizeHost(n.Host))
	m.SetGenHeader(HeaderNotificationID, n.ID)
	m.SetGenHeader(HeaderFingerprint, n.Fingerprint)
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
