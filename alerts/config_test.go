package alerts

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/redwatch/redwatch/rules"
)

const exampleYAML = `
repeat_interval: 2h
max_age: 12h
external_url: https://db7.example.org:9258/
retry: {initial: 2s, max: 1m}
group_by: [instance, severity]
group_wait: 10s
channels:
  - name: ops
    type: webhook
    min_severity: warning
    rules: ["md-*", "bond-*"]
    subjects: ["md0*"]
    webhook:
      url: https://hooks.example.org/redwatch
      headers: {X-Team: storage}
      bearer_token_file: /etc/redwatch/token
      hmac_secret_file: /etc/redwatch/hmac
      timeout: 5s
  - name: mail
    type: email
    min_severity: critical
    send_resolved: false
    email:
      host: smtp.example.org
      port: 587
      tls: starttls
      username: redwatch
      password_file: /etc/redwatch/smtp
      from: redwatch@example.org
      to: [ops@example.org, oncall@example.org]
  - name: am
    type: alertmanager
    alertmanager: {urls: ["http://am1:9093", "http://am2:9093"], resend_interval: 1m}
  - name: pager
    type: exec
    group_by: ["..."]
    group_wait: 0s
    exec: {command: [/usr/local/bin/page, --urgent], timeout: 10s}
  - name: local
    type: email
    email: {to: [root]}
`

func TestConfigYAML(t *testing.T) {
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(exampleYAML))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.RepeatInterval != 2*time.Hour || c.MaxAge != 12*time.Hour || c.Retry.Initial != 2*time.Second || len(c.Channels) != 5 {
		t.Errorf("decoded %+v", c)
	}
	ops, mail := c.Channels[0], c.Channels[1]
	if ops.MinSeverity != rules.Warning || ops.Webhook.Timeout != 5*time.Second || ops.Webhook.Headers["X-Team"].Reveal() != "storage" {
		t.Errorf("ops %+v %+v", ops, ops.Webhook)
	}
	if mail.MinSeverity != rules.Critical || mail.sendResolved() || len(mail.Email.To) != 2 {
		t.Errorf("mail %+v", mail)
	}
	if c.Channels[3].Exec.Command[1] != "--urgent" {
		t.Errorf("exec %+v", c.Channels[3].Exec)
	}
	if by := c.groupBy(&c.Channels[0]); strings.Join(by, ",") != "instance,severity" || c.groupWait(&c.Channels[0]) != 10*time.Second {
		t.Errorf("ops groups by %v after %v", by, c.groupWait(&c.Channels[0]))
	}
	if by := c.groupBy(&c.Channels[3]); len(by) != 4 || c.groupWait(&c.Channels[3]) != 0 {
		t.Errorf("pager groups by %v after %v, want every label at once", by, c.groupWait(&c.Channels[3]))
	}
	if by := (&Config{}).groupBy(&c.Channels[0]); strings.Join(by, ",") != "instance" {
		t.Errorf("default group_by %v, want [instance]", by)
	}
}

func TestConfigValidateErrors(t *testing.T) {
	c := Config{RepeatInterval: -1, GroupBy: []string{"host"}, GroupWait: -time.Second, Channels: []ChannelConfig{
		{Name: "a b", Type: "webhook"},
		{Name: "x", Type: "sms"},
		{Name: "x", Type: TypeExec, Exec: &execConfigForTest, Webhook: &webhookConfigForTest},
		{Name: "y", Type: TypeWebhook, Webhook: &webhookConfigForTest, MinSeverity: rules.Severity(7)},
		{Name: "z", Type: TypeWebhook, Webhook: &webhookConfigForTest, GroupBy: []string{"subject", "..."}},
	}}
	err := c.Validate()
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"repeat_interval", `name "a b"`, `needs a "webhook" block`, `type "sms"`,
		"duplicate channel name", `has a "webhook" block but type is "exec"`, "min_severity", `group_by: label "host"`,
		"group_wait must not be negative", `"..." (every label) stands alone`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if err := (&Config{}).Validate(); err != nil {
		t.Errorf("empty config: %v", err)
	}
}
