//go:build e2e

package lab

import (
	"context"
	"testing"
)

func TestSmoke(t *testing.T) {
	a := PrepareAssets(t)
	g, err := Boot(context.Background(), a, Spec{NICs: []NIC{{}, {}}, Disks: []Disk{{}, {PartitionsMiB: []int{30, 30}}}, Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	out, code, err := g.Run(context.Background(), "cat /proc/mdstat; ls /dev/vd*; ip -o link; lsmod | head -30; echo err >&2; exit 3")
	t.Logf("out=%s code=%d err=%v", out, code, err)
	v, err := g.Audit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", v.Raw)
}
