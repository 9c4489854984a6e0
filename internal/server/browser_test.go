package server

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "write docs/status-page.png from the chromium test")

// chromiumArgs are the flags for a headless run on a machine without a
// display, a sandbox or network.
func chromiumArgs(t *testing.T) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
}

// TestStatusPageInChromium loads the status page of a degraded host in a
// real browser (Debian's chromium, headless) and checks that the rendered
// page names the failing members and where each alert's notifications are
// (delivered, queued with the error, failed); it also takes the README's
// screenshot.
func TestStatusPageInChromium(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not installed (scripts/deps-daemon.sh installs it)")
		}
		t.Skip("chromium not installed (run scripts/deps-daemon.sh)")
	}
	s := deliveringServer(t, passTime.Add(3*time.Second))
	addr := serve(t, s, "")
	url := "http://" + addr + "/"

	run := func(extra ...string) string {
		t.Helper()
		cctx, ccancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer ccancel()
		cmd := exec.CommandContext(cctx, chromium, append(chromiumArgs(t), append(extra, url)...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", extra, err, stderr.String())
		}
		return stdout.String()
	}

	dom := run("--dump-dom")
	for _, want := range []string{"eth1 · down", "(slot 1) · missing", "bond0/eth1", "md0", "critical", "db-17",
		"ops</b>: delivered", "dead</b>: queued since", "connection refused", "strict</b>: failed, dropped"} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}

	shot := filepath.Join(t.TempDir(), "status-page.png")
	run("--screenshot="+shot, "--window-size=1100,800", "--hide-scrollbars")
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10_000 {
		t.Fatalf("screenshot is not a plausible PNG (%d bytes)", len(png))
	}
	if *updateScreenshot {
		dst := filepath.Join("..", "..", "docs", "status-page.png")
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
