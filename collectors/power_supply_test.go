package collectors

import (
	"bufio"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/redwatch/redwatch/ipmi"

	"github.com/google/go-cmp/cmp"

	"github.com/redwatch/redwatch/internal/testtree"
)

func TestParsePowerSupplyUevent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr string // substring of the error; "" means no error
	}{
		{
			name: "ACPI AC without TYPE (node_exporter fixture)",
			in:   "POWER_SUPPLY_NAME=AC\nPOWER_SUPPLY_ONLINE=0\n",
			want: map[string]string{"POWER_SUPPLY_NAME": "AC", "POWER_SUPPLY_ONLINE": "0"},
		},
		{
			name: "server PSU",
			in:   "POWER_SUPPLY_NAME=PS1\nPOWER_SUPPLY_TYPE=Mains\nPOWER_SUPPLY_ONLINE=1\nPOWER_SUPPLY_PRESENT=1\nPOWER_SUPPLY_HEALTH=Good\n",
			want: map[string]string{"POWER_SUPPLY_NAME": "PS1", "POWER_SUPPLY_TYPE": "Mains", "POWER_SUPPLY_ONLINE": "1", "POWER_SUPPLY_PRESENT": "1", "POWER_SUPPLY_HEALTH": "Good"},
		},
		{
			name: "value kept verbatim: leading space, spaces, '=' inside",
			in:   "POWER_SUPPLY_SERIAL_NUMBER= 2958\nPOWER_SUPPLY_MODEL_NAME=DELL PN1VN08\nPOWER_SUPPLY_STATUS=Not charging\nX=a=b\n",
			want: map[string]string{"POWER_SUPPLY_SERIAL_NUMBER": " 2958", "POWER_SUPPLY_MODEL_NAME": "DELL PN1VN08", "POWER_SUPPLY_STATUS": "Not charging", "X": "a=b"},
		},
		{
			name: "no trailing newline, blank lines, empty value",
			in:   "\nPOWER_SUPPLY_NAME=vac\n\nPOWER_SUPPLY_MANUFACTURER=\nPOWER_SUPPLY_PRESENT=0",
			want: map[string]string{"POWER_SUPPLY_NAME": "vac", "POWER_SUPPLY_MANUFACTURER": "", "POWER_SUPPLY_PRESENT": "0"},
		},
		{name: "empty file", in: "", want: map[string]string{}},
		{name: "line without =", in: "POWER_SUPPLY_NAME=AC\ngarbage\n", wantErr: "line 2"},
		{name: "empty key", in: "=Mains\n", wantErr: "bad key"},
		{name: "key with a space", in: "POWER SUPPLY=1\n", wantErr: "bad key"},
		{name: "whitespace-only line", in: "A=1\n  \n", wantErr: "not KEY=VALUE"},
		{name: "duplicate key", in: "POWER_SUPPLY_ONLINE=1\nPOWER_SUPPLY_ONLINE=0\n", wantErr: "given twice"},
		{name: "binary", in: "\x00\x01\x02", wantErr: "not KEY=VALUE"},
		{name: "key too long", in: strings.Repeat("K", maxUeventKey+1) + "=1\n", wantErr: "bad key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePowerSupplyUevent([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.HasPrefix(err.Error(), "collectors: ") {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if got != nil {
					t.Errorf("map on error = %v, want nil", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzParsePowerSupplyUevent(f *testing.F) {
	if dir := filepath.Join("..", "..", "shared", "corpus", "power_supply"); psuDirExists(dir) {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (d.Name() == "uevent" || strings.HasSuffix(d.Name(), ".uevent")) {
				if b, err := os.ReadFile(path); err == nil {
					f.Add(b)
				}
			}
			return nil
		})
	}
	f.Add([]byte("POWER_SUPPLY_NAME=PS1\nPOWER_SUPPLY_TYPE=Mains\nPOWER_SUPPLY_ONLINE=1\n"))
	f.Add([]byte("POWER_SUPPLY_SERIAL_NUMBER= 29\r\n\nX=a=b"))
	f.Add([]byte("=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		kv, err := parsePowerSupplyUevent(data)
		if err != nil {
			if kv != nil || strings.HasPrefix(err.Error(), "collectors: ") {
				t.Fatalf("error %v with map %v", err, kv)
			}
			return
		}
		var b strings.Builder
		for k, v := range kv {
			if !validUeventKey(k) {
				t.Fatalf("bad key %q accepted", k)
			}
			if strings.Contains(v, "\n") {
				t.Fatalf("value of %s spans lines: %q", k, v)
			}
			b.WriteString(k + "=" + v + "\n")
		}
		// What parsed once parses again to the same map.
		again, err := parsePowerSupplyUevent([]byte(b.String()))
		if err != nil || !maps.Equal(kv, again) {
			t.Fatalf("round trip: %v, %v != %v", err, again, kv)
		}
	})
}

// psuDirExists reports whether dir is a directory.
func psuDirExists(dir string) bool {
	fi, err := os.Stat(dir)
	return err == nil && fi.IsDir()
}

// psuWrite writes files (path relative to root -> content) under root.
func psuWrite(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func mains(name string, online, present int) PSU {
	return PSU{Name: name, Type: PSUTypeMains, Online: online, Present: present, Source: PSUSourceSysfs, Slot: ipmi.SupplySlot(name)}
}

// TestCollectPSUsFixtures reads the fixture trees under testdata/psu_*, laid
// out as the kernel lays them out (class symlinks into /sys/devices).
func TestCollectPSUsFixtures(t *testing.T) {
	t.Parallel()
	tests := map[string][]PSU{
		"psu_two_healthy":  {mains("PS1", 1, Unknown), mains("PS2", 1, Unknown)},
		"psu_one_offline":  {mains("PS1", 1, Unknown), mains("PS2", 0, Unknown)},
		"psu_one_vanished": {mains("PS1", 1, Unknown)},
		"psu_none_online":  {mains("PS1", 0, Unknown), mains("PS2", 0, Unknown)},
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			root := filepath.Join("..", "testdata", name)
			link := filepath.Join(root, "sys", "class", "power_supply", "PS1")
			if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
				t.Fatalf("%s is not a symlink as in sysfs: %v", link, err)
			}
			got, errs := collectPSUs(TreeRoots(root))
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("supplies (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCollectPSUsNoClassDir(t *testing.T) {
	t.Parallel()
	got, errs := collectPSUs(Roots{Sys: t.TempDir()})
	if got != nil || errs != nil {
		t.Errorf("no power_supply class: got %v, %v; want nothing", got, errs)
	}
}

func TestCollectPSUsClassNotADir(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	psuWrite(t, root, map[string]string{"class/power_supply": "x"})
	got, errs := collectPSUs(Roots{Sys: root})
	if got != nil || len(errs) != 1 || errs[0].Collector != "power" || !strings.HasSuffix(errs[0].Path, "class/power_supply") {
		t.Errorf("got %v, %v; want one power error for the class directory", got, errs)
	}
}

func TestCollectPSUsSources(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	ps := "class/power_supply/"
	psuWrite(t, root, map[string]string{
		// uevent without TYPE: the type file says Mains.
		ps + "AC/uevent": "POWER_SUPPLY_NAME=AC\nPOWER_SUPPLY_ONLINE=0\n",
		ps + "AC/type":   "Mains\n",
		ps + "AC/online": "1\n", // never read: the uevent has ONLINE and wins
		// No uevent at all: every fact from its attribute file.
		ps + "PS2/type":    "Mains\n",
		ps + "PS2/online":  "1\n",
		ps + "PS2/present": "1\n",
		ps + "PS2/health":  "Overheat\n",
		// Everything in the uevent, with the values' whitespace trimmed.
		ps + "BAT0/uevent": "POWER_SUPPLY_NAME=BAT0\nPOWER_SUPPLY_TYPE=Battery\nPOWER_SUPPLY_STATUS=Not charging\nPOWER_SUPPLY_PRESENT=1\nPOWER_SUPPLY_HEALTH=Good \nPOWER_SUPPLY_SCOPE=System\n",
		// A stray file in the class directory is not a supply.
		ps + "README": "not a supply",
	})
	// Attribute "files" that are directories fail to read: proof that the
	// uevent alone was used for BAT0.
	for _, a := range []string{"type", "status", "present", "health", "scope"} {
		if err := os.MkdirAll(filepath.Join(root, ps, "BAT0", a), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got, errs := collectPSUs(Roots{Sys: root})
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	want := []PSU{
		{Name: "AC", Type: "Mains", Online: 0, Present: Unknown, Source: "sysfs"},
		{Name: "BAT0", Type: "Battery", Online: Unknown, Present: 1, Status: "Not charging", Health: "Good", Scope: "System", Source: "sysfs"},
		{Name: "PS2", Type: "Mains", Online: 1, Present: 1, Health: "Overheat", Source: "sysfs", Slot: "2"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("supplies (-want +got):\n%s", diff)
	}
	if got[0].IsMains() != true || got[1].IsMains() != false {
		t.Errorf("IsMains: AC %v, BAT0 %v", got[0].IsMains(), got[1].IsMains())
	}
	if (PSU{Type: "Mains", Scope: "Device"}).IsMains() {
		t.Error("a device-scoped Mains supply counts as the system's")
	}
}

// TestCollectPSUsErrors checks that what cannot be read or parsed is an
// Error with the path, and the supply is still listed.
func TestCollectPSUsErrors(t *testing.T) {
	t.Parallel()
	ps := "class/power_supply/"
	tests := []struct {
		name    string
		files   map[string]string
		path    string // suffix of the error's path
		wantErr string
		want    PSU
	}{
		{
			name:  "unparsable uevent, attributes still read",
			files: map[string]string{ps + "PS1/uevent": "POWER_SUPPLY_NAME=PS1\ngarbage\n", ps + "PS1/type": "Mains", ps + "PS1/online": "1"},
			path:  "PS1/uevent", wantErr: "not KEY=VALUE",
			want: PSU{Name: "PS1", Type: "Mains", Online: 1, Present: Unknown, Source: "sysfs", Slot: "1"},
		},
		{
			name:  "online not a number",
			files: map[string]string{ps + "PS1/uevent": "POWER_SUPPLY_TYPE=Mains\nPOWER_SUPPLY_ONLINE=yes\n"},
			path:  "PS1/uevent", wantErr: `POWER_SUPPLY_ONLINE is "yes"`,
			want: PSU{Name: "PS1", Type: "Mains", Online: Unknown, Present: Unknown, Source: "sysfs", Slot: "1"},
		},
		{
			name:  "present negative in the attribute file",
			files: map[string]string{ps + "PS1/uevent": "POWER_SUPPLY_TYPE=Mains\nPOWER_SUPPLY_ONLINE=1\n", ps + "PS1/present": "-1\n"},
			path:  "PS1/present", wantErr: "not a non-negative integer",
			want: PSU{Name: "PS1", Type: "Mains", Online: 1, Present: Unknown, Source: "sysfs", Slot: "1"},
		},
		{
			name:  "no type anywhere",
			files: map[string]string{ps + "X/uevent": "POWER_SUPPLY_NAME=X\nPOWER_SUPPLY_ONLINE=1\n"},
			path:  "X/type", wantErr: "has no type",
			want: PSU{Name: "X", Online: 1, Present: Unknown, Source: "sysfs"},
		},
		{
			name:  "mains without an online state",
			files: map[string]string{ps + "PS1/uevent": "POWER_SUPPLY_TYPE=Mains\nPOWER_SUPPLY_PRESENT=1\n"},
			path:  "PS1/online", wantErr: "no online state",
			want: PSU{Name: "PS1", Type: "Mains", Online: Unknown, Present: 1, Source: "sysfs", Slot: "1"},
		},
		{
			name:  "uevent larger than a page",
			files: map[string]string{ps + "PS1/uevent": strings.Repeat("POWER_SUPPLY_X=1\n", 300), ps + "PS1/type": "Mains", ps + "PS1/online": "1"},
			path:  "PS1/uevent", wantErr: "truncated",
			want: PSU{Name: "PS1", Type: "Mains", Online: 1, Present: Unknown, Source: "sysfs", Slot: "1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			psuWrite(t, root, tt.files)
			got, errs := collectPSUs(Roots{Sys: root})
			if len(errs) != 1 {
				t.Fatalf("errors = %v, want exactly one", errs)
			}
			e := errs[0]
			if e.Collector != "power" || !strings.HasSuffix(e.Path, tt.path) || !strings.Contains(e.Reason(), tt.wantErr) || strings.HasPrefix(e.Reason(), "collectors: ") {
				t.Errorf("error = %+v, want power error at *%s containing %q", e, tt.path, tt.wantErr)
			}
			if len(got) != 1 || !reflect.DeepEqual(got[0], tt.want) {
				t.Errorf("got %+v, want [%+v]", got, tt.want)
			}
		})
	}
}

func TestCollectPSUsUnreadable(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "class", "power_supply")
	psuWrite(t, root, map[string]string{"class/power_supply/PS1/uevent": "POWER_SUPPLY_TYPE=Mains\nPOWER_SUPPLY_ONLINE=1\n"})
	// A dangling class symlink: the supply exists but cannot be read.
	if err := os.Symlink("../../devices/gone/power_supply/PS2", filepath.Join(dir, "PS2")); err != nil {
		t.Fatal(err)
	}
	// A uevent that cannot be read (a directory here) and no attribute
	// files: the read error is reported with the facts it hid.
	if err := os.MkdirAll(filepath.Join(dir, "PS3", "uevent"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, errs := collectPSUs(Roots{Sys: root})
	want := []PSU{
		{Name: "PS1", Type: PSUTypeMains, Online: 1, Present: Unknown, Source: "sysfs", Slot: "1"},
		{Name: "PS3", Online: Unknown, Present: Unknown, Source: "sysfs", Slot: "3"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("supplies (-want +got):\n%s", diff)
	}
	var paths []string
	for _, e := range errs {
		paths = append(paths, strings.TrimPrefix(e.Path, dir+"/"))
		if e.Collector != "power" || strings.HasPrefix(e.Reason(), "collectors: ") {
			t.Errorf("bad error %+v", e)
		}
	}
	if want := []string{"PS2", "PS3/uevent", "PS3/type"}; !slices.Equal(paths, want) {
		t.Errorf("error paths = %v, want %v (%v)", paths, want, errs)
	}
	if len(errs) > 0 && !strings.Contains(errs[0].Reason(), "no such file") {
		t.Errorf("dangling link error = %q", errs[0].Reason())
	}
}

// psuCorpusFacts are the facts each corpus sample must give.
var psuCorpusFacts = map[string][]PSU{
	"power_supply/fastfetch118_BAT0_charging.uevent": {
		{Name: "BAT0", Type: "Battery", Online: Unknown, Present: 1, Status: "Charging", Source: "sysfs"},
	},
	"power_supply/node_exporter_AC_offline_BAT0_discharging": {
		{Name: "AC", Type: "Mains", Online: 0, Present: Unknown, Source: "sysfs"},
		{Name: "BAT0", Type: "Battery", Online: Unknown, Present: 1, Status: "Discharging", Source: "sysfs"},
	},
	"power_supply/sp_endurance_n9_usb_vac_absent": {
		{Name: "usb", Type: "USB", Online: Unknown, Present: 0, Source: "sysfs"},
		{Name: "vac", Type: "Mains", Online: Unknown, Present: 0, Source: "sysfs"},
	},
}

// psuCorpusRoot returns the --root tree of a corpus sample: the sample itself
// for a tree, else a temporary tree with the file at its place.
func psuCorpusRoot(t testing.TB, corpus, sample, place string) string {
	t.Helper()
	src := filepath.Join(corpus, sample)
	if place == "tree" {
		return src
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	psuWrite(t, root, map[string]string{place: string(data)})
	return root
}

func TestCollectPSUsCorpus(t *testing.T) {
	t.Parallel()
	corpus := testtree.Corpus(t)
	f, err := os.Open(filepath.Join(corpus, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 || !strings.HasPrefix(cols[0], "power_supply/") {
			continue
		}
		sample, place := cols[0], cols[1]
		seen[sample] = true
		t.Run(sample, func(t *testing.T) {
			want, ok := psuCorpusFacts[sample]
			if !ok {
				t.Fatalf("no expected facts for %s: add them to psuCorpusFacts", sample)
			}
			got, errs := collectPSUs(TreeRoots(psuCorpusRoot(t, corpus, sample, place)))
			if len(errs) > 0 {
				t.Errorf("errors: %v", errs)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("supplies (-want +got):\n%s", diff)
			}
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for s := range psuCorpusFacts {
		if !seen[s] {
			t.Errorf("%s is not in MANIFEST.tsv", s)
		}
	}
}

// BenchmarkCollectPSUs reads a server with four supplies: two Mains PSUs, a
// UPS and a battery, laid out with class symlinks as in sysfs.
func BenchmarkCollectPSUs(b *testing.B) {
	root := b.TempDir()
	for i, s := range []struct{ name, uevent string }{
		{"PS1", "POWER_SUPPLY_NAME=PS1\nPOWER_SUPPLY_TYPE=Mains\nPOWER_SUPPLY_ONLINE=1\nPOWER_SUPPLY_PRESENT=1\nPOWER_SUPPLY_HEALTH=Good\nPOWER_SUPPLY_STATUS=Unknown\nPOWER_SUPPLY_SCOPE=System\n"},
		{"PS2", "POWER_SUPPLY_NAME=PS2\nPOWER_SUPPLY_TYPE=Mains\nPOWER_SUPPLY_ONLINE=1\nPOWER_SUPPLY_PRESENT=1\nPOWER_SUPPLY_HEALTH=Good\nPOWER_SUPPLY_STATUS=Unknown\nPOWER_SUPPLY_SCOPE=System\n"},
		{"ups0", "POWER_SUPPLY_NAME=ups0\nPOWER_SUPPLY_TYPE=UPS\nPOWER_SUPPLY_ONLINE=1\nPOWER_SUPPLY_PRESENT=1\nPOWER_SUPPLY_HEALTH=Good\nPOWER_SUPPLY_STATUS=Full\nPOWER_SUPPLY_SCOPE=System\n"},
		{"BAT0", "POWER_SUPPLY_NAME=BAT0\nPOWER_SUPPLY_TYPE=Battery\nPOWER_SUPPLY_ONLINE=0\nPOWER_SUPPLY_PRESENT=1\nPOWER_SUPPLY_HEALTH=Good\nPOWER_SUPPLY_STATUS=Full\nPOWER_SUPPLY_SCOPE=System\nPOWER_SUPPLY_CAPACITY=100\n"},
	} {
		dev := filepath.Join("devices", "platform", "psu."+string(rune('0'+i)), "power_supply", s.name)
		psuWrite(b, root, map[string]string{filepath.Join(dev, "uevent"): s.uevent})
		if err := os.MkdirAll(filepath.Join(root, "class", "power_supply"), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..", "..", dev), filepath.Join(root, "class", "power_supply", s.name)); err != nil {
			b.Fatal(err)
		}
	}
	r := Roots{Sys: root}
	if got, errs := collectPSUs(r); len(got) != 4 || len(errs) > 0 {
		b.Fatalf("setup: %v, %v", got, errs)
	}
	b.ReportAllocs()
	for b.Loop() {
		collectPSUs(r)
	}
}
