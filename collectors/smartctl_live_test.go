package collectors

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/redwatch/redwatch/internal/hostfs"
)

// smartTree writes a sysfs tree with one SATA disk named name (its device
// is /dev/<name>) and, when raid is set, a megaraid_sas logical volume sdb.
func smartTree(t *testing.T, name string, raid bool) string {
	t.Helper()
	root := t.TempDir()
	sata := "pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0"
	diskTreeDisk(t, root, name, sata+"/block/"+name, sata, map[string]string{"size": "0"}, map[string]string{"state": "running"})
	if raid {
		vd := "pci0000:00/0000:00:02.0/0000:03:00.0/host1/target1:2:0/1:2:0:0"
		diskTreeDisk(t, root, "sdb", vd+"/block/sdb", vd, map[string]string{"size": "0"}, map[string]string{"state": "running"})
		diskTreeLink(t, root, "sys/devices/pci0000:00/0000:00:02.0/0000:03:00.0/driver", "../../../../bus/pci/drivers/megaraid_sas")
	}
	return filepath.Join(root, "sys")
}

func needSmartctl(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("smartctl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("smartctl missing in CI (scripts/deps-smart.sh installs it): %v", err)
		}
		t.Skipf("smartctl missing (run scripts/deps-smart.sh): %v", err)
	}
}

// TestSmartCacheRealSmartctlUnreadable runs the real smartctl on a device
// it cannot read (/dev/null, as the inventory's disk "null"): its exit
// status bit 0 makes the disk UNKNOWN with the reason, never OK.
func TestSmartCacheRealSmartctlUnreadable(t *testing.T) {
	t.Parallel()
	needSmartctl(t)
	c := &SmartCache{}
	c.Refresh(context.Background(), smartTree(t, "null", false))
	disks, errs, st, _ := c.read()
	if len(disks) != 0 || st.Source != SmartSourceSmartctl || st.ReadAt.IsZero() {
		t.Fatalf("disks %v, status %+v", disks, st)
	}
	if len(errs) != 1 || errs[0].Path != "smartctl /dev/null" || !strings.Contains(errs[0].Err.Error(), "exit status 1") ||
		!strings.Contains(errs[0].Err.Error(), "Unable to detect device type") {
		t.Errorf("errors: %v", errs)
	}
}

// TestSmartCacheMissing: without smartctl the cache says so in a note, and
// has neither disks nor errors (not UNKNOWN).
func TestSmartCacheMissing(t *testing.T) {
	t.Parallel()
	c := &SmartCache{Program: filepath.Join(t.TempDir(), "smartctl")}
	_, _, st, _ := c.read()
	if st.Source != SmartSourcePending {
		t.Errorf("before the first read: %+v", st)
	}
	c.Refresh(context.Background(), smartTree(t, "sda", false))
	disks, errs, st, _ := c.read()
	if disks != nil || errs != nil || st.Source != SmartSourceUnavailable || !strings.Contains(st.Note, "install smartmontools") {
		t.Errorf("disks %v errors %v status %+v", disks, errs, st)
	}
}

