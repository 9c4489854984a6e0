//go:build e2e

package lab

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHarness checks that a guest that panics, hangs or never answers fails
// within a bounded time, with the console's tail in the error.
func TestHarness(t *testing.T) {
	a := PrepareAssets(t)
	slot := func(t *testing.T) {
		t.Parallel()
		guestSlots() <- struct{}{}
		t.Cleanup(func() { <-guestSlots() })
	}

	// A package apt does not know, or a version the archive does not have,
	// is an error that names it.
	t.Run("missing_package", func(t *testing.T) {
		c := &Cache{Dir: t.TempDir()}
		ctx := context.Background()
		if _, err := c.Fetch(ctx, "redwatch-lab-no-such-package"); err == nil || !strings.Contains(err.Error(), "redwatch-lab-no-such-package") {
			t.Errorf("fetching an unknown package: %v; want an error naming it", err)
		}
		_, err := c.FetchVersion(ctx, "mdadm", "0.0-no-such-version")
		if err == nil || !strings.Contains(err.Error(), "apt-get download mdadm=0.0-no-such-version failed") {
			t.Errorf("downloading a version that does not exist: %v; want an error naming it", err)
		}
	})

	t.Run("kernel_panic", func(t *testing.T) {
		slot(t)
		g, err := Boot(context.Background(), a, Spec{})
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		start := time.Now()
		_, _, err = g.Run(context.Background(), "echo c > /proc/sysrq-trigger; sleep 60")
		if err == nil {
			t.Fatal("a command that crashed the kernel returned no error")
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("the crash was noticed after %s", d)
		}
		for _, w := range []string{"the guest exited", "qemu exited", "Kernel panic"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("the error lacks %q:\n%v", w, err)
			}
		}
	})

	t.Run("command_hangs", func(t *testing.T) {
		slot(t)
		g, err := Boot(context.Background(), a, Spec{})
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		_, _, err = g.Run(ctx, "sleep 600")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a hung command: %v; want a deadline error", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the 2 s timeout took %s", d)
		}
		if _, _, err := g.Run(context.Background(), "true"); err == nil {
			t.Error("a guest whose command loop is stuck still accepted a command")
		}
	})

	// The NVMe fault of LAB.md: qom-set smart_critical_warning on the
	// controller, seen by smartctl in the guest. (redwatch has no NVMe rule
	// yet: this checks the harness's QOMSet, NVMe device and smartctl.)
	t.Run("nvme_critical_warning", func(t *testing.T) {
		slot(t)
		ctx := context.Background()
		g, err := Boot(ctx, a, Spec{NVMe: []Disk{{SizeMiB: 16}}})
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		health := func() (passed bool, warning int) {
			t.Helper()
			out, _, err := g.Run(ctx, "smartctl -j -H -A /dev/nvme0")
			if err != nil {
				t.Fatal(err)
			}
			var r struct {
				Status struct {
					Passed *bool `json:"passed"`
				} `json:"smart_status"`
				Log struct {
					CriticalWarning *int `json:"critical_warning"`
				} `json:"nvme_smart_health_information_log"`
			}
			if err := json.Unmarshal([]byte(out), &r); err != nil || r.Status.Passed == nil || r.Log.CriticalWarning == nil {
				t.Fatalf("smartctl -j: %v\n%s", err, out)
			}
			return *r.Status.Passed, *r.Log.CriticalWarning
		}
		if passed, w := health(); !passed || w != 0 {
			t.Fatalf("a fresh NVMe controller: passed %v, critical_warning %d", passed, w)
		}
		if err := g.QOMSet(ctx, "/machine/peripheral/nvme0", "smart_critical_warning", 1); err != nil {
			t.Fatal(err)
		}
		if passed, w := health(); passed || w != 1 {
			t.Errorf("after qom-set smart_critical_warning=1: passed %v, critical_warning %d; want false, 1", passed, w)
		}
		if _, err := g.Audit(ctx); err != nil {
			t.Errorf("redwatch audit with an NVMe disk: %v", err)
		}
	})

	// A guest whose /init cannot run: the kernel panics ("No working init
	// found") and QEMU exits; Boot must say so at once, not after 90 s.
	t.Run("init_dies", func(t *testing.T) {
		slot(t)
		b := *a
		b.Initrd = writeInitrd(t, func(ar *Archive) { ar.Bytes("init", 0o755, []byte("#!/nonexistent\n")) })
		start := time.Now()
		g, err := Boot(context.Background(), &b, Spec{})
		if err == nil {
			g.Close()
			t.Fatal("a guest without a working init booted")
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("the dead init was noticed after %s", d)
		}
		if !strings.Contains(err.Error(), "Kernel panic") {
			t.Errorf("the error does not show the panic:\n%v", err)
		}
	})

	// A guest that boots but never serves commands fails at the boot timeout.
	t.Run("boot_never_answers", func(t *testing.T) {
		slot(t)
		b := *a
		busybox := filepath.Join(a.Packages[1].Root, "bin", "busybox")
		b.Initrd = writeInitrd(t, func(ar *Archive) {
			ar.File("bin/busybox", 0o755, busybox)
			ar.CharDev("dev/console", 0o600, 5, 1)
			ar.Bytes("init", 0o755, []byte("#!/bin/busybox sh\necho lab-test: init sleeps forever\nexec /bin/busybox sleep 100000\n"))
		})
		start := time.Now()
		g, err := Boot(context.Background(), &b, Spec{BootTimeout: 10 * time.Second})
		if err == nil {
			g.Close()
			t.Fatal("a guest that never answers booted")
		}
		if d := time.Since(start); d < 10*time.Second || d > 20*time.Second {
			t.Errorf("the boot timeout of 10 s took %s", d)
		}
		if !strings.Contains(err.Error(), "init sleeps forever") {
			t.Errorf("the error does not show the console:\n%v", err)
		}
	})
}

func writeInitrd(t *testing.T, fill func(*Archive)) string {
	t.Helper()
	ar := NewArchive()
	fill(ar)
	p := filepath.Join(t.TempDir(), "initrd.gz")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := ar.WriteGzip(f); err != nil {
		t.Fatal(err)
	}
	return p
}
