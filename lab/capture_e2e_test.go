//go:build e2e

package lab

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redwatch/redwatch/internal/cli"
)

// TestLabCapture: `redwatch capture` on a real kernel after faults. The
// guest has an active-backup bond (eth0, eth1) and a RAID1 (vda, vdb);
// eth1's cable is pulled and vdb failed. The guest audits itself, then
// captures with `capture -o -`: the archive comes out over the command
// channel (base64, binary-safe), is extracted on the host with tar and
// audited there with `audit --root`: status, findings, groups and errors
// must be the guest's.
func TestLabCapture(t *testing.T) {
	a := PrepareAssets(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	g, err := Boot(ctx, a, Spec{NICs: []NIC{{}, {}}, Disks: []Disk{{SizeMiB: 64}, {SizeMiB: 64}}, Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, act := range []Action{
		Bond("bond0", "active-backup", "eth0", "eth1"), RAID1("md0", "vda", "vdb"),
		SetLink("nic1", false), SlaveMII("bond0", "eth1", "down"),
		Shell("mdadm /dev/md0 --fail /dev/vdb && grep -q '(F)' /proc/mdstat"),
	} {
		if err := act.Run(ctx, g); err != nil {
			t.Fatalf("%s: %v%s", act.Name, err, g.diagnose())
		}
	}
	// A fresh state directory: a first pass judges no baseline, as the
	// capture (another host, no state) will not.
	const audit = "/bin/redwatch audit -o json --state-dir /tmp/capture-state"
	r, err := g.Exec(ctx, audit)
	if err != nil {
		t.Fatal(err)
	}
	guest, err := ParseVerdict([]byte(r.Stdout), r.Exit, r.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if guest.Status == "ok" || len(guest.Findings) == 0 {
		t.Fatalf("the faults gave no finding in the guest: %s", guest.Summary())
	}
	start := time.Now()
	c, err := g.Exec(ctx, "/bin/redwatch capture -o -")
	if err != nil || c.Exit != 0 {
		t.Fatalf("capture in the guest: exit %d, %v: %s", c.Exit, err, c.Stderr)
	}
	t.Logf("capture in the guest: %d bytes in %s (with the transfer); %s", len(c.Stdout), time.Since(start).Round(time.Millisecond), strings.TrimSpace(c.Stderr))

	dir := t.TempDir()
	archive := filepath.Join(t.TempDir(), "guest.tgz")
	if err := os.WriteFile(archive, []byte(c.Stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("tar", "-xzf", archive, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar -xzf: %v: %s", err, out)
	}
	var out, stderr bytes.Buffer
	code := cli.Run(ctx, []string{"audit", "--root", dir, "-o", "json"}, &out, &stderr)
	host, err := ParseVerdict([]byte(strings.ReplaceAll(out.String(), dir, "")), code, stderr.String())
	if err != nil {
		t.Fatal(err)
	}
	host.Raw, guest.Raw = "", ""
	if d := cmp.Diff(guest, host); d != "" {
		t.Errorf("the capture's verdict on the host differs from the guest's (-guest +host):\n%s", d)
	}
	t.Logf("guest and host: %s", host.Summary())
}
