package cli

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/redwatch/redwatch/alerts/webhook"
)

// TestNotifyTest configures three channels — a webhook that accepts (signed,
// with a bearer token from a file), a webhook that answers 400, and an SMTP
// server that is down — and checks the per-channel report, the exit code,
// and that no secret appears in anything printed.
func TestNotifyTest(t *testing.T) {
	const hmacKey, token, header, smtpPassword = "hmac-K3Y-notify", "bearer-T0KEN-notify", "hdr-S3CRET-notify", "smtp-PA55-notify"
	var mu sync.Mutex
	var got []webhook.Message
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !webhook.Verify([]byte(hmacKey), body, r.Header.Get(webhook.HeaderSignature)) ||
			r.Header.Get("Authorization") != "Bearer "+token || r.Header.Get("X-Api-Key") != header {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var m webhook.Message
		_ = json.Unmarshal(body, &m)
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	}))
	defer ok.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no such hook", 400) }))
	defer bad.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	smtpAddr := ln.Addr().(*net.TCPAddr)
	ln.Close()

	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := `alerts:
  channels:
    - name: ops
      type: webhook
      webhook:
        url: ` + ok.URL + `/hook
        hmac_secret: ` + hmacKey + `
        bearer_token_file: ` + tokenFile + `
        headers: {X-Api-Key: ` + header + `}
    - name: broken
      type: webhook
      webhook: {url: "` + bad.URL + `"}
    - name: mail
      type: email
      email:
        host: 127.0.0.1
        port: ` + strconv.Itoa(smtpAddr.Port) + `
        tls: none
        username: redwatch
        password: ` + smtpPassword + `
        from: redwatch@example.org
        to: [ops@example.org]
`
	cfgFile := filepath.Join(dir, "redwatch.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCLI(t, "notify", "test", "--config", cfgFile, "--host", "db7")
	if code != exitNotifyFailed {
		t.Errorf("exit %d, want %d\n%s\n%s", code, exitNotifyFailed, stdout, stderr)
	}
	if !strings.Contains(stdout, "ops (webhook): delivered\n") ||
		!strings.Contains(stdout, "broken (webhook): FAILED:") || !strings.Contains(stdout, "400") ||
		!strings.Contains(stdout, "mail (email): FAILED:") {
		t.Errorf("report:\n%s", stdout)
	}
	mu.Lock()
	if len(got) != 1 || got[0].Alerts[0].Labels["instance"] != "db7" || got[0].Alerts[0].Annotations["test"] != "true" {
		t.Errorf("receiver got %+v", got)
	}
	mu.Unlock()

	code, stdout2, stderr2 := runCLI(t, "notify", "test", "--config", cfgFile, "--channel", "ops")
	if code != exitOK || strings.TrimSpace(stdout2) != "ops (webhook): delivered" {
		t.Errorf("--channel ops: exit %d\n%s%s", code, stdout2, stderr2)
	}
	code, _, stderr3 := runCLI(t, "notify", "test", "--config", cfgFile, "--channel", "nope")
	if code != exitError || !strings.Contains(stderr3, `no channel "nope"`) {
		t.Errorf("unknown channel: exit %d %s", code, stderr3)
	}
	all := stdout + stderr + stdout2 + stderr2 + stderr3
	for _, s := range []string{hmacKey, token, header, smtpPassword} {
		if strings.Contains(all, s) {
			t.Errorf("output shows secret %q:\n%s", s, all)
		}
	}
}

func TestNotifyUsage(t *testing.T) {
	if code, _, stderr := runCLI(t, "notify"); code != exitError || !strings.Contains(stderr, "usage") {
		t.Errorf("no subcommand: %d %s", code, stderr)
	}
	empty := filepath.Join(t.TempDir(), "empty.yaml")
	if err := os.WriteFile(empty, []byte("alerts: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "notify", "test", "--config", empty); code != exitError || !strings.Contains(stderr, "no alert channels") {
		t.Errorf("no channels: %d %s", code, stderr)
	}
}
