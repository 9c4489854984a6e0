package email

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redwatch/redwatch/alerts/internal/testutil"
	"github.com/redwatch/redwatch/alerts/notify"
	"github.com/redwatch/redwatch/rules"
)

func testNotification() *notify.Notification {
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	return &notify.Notification{
		ID: "0123456789abcdef0123456789abcdef", Fingerprint: "fedcba9876543210", Status: notify.Firing,
		Host: "db7", Rule: "bond-slave-down", Severity: rules.Critical, Subject: "bond0/eth1",
		Message: "bond0 lost slave eth1 (link down)", Remediation: "check the cable on eth1",
		Group: "bond bond0", Members: []notify.Member{{Name: "eth0", State: "up"}, {Name: "eth1", State: "down"}},
		Facts: map[string]string{"link_failure_count": "3"}, StartsAt: t0, CreatedAt: t0,
	}
}

func hostPort(t *testing.T, addr string) (string, int) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return h, n
}

func send(t *testing.T, c Config, n *notify.Notification) error {
	t.Helper()
	e, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return e.Notify(ctx, n)
}

// checkMail asserts the one message Mailpit holds is the notification.
func checkMail(t *testing.T, mp *testutil.Mailpit, n *notify.Notification, to []string) {
	t.Helper()
	msgs := mp.Messages(t)
	if len(msgs) != 1 {
		t.Fatalf("mailpit holds %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	for _, want := range []string{n.Host, "CRITICAL", "FIRING", n.Rule, n.Subject} {
		if !strings.Contains(m.Subject, want) {
			t.Errorf("subject %q lacks %q", m.Subject, want)
		}
	}
	for _, want := range []string{n.Message, "eth0", "up", "eth1", "down", n.Remediation, n.Fingerprint, n.ID, "link_failure_count = 3"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("body lacks %q:\n%s", want, m.Text)
		}
	}
	var got []string
	for _, a := range m.To {
		got = append(got, a.Address)
	}
	if strings.Join(got, ",") != strings.Join(to, ",") {
		t.Errorf("to %v, want %v", got, to)
	}
	if h := m.Headers[HeaderNotificationID]; len(h) != 1 || h[0] != n.ID {
		t.Errorf("%s = %v", HeaderNotificationID, h)
	}
	if h := m.Headers[HeaderFingerprint]; len(h) != 1 || h[0] != n.Fingerprint {
		t.Errorf("%s = %v", HeaderFingerprint, h)
	}
}

func TestMailpitPlainSMTP(t *testing.T) {
	mp := testutil.StartMailpit(t)
	host, port := hostPort(t, mp.SMTP)
	to := []string{"ops@example.org", "oncall@example.org"}
	n := testNotification()
	c := Config{Host: host, Port: port, TLS: TLSNone, From: "redwatch@db7.example.org", To: to}
	if err := send(t, c, n); err != nil {
		t.Fatal(err)
	}
	checkMail(t, mp, n, to)

	// The default is mandatory TLS: against a server without STARTTLS it
	// refuses to send in clear.
	c.TLS = ""
	err := send(t, c, n)
	if err == nil {
		t.Fatal("mandatory TLS sent to a server without STARTTLS")
	}
	if len(mp.Messages(t)) != 1 {
		t.Error("a second message arrived in clear")
	}
}

func TestMailpitSTARTTLS(t *testing.T) {
	certs := testutil.NewCerts(t, t.TempDir())
	mp := testutil.StartMailpit(t, "--smtp-tls-cert", certs.CertFile, "--smtp-tls-key", certs.KeyFile, "--smtp-require-starttls")
	host, port := hostPort(t, mp.SMTP)
	to := []string{"ops@example.org"}
	n := testNotification()
	c := Config{Host: host, Port: port, CAFile: certs.CAFile, From: "redwatch@example.org", To: to}
	if err := send(t, c, n); err != nil {
		t.Fatal(err)
	}
	checkMail(t, mp, n, to)

	// Without trusting the test CA the certificate is refused.
	c.CAFile = ""
	if err := send(t, c, n); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted certificate accepted or wrong error: %v", err)
	}
}

