package testutil

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// StartAlertmanager runs Debian's prometheus-alertmanager on a free loopback
// port, clustering off, with its own storage and a config whose only
// receiver is a webhook to hookURL; it stops when the test ends. It returns
// the base URL.
func StartAlertmanager(t *testing.T, hookURL string) string {
	t.Helper()
	bin := Binary(t, "prometheus-alertmanager", "alertmanager")
	dir := t.TempDir()
	cfg := fmt.Sprintf(`route:
  receiver: hook
  group_by: [alertname, instance, subject]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: %q
        send_resolved: true
`, hookURL)
	cfgFile := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := FreePort(t)
	base := "http://" + addr
	args := []string{"--config.file=" + cfgFile, "--storage.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr, "--cluster.listen-address=", "--log.level=debug"}
	StartServer(t, "alertmanager", dir, bin, args, func() bool {
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return base
}
