package email

import (
	"context"
	"fmt"
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
	return e.Notify(ctx, notify.Single(*n))
}

// checkMail asserts the one message Mailpit holds is the notification.
func checkMail(t *testing.T, mp *testutil.Mailpit, n *notify.Notification, to []string) {
	t.Helper()
	checkOneMail(t, mp, []string{n.Host, "CRITICAL", "FIRING", n.Rule, n.Subject},
		[]string{n.Message, "eth0", "up", "eth1", "down", n.Remediation, n.Fingerprint, n.ID, "link_failure_count = 3"},
		n.ID, n.Fingerprint, to)
}

// checkOneMail asserts Mailpit holds one message whose subject and body
// contain the wanted strings, with the ID and fingerprint headers and, when
// to is not nil, those recipients.
func checkOneMail(t *testing.T, mp *testutil.Mailpit, subject, body []string, id, fingerprints string, to []string) {
	t.Helper()
	msgs := mp.Messages(t)
	if len(msgs) != 1 {
		t.Fatalf("mailpit holds %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	for _, want := range subject {
		if !strings.Contains(m.Subject, want) {
			t.Errorf("subject %q lacks %q", m.Subject, want)
		}
	}
	for _, want := range body {
		if !strings.Contains(m.Text, want) {
			t.Errorf("body lacks %q:\n%s", want, m.Text)
		}
	}
	var got []string
	for _, a := range m.To {
		got = append(got, a.Address)
	}
	if to != nil && strings.Join(got, ",") != strings.Join(to, ",") {
		t.Errorf("to %v, want %v", got, to)
	}
	if h := m.Headers[HeaderNotificationID]; len(h) != 1 || h[0] != id {
		t.Errorf("%s = %v, want %s", HeaderNotificationID, h, id)
	}
	if h := m.Headers[HeaderFingerprint]; len(h) != 1 || h[0] != fingerprints {
		t.Errorf("%s = %v, want %s", HeaderFingerprint, h, fingerprints)
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
		SubjectTemplate: "{{.Severity}} {{range .Alerts}}{{.Subject}}{{end}}\non {{.Host}}", BodyTemplate: "remedy: {{range .Alerts}}{{.Remediation}}{{end}}"}
	e, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	n := testNotification()
	subject, body, err := e.Render(notify.Single(*n))
	if err != nil || subject != "critical bond0/eth1 on db7" || body != "remedy: check the cable on eth1" {
		t.Fatalf("render: %q %q %v", subject, body, err)
	}
	n.Status, n.EndsAt, n.Test = notify.Resolved, n.StartsAt.Add(time.Hour), true
	def, _ := New(Config{Host: "x", From: "a@example.org", To: []string{"b@example.org"}})
	subject, body, _ = def.Render(notify.Single(*n))
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
	c := Config{Transport: TransportSMTP, TLS: "ssl", From: "not an address", Username: "u", Password: "p", PasswordFile: "/f", Auth: "gssapi"}
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

// TestValidateLocalNames: a bare local name (mdadm's MAILADDR root) is a
// recipient for the local MTA, which is the transport when no SMTP host is
// given; SMTP still wants user@domain and says why.
func TestValidateLocalNames(t *testing.T) {
	local := Config{To: []string{"root"}}
	if err := local.Validate(); err != nil {
		t.Fatalf("to: [root] without a host: %v", err)
	}
	if local.transport() != TransportSendmail {
		t.Errorf("transport %q without a host, want sendmail", local.transport())
	}
	smtp := Config{Host: "mx.example.org", From: "redwatch@example.org", To: []string{"root"}}
	if err := smtp.Validate(); err == nil || !strings.Contains(err.Error(), "bare local name needs transport sendmail") {
		t.Errorf("to: [root] over SMTP: %v", err)
	}
	for _, bad := range []Config{
		{Transport: TransportSendmail, To: []string{"root"}, SendmailCommand: []string{"sendmail", "-t"}},
		{Transport: TransportSendmail, Host: "mx.example.org", To: []string{"root"}},
		{Transport: "lmtp", To: []string{"root"}},
		{To: []string{"root; rm -rf /"}},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// group3 is two firing alerts and one resolved, grouped by host.
func group3() *notify.Group {
	a, b, c := *testNotification(), *testNotification(), *testNotification()
	b.ID, b.Fingerprint, b.Rule, b.Subject, b.Severity, b.Message = "11111111111111111111111111111111", "f2f2f2f2f2f2f2f2", "md_degraded", "md0", rules.Warning, "md0 runs on 1 of 2 members"
	c.ID, c.Fingerprint, c.Rule, c.Subject, c.Message = "22222222222222222222222222222222", "f3f3f3f3f3f3f3f3", "md_degraded", "md1", "md1 runs on 1 of 2 members"
	c.Status, c.EndsAt = notify.Resolved, c.StartsAt.Add(time.Hour)
	return notify.NewGroup(map[string]string{"instance": "db7"}, []notify.Notification{a, b, c})
}

// checkGroupMail asserts Mailpit holds one mail listing the three alerts.
func checkGroupMail(t *testing.T, mp *testutil.Mailpit, g *notify.Group, to []string) {
	t.Helper()
	checkOneMail(t, mp, []string{"db7", "CRITICAL", "FIRING", "2 firing, 1 resolved", "bond-slave-down bond0/eth1", "md_degraded md1"},
		[]string{"3 alerts on db7", "bond0 lost slave eth1", "md0 runs on 1 of 2 members", "RESOLVED on db7: md1 runs",
			"notification 11111111111111111111111111111111", "eth1             down", g.ID},
		g.ID, "fedcba9876543210, f2f2f2f2f2f2f2f2, f3f3f3f3f3f3f3f3", to)
}

// TestMailpitGroup sends a group of three alerts as one mail listing them.
func TestMailpitGroup(t *testing.T) {
	mp := testutil.StartMailpit(t)
	host, port := hostPort(t, mp.SMTP)
	e, err := New(Config{Host: host, Port: port, TLS: TLSNone, From: "redwatch@db7.example.org", To: []string{"ops@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	g := group3()
	if err := e.Notify(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	checkGroupMail(t, mp, g, []string{"ops@example.org"})
}

// TestSendmailMsmtp hands the mail to a real MTA binary the way mdadm does
// (sendmail -t -i): Debian's msmtp (msmtp-mta is its /usr/sbin/sendmail),
// relaying to a Mailpit on loopback, with the recipient the bare local name
// root, which msmtp's aliases file maps as /etc/aliases would. A relay that
// refuses the connection is a retryable failure, not a dropped mail.
func TestSendmailMsmtp(t *testing.T) {
	msmtp := testutil.Binary(t, "msmtp")
	mp := testutil.StartMailpit(t)
	host, port := hostPort(t, mp.SMTP)
	dir := t.TempDir()
	aliases := filepath.Join(dir, "aliases")
	if err := os.WriteFile(aliases, []byte("root: ops@example.org\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rc := filepath.Join(dir, "msmtprc")
	writeRC := func(port int) {
		conf := fmt.Sprintf("defaults\nsyslog off\nlogfile -\naliases %s\n\naccount default\nhost %s\nport %d\nauth off\ntls off\nfrom redwatch@db7.example.org\n",
			aliases, host, port)
		if err := os.WriteFile(rc, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeRC(port)
	c := Config{To: []string{"root"}, SendmailCommand: []string{msmtp, "-C", rc, "-t", "-i"}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	e, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	g := group3()
	if err := e.Notify(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	checkGroupMail(t, mp, g, nil)
	m := mp.Messages(t)[0]
	if fmt.Sprint(m.Headers["To"]) != "[root]" {
		t.Errorf("To header %v, want the local name root", m.Headers["To"])
	}
	if len(m.Bcc) != 1 || m.Bcc[0].Address != "ops@example.org" {
		t.Errorf("envelope recipients %v, want root's alias ops@example.org", m.Bcc)
	}

	// The relay is down: msmtp fails, and the notification stays queued.
	_, downPort := hostPort(t, testutil.FreePort(t))
	writeRC(downPort)
	err = e.Notify(context.Background(), notify.Single(*testNotification()))
	if err == nil || notify.IsPermanent(err) {
		t.Fatalf("relay down: %v (permanent %v), want a retryable error", err, notify.IsPermanent(err))
	}
}