func TestMailpitImplicitTLS(t *testing.T) {
	certs := testutil.NewCerts(t, t.TempDir())
	mp := testutil.StartMailpit(t, "--smtp-tls-cert", certs.CertFile, "--smtp-tls-key", certs.KeyFile, "--smtp-require-tls")
	host, port := hostPort(t, mp.SMTP)
	n := testNotification()
	c := Config{Host: host, Port: port, TLS: TLSImplicit, CAFile: certs.CAFile, From: "redwatch@example.org", To: []string{"a@example.org"}}
	if err := send(t, c, n); err != nil {
		t.Fatal(err)
	}
	checkMail(t, mp, n, []string{"a@example.org"})
}

func TestMailpitAuth(t *testing.T) {
	dir := t.TempDir()
	certs := testutil.NewCerts(t, dir)
	const password = "s3cret-smtp-Pa55"
	authFile := filepath.Join(dir, "auth")
	if err := os.WriteFile(authFile, []byte("redwatch:"+password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mp := testutil.StartMailpit(t, "--smtp-tls-cert", certs.CertFile, "--smtp-tls-key", certs.KeyFile, "--smtp-auth-file", authFile)
	host, port := hostPort(t, mp.SMTP)
	pwFile := filepath.Join(dir, "smtp-password")
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n := testNotification()
	c := Config{Host: host, Port: port, CAFile: certs.CAFile, Username: "redwatch", PasswordFile: pwFile,
		From: "redwatch@example.org", To: []string{"ops@example.org"}}
	if err := send(t, c, n); err != nil {
		t.Fatal(err)
	}
	checkMail(t, mp, n, []string{"ops@example.org"})

	// A wrong password is a permanent failure, and its error does not show it.
	c.PasswordFile, c.Password = "", "wrong-Pa55word"
	err := send(t, c, n)
	if err == nil || !notify.IsPermanent(err) {
		t.Fatalf("wrong password: %v (permanent %v)", err, notify.IsPermanent(err))
	}
	if strings.Contains(err.Error(), "wrong-Pa55word") || strings.Contains(err.Error(), password) {
		t.Errorf("error shows the password: %v", err)
	}
	// Without credentials the server refuses.
	c.Username, c.Password = "", ""
	if err := send(t, c, n); err == nil {
		t.Error("server with AUTH accepted a mail without it")
	}
}

func TestUnreachableServerIsRetryable(t *testing.T) {
	host, port := hostPort(t, testutil.FreePort(t))
	err := send(t, Config{Host: host, Port: port, TLS: TLSNone, From: "a@example.org", To: []string{"b@example.org"}}, testNotification())
	if err == nil || notify.IsPermanent(err) {
		t.Fatalf("refused connection: %v, want a retryable error", err)
	}
}

func TestTemplates(t *testing.T) {
	c := Config{Host: "x", From: "a@example.org", To: []string{"b@example.org"},
		SubjectTemplate: "{{.Severity}} {{.Subject}}\non {{.Host}}", BodyTemplate: "remedy: {{.Remediation}}"}
	e, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	n := testNotification()
	subject, body, err := e.Render(n)
	if err != nil || subject != "critical bond0/eth1 on db7" || body != "remedy: check the cable on eth1" {
		t.Fatalf("render: %q %q %v", subject, body, err)
	}
	n.Status, n.EndsAt, n.Test = notify.Resolved, n.StartsAt.Add(time.Hour), true
	def, _ := New(Config{Host: "x", From: "a@example.org", To: []string{"b@example.org"}})
	subject, body, _ = def.Render(n)
	if !strings.HasPrefix(subject, "[TEST]") || !strings.Contains(subject, "RESOLVED") || !strings.Contains(body, "Resolved:  2026-03-04T06:06:07Z") {
		t.Errorf("resolved test render: %q\n%s", subject, body)
	}
	bad := c
	bad.BodyTemplate = "{{.Nope"
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "body_template") {
		t.Errorf("bad template: %v", err)
	}
}

func TestValidate(t *testing.T) {
	c := Config{TLS: "ssl", From: "not an address", Username: "u", Password: "p", PasswordFile: "/f", Auth: "gssapi"}
	err := c.Validate()
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"host is required", `tls "ssl"`, "from", "recipient", "not both", `auth "gssapi"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "\"p\"") {
		t.Errorf("error shows the password: %v", err)
	}
}
