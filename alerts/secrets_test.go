package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/redwatch/redwatch/alerts/alertmanager"
	"github.com/redwatch/redwatch/alerts/email"
	"github.com/redwatch/redwatch/alerts/internal/testutil"
	"github.com/redwatch/redwatch/alerts/webhook"
	"github.com/redwatch/redwatch/internal/secret"
	"github.com/redwatch/redwatch/rules"
)

// TestSecretsNeverPrinted configures every kind of secret, makes every
// channel fail (so that errors and retries are logged), and greps every
// output the alerts package produces: logs, errors, metrics, the alert
// snapshot, the configuration rendered as JSON and with %+v, notify-test
// results.
func TestSecretsNeverPrinted(t *testing.T) {
	secrets := map[string]string{
		"hmac": "HMAC-s3cret-1", "bearer": "BEARER-s3cret-2", "header": "HEADER-s3cret-3",
		"tokenfile": "FILETOKEN-s3cret-4", "smtp": "SMTP-s3cret-5", "am": "AM-s3cret-6",
	}
	// The path of a webhook URL is often its credential (chat webhooks): it
	// must not reach logs, errors or metrics (the configuration itself
	// shows the URL it was given).
	const urlPath = "PATHs3cret7"
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(secrets["tokenfile"]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := newReceiver(t)
	r.setStatus(http.StatusInternalServerError)
	closed := testutil.FreePort(t)
	host, port, _ := strings.Cut(closed, ":")
	var portN int
	fmt.Sscan(port, &portN)
	cfg := Config{Channels: []ChannelConfig{
		{Name: "hook", Type: TypeWebhook, Webhook: &webhook.Config{URL: r.srv.URL + "/x/" + urlPath,
			HMACSecret: secret.String(secrets["hmac"]), BearerToken: secret.String(secrets["bearer"]),
			Headers: map[string]secret.String{"X-Key": secret.String(secrets["header"])}}},
		{Name: "hook2", Type: TypeWebhook, Webhook: &webhook.Config{URL: "http://" + closed + "/" + urlPath, BearerTokenFile: tokenFile}},
		{Name: "mail", Type: TypeEmail, Email: &email.Config{Host: host, Port: portN, TLS: email.TLSNone, Username: "u",
			Password: secret.String(secrets["smtp"]), From: "a@example.org", To: []string{"b@example.org"}}},
		{Name: "am", Type: TypeAlertmanager, Alertmanager: &alertmanager.Config{URLs: []string{r.srv.URL}, BearerToken: secret.String(secrets["am"])}},
	}}
	var out strings.Builder
	h := newHarness(t, cfg, t.TempDir())
	h.run(t)
	h.m.Process(context.Background(), result(finding("bond-slave-down", "bond0/eth1", rules.Critical)))
	for _, ch := range []string{"hook", "hook2", "mail", "am"} {
		testutil.Eventually(t, ch+" failing", func() bool {
			return counter(t, h.m, "redwatch_alert_notifications_total", ch, "retry") >= 1
		})
	}
	out.WriteString(h.log.String())

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(h.m)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	enc := expfmt.NewEncoder(&out, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range fams {
		if err := enc.Encode(f); err != nil {
			t.Fatal(err)
		}
	}
	js, _ := json.Marshal(h.m.Alerts())
	out.Write(js)
	runtimeOut := out.String()
	js, _ = json.Marshal(cfg)
	out.Write(js)
	fmt.Fprintf(&out, "%+v %+v %+v %+v %#v", *cfg.Channels[0].Webhook, *cfg.Channels[1].Webhook, *cfg.Channels[2].Email, *cfg.Channels[3].Alertmanager, *cfg.Channels[0].Webhook)

	results, err := SendTest(context.Background(), cfg, "db7", "", nil, nil, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range results {
		if res.Err == nil {
			t.Errorf("%s: test against a failing receiver succeeded", res.Channel)
			continue
		}
		out.WriteString(res.Err.Error())
	}
	// Validation errors mention the secret fields, never their values.
	bad := cfg
	bad.Channels = append([]ChannelConfig(nil), cfg.Channels...)
	wb := *cfg.Channels[0].Webhook
	wb.HMACSecretFile = "/nonexistent"
	bad.Channels[0].Webhook = &wb
	if err := bad.Validate(); err == nil {
		t.Error("inline and file secret both accepted")
	} else {
		out.WriteString(err.Error())
	}
	for _, res := range results {
		if res.Err != nil {
			runtimeOut += res.Err.Error()
		}
	}
	if strings.Contains(runtimeOut, urlPath) {
		t.Errorf("webhook URL path printed in logs, errors or metrics")
	}

	all := out.String()
	if !strings.Contains(all, "alerts: delivery failed") || !strings.Contains(all, "redwatch_alert_notifications_total") {
		t.Fatalf("the outputs under test are missing:\n%s", all)
	}
	for name, s := range secrets {
		if strings.Contains(all, s) {
			i := strings.Index(all, s)
			t.Errorf("secret %s printed: …%s…", name, all[max(0, i-120):min(len(all), i+40)])
		}
	}
}