// fakeSmartctl writes a named fake smartctl (no real disk here can answer
// with SMART data): it logs its arguments, answers --scan-open with one
// MegaRAID disk and every read with the file $dir/out.json.
func fakeSmartctl(t *testing.T) (prog, dir string) {
	t.Helper()
	dir = t.TempDir()
	prog = filepath.Join(dir, "fake-smartctl")
	script := `#!/bin/sh
echo "$*" >> "` + dir + `/args.log"
case "$*" in
*--scan-open*) echo '{"devices":[{"name":"/dev/bus/1","info_name":"/dev/bus/1 [megaraid_disk_08]","type":"megaraid,8","protocol":"SCSI"}]}'; exit 0;;
esac
cat "` + dir + `/out.json"
exit 4
`
	if err := os.WriteFile(prog, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return prog, dir
}

// ataOutput is a smartctl -x output of an ATA disk with n reallocated sectors.
func ataOutput(n string) string {
	return `{"smartctl":{"exit_status":4},"device":{"name":"/dev/sda","type":"sat","protocol":"ATA"},"model_name":"ST4000NM0035",
"serial_number":"ZC1A0001","smart_status":{"passed":true},"ata_smart_attributes":{"table":[{"id":5,"raw":{"value":` + n + `}}]}}`
}

// TestSmartCacheGrowingAndMegaRAID: a counter higher than at the previous
// read is in Disk.Grew; a MegaRAID volume is not read itself, its disks are
// read with -d megaraid,N from smartctl's scan; a pass never runs smartctl
// and capture records what the cache holds.
func TestSmartCacheGrowingAndMegaRAID(t *testing.T) { // not parallel: it installs the process's one hostfs recorder
	prog, dir := fakeSmartctl(t)
	sys := smartTree(t, "sda", true)
	write := func(n string) {
		if err := os.WriteFile(filepath.Join(dir, "out.json"), []byte(ataOutput(n)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := &SmartCache{Program: prog, Concurrency: 1}
	write("3")
	c.Refresh(context.Background(), sys)
	write("7")
	c.Refresh(context.Background(), sys)
	disks, errs, _, _ := c.read()
	if len(errs) != 0 || len(disks) != 2 {
		t.Fatalf("disks %+v errors %v", disks, errs)
	}
	if disks[0].Name != "bus1-megaraid8" || disks[1].Name != "sda" {
		t.Errorf("names: %s %s", disks[0].Name, disks[1].Name)
	}
	for _, d := range disks {
		if d.Smart.Reallocated != 7 || !reflect.DeepEqual(d.Grew, map[string]int64{SmartReallocated: 3}) {
			t.Errorf("%s: reallocated %d grew %v", d.Name, d.Smart.Reallocated, d.Grew)
		}
	}
	logData, err := os.ReadFile(filepath.Join(dir, "args.log"))
	if err != nil {
		t.Fatal(err)
	}
	log := string(logData)
	if !strings.Contains(log, "--json=c -x -d megaraid,8 /dev/bus/1") || !strings.Contains(log, "--json=c -x /dev/sda") ||
		strings.Contains(log, "/dev/sdb") {
		t.Errorf("smartctl runs:\n%s", log)
	}

	// A pass reads the cache and never runs smartctl; capture records it.
	rec := hostfs.StartRecording()
	defer rec.Stop()
	part, err := smartSource{cache: c}.Collect(context.Background(), Roots{Sys: sys, Live: true})
	if err != nil {
		t.Fatal(err)
	}
	var s Snapshot
	part.Set(&s)
	if len(s.Disks) != 2 || s.Smart == nil || s.Smart.Source != SmartSourceSmartctl {
		t.Errorf("pass: %+v %+v", s.Disks, s.Smart)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "args.log")); string(after) != log {
		t.Errorf("a pass ran smartctl:\n%s", after)
	}
	names := map[string]bool{}
	for _, o := range rec.Outputs() {
		names[o.Name] = true
	}
	if !names["smartctl/sda.json"] || !names["smartctl/bus1-megaraid8.json"] {
		t.Errorf("recorded outputs: %v", names)
	}
}

// TestSmartCacheNeverTwice: a Refresh while another is under way returns
// at once without running smartctl.
func TestSmartCacheNeverTwice(t *testing.T) {
	t.Parallel()
	prog, dir := fakeSmartctl(t)
	c := &SmartCache{Program: prog}
	c.refreshing.Lock() // a Refresh under way
	c.Refresh(context.Background(), smartTree(t, "sda", false))
	c.refreshing.Unlock()
	if _, err := os.Stat(filepath.Join(dir, "args.log")); !os.IsNotExist(err) {
		t.Errorf("smartctl ran during another refresh: %v", err)
	}
	if _, _, st, _ := c.read(); st.Source != SmartSourcePending {
		t.Errorf("status %+v", st)
	}
}

func TestParseSmartScan(t *testing.T) {
	t.Parallel()
	got, err := parseSmartScan([]byte(`{"devices":[{"name":"/dev/sda","type":"sat"},{"name":"/dev/bus/0","type":"megaraid,12"},
{"name":"/dev/bus/0","type":"sat+megaraid,3"},{"name":"/dev/sg1","type":"cciss,0"},{"name":"/dev/../etc","type":"megaraid,1"},{"name":"/dev/bus/0","type":"megaraid,1 -x"}]}`))
	want := []smartTarget{{"bus0-megaraid12", "/dev/bus/0", "megaraid,12"}, {"bus0-megaraid3", "/dev/bus/0", "sat+megaraid,3"}, {"sg1-cciss0", "/dev/sg1", "cciss,0"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %v %v, want %v", got, err, want)
	}
	if _, err := parseSmartScan([]byte("not json")); err == nil {
		t.Error("no error for bad json")
	}
}

func FuzzParseSmartScan(f *testing.F) {
	f.Add([]byte(`{"devices":[{"name":"/dev/bus/0","type":"megaraid,12"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, _ := parseSmartScan(data)
		for _, x := range ts {
			if strings.Contains(x.name, "/") || strings.Contains(x.dtype, " ") {
				t.Errorf("unsafe target %+v", x)
			}
		}
	})
}

// TestSmartCacheWithoutCapability: a process without CAP_SYS_RAWIO (the
// packaged unit grants none) gets one note saying which capability and
// where the drop-in is, and runs no smartctl at all; with the capability
// the disks are read.
func TestSmartCacheWithoutCapability(t *testing.T) {
	t.Parallel()
	prog, dir := fakeSmartctl(t)
	if err := os.WriteFile(filepath.Join(dir, "out.json"), []byte(ataOutput("0")), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &SmartCache{Program: prog, Capabilities: func() (uint64, error) { return 0, nil }}
	c.Refresh(context.Background(), smartTree(t, "sda", false))
	disks, errs, st, _ := c.read()
	if disks != nil || errs != nil || st.Source != SmartSourceUnavailable || !strings.Contains(st.Note, "CAP_SYS_RAWIO") ||
		!strings.Contains(st.Note, "docs/disks.md") {
		t.Errorf("without the capability: disks %v errors %v status %+v", disks, errs, st)
	}
	if _, err := os.Stat(filepath.Join(dir, "args.log")); err == nil {
		t.Error("smartctl ran without the capability")
	}
	c = &SmartCache{Program: prog, Capabilities: func() (uint64, error) { return 1 << capSysRawio, nil }}
	c.Refresh(context.Background(), smartTree(t, "sda", false))
	if disks, _, st, _ := c.read(); len(disks) != 1 || st.Source != SmartSourceSmartctl {
		t.Errorf("with the capability: disks %v status %+v", disks, st)
	}
}

func TestParseCapEff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"Name:\tredwatch\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n", 0x1ffffffffff, true},
		{"CapEff:\t0000000000000000\n", 0, true},
		{"CapEff:\t0000000000020000", 1 << capSysRawio, true},
		{"Name:\tx\n", 0, false},
		{"CapEff:\tzz\n", 0, false},
	} {
		got, err := parseCapEff([]byte(tc.in))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseCapEff(%q) = %#x, %v; want %#x, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func FuzzParseCapEff(f *testing.F) {
	f.Add([]byte("CapEff:\t000001ffffffffff\n"))
	f.Add([]byte("CapEff:\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if n, err := parseCapEff(data); err != nil && n != 0 {
			t.Errorf("error with a value: %#x, %v", n, err)
		}
	})
}
