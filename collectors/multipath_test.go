package collectors

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMultipathdPaths(t *testing.T) {
	t.Parallel()
	got, err := parseMultipathdPaths([]byte("sdb|mpatha|active|ready|running\n\nsdc|mpatha|failed|i/o pending|offline\n sdd | mpathb | active | ghost | running \n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []multipathdPath{
		{Dev: "sdb", Map: "mpatha", DMState: "active", CheckerState: "ready", DevState: "running"},
		{Dev: "sdc", Map: "mpatha", DMState: "failed", CheckerState: "i/o pending", DevState: "offline"},
		{Dev: "sdd", Map: "mpathb", DMState: "active", CheckerState: "ghost", DevState: "running"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	got, err = parseMultipathdPaths([]byte("sdb|mpatha|active|ready|running\nsdc mpatha active\n../x|m|a|r|r\n"))
	if err == nil || len(got) != 1 || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("bad lines: got %+v, err %v", got, err)
	}
}

func TestPathState(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		p    MultipathPath
		want string
	}{
		{MultipathPath{DeviceState: "running"}, PathActive},
		{MultipathPath{DeviceState: "running", DMState: "active", CheckerState: "ready"}, PathActive},
		{MultipathPath{DeviceState: "running", DMState: "active", CheckerState: "ghost"}, PathActive},
		{MultipathPath{DeviceState: "running", DMState: "failed", CheckerState: "faulty"}, PathFailed},
		{MultipathPath{DeviceState: "running", DMState: "active", CheckerState: "shaky"}, PathFaulty},
		{MultipathPath{DeviceState: "offline", DMState: "active"}, "offline"},
		{MultipathPath{DeviceState: "transport-offline"}, "transport-offline"},
		{MultipathPath{DeviceState: PathMissing, DMState: "active"}, PathMissing},
		{MultipathPath{}, PathUnknown},
		{MultipathPath{DMState: "active", CheckerState: "ready"}, PathActive},
	} {
		if got := pathState(&c.p); got != c.want {
			t.Errorf("%+v: %q, want %q", c.p, got, c.want)
		}
	}
}

// TestCollectMultipathFixtures reads the fixture trees: the dm map, its
// slaves, their device state and the captured multipathd table.
func TestCollectMultipathFixtures(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "testdata", "multipath_path_failed")
	maps, errs := multipathSource{}.collect(context.Background(), TreeRoots(root))
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	want := []MultipathMap{{Name: "mpatha", Device: "dm-0", WWID: "3600508b1001c5a0e2c6e6bd7d6b9b1a2", Paths: []MultipathPath{
		{Name: "sdb", DeviceState: "running", DMState: "active", CheckerState: "ready", State: PathActive},
		{Name: "sdc", DeviceState: "offline", DMState: "failed", CheckerState: "faulty", State: "offline"},
	}}}
	if d := cmp.Diff(want, maps); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// TestCollectMultipathGonePath: a path hot-unplugged leaves a dangling
// slaves/ link: the path is missing, not an error; a dm device that is not
// multipath (LVM) is skipped.
func TestCollectMultipathGonePath(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"sys/block/dm-0":                                                  "->../devices/virtual/block/dm-0",
		"sys/devices/virtual/block/dm-0/dm/uuid":                          "mpath-36001405abcdef\n",
		"sys/devices/virtual/block/dm-0/dm/name":                          "mpatha\n",
		"sys/devices/virtual/block/dm-0/slaves/sda":                       "->../../../../platform/host0/target0:0:0/0:0:0:0/block/sda",
		"sys/devices/virtual/block/dm-0/slaves/sdb":                       "->../../../../platform/host0/target0:0:1/0:0:1:0/block/sdb",
		"sys/devices/platform/host0/target0:0:0/0:0:0:0/state":            "running\n",
		"sys/devices/platform/host0/target0:0:0/0:0:0:0/block/sda/device": "->../../../0:0:0:0",
		"sys/block/dm-1":                         "->../devices/virtual/block/dm-1",
		"sys/devices/virtual/block/dm-1/dm/uuid": "LVM-abcdef\n",
	})
	maps, errs := multipathSource{}.collect(context.Background(), TreeRoots(root))
	if len(errs) != 0 || len(maps) != 1 {
		t.Fatalf("maps %+v errs %v", maps, errs)
	}
	got := []string{maps[0].Paths[0].State, maps[0].Paths[1].State}
	if d := cmp.Diff([]string{PathActive, PathMissing}, got); d != "" {
		t.Errorf("path states (-want +got):\n%s", d)
	}
}

// TestMultipathdLiveAbsent: on a live host without multipathd installed the
// tool is not run and nothing is claimed about it.
func TestMultipathdLiveAbsent(t *testing.T) {
	t.Parallel()
	tool := storageTool{lookPath: func(string) (string, error) { return "", errors.New("not found") }}
	_, err := tool.output(context.Background(), Roots{Sys: "/sys", Live: true}, MultipathCapturePath, "multipathd", MultipathdArgs...)
	if !errors.Is(err, errToolAbsent) {
		t.Errorf("err = %v, want errToolAbsent", err)
	}
}

func FuzzParseMultipathdPaths(f *testing.F) {
	f.Add([]byte("sdb|mpatha|active|ready|running\nsdc|mpatha|failed|faulty|offline\n"))
	f.Add([]byte("x|y\n|||||\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, _ := parseMultipathdPaths(data)
		for _, p := range ps {
			if !validDevName(p.Dev) {
				t.Fatalf("invalid device name %q kept", p.Dev)
			}
		}
	})
}
