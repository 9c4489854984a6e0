package collectors

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redwatch/redwatch/internal/testtree"
)

// labTree is a real-kernel capture of ../shared/corpus/lab (see
// testtree.Corpus: skipped in a user's clone, a failure in CI).
func labTree(t testing.TB, name string) string {
	t.Helper()
	return filepath.Dir(testtree.Corpus(t, "lab", name, "sys"))
}

func TestParseCarrier(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int
		err  bool
	}{
		{"1", 1, false}, {"0", 0, false},
		{"banana", Unknown, true}, {"", Unknown, true}, {"2", Unknown, true}, {"01", Unknown, true}, {"-1", Unknown, true},
	}
	for _, tt := range tests {
		got, err := parseCarrier([]byte(tt.in))
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("parseCarrier(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParseSpeed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int
		err  bool
	}{
		{"10000", 10000, false}, {"100", 100, false}, {"000", 0, false}, {"0", 0, false}, {"400000", 400000, false},
		{"-1", Unknown, false}, {"65535", Unknown, false}, {"4294967295", Unknown, false},
		{"-2", Unknown, true}, {"fast", Unknown, true}, {"", Unknown, true}, {"-", Unknown, true},
		{"10 000", Unknown, true}, {"9999999999", Unknown, true}, {"99999999999", Unknown, true}, {"+100", Unknown, true},
	}
	for _, tt := range tests {
		got, err := parseSpeed([]byte(tt.in))
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("parseSpeed(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParseDuplex(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		err      bool
	}{
		{"full", "full", false}, {"half", "half", false}, {"unknown", "", false},
		{"quarter", "", true}, {"", "", true}, {"Full", "", true},
	}
	for _, tt := range tests {
		got, err := parseDuplex([]byte(tt.in))
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("parseDuplex(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParseOperState(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"} {
		if got, err := parseOperState([]byte(s)); got != s || err != nil {
			t.Errorf("parseOperState(%q) = %q, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "UP", "sideways", "up up"} {
		if got, err := parseOperState([]byte(s)); got != "" || err == nil {
			t.Errorf("parseOperState(%q) = %q, %v; want an error", s, got, err)
		}
	}
}

func FuzzParseCarrier(f *testing.F) {
	for _, s := range []string{"0", "1", "banana", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := parseCarrier(b)
		if (err == nil) != (v == 0 || v == 1) {
			t.Fatalf("parseCarrier(%q) = %d, %v", b, v, err)
		}
	})
}

func FuzzParseSpeed(f *testing.F) {
	for _, s := range []string{"10000", "-1", "65535", "4294967295", "fast", "-", "", "000"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := parseSpeed(b)
		if v < Unknown || (err != nil && v != Unknown) {
			t.Fatalf("parseSpeed(%q) = %d, %v", b, v, err)
		}
		if want, perr := strconv.ParseUint(string(b), 10, 32); err == nil && v != Unknown && (perr != nil || int(want) != v) {
			t.Fatalf("parseSpeed(%q) = %d: not the number written (%d, %v)", b, v, want, perr)
		}
	})
}

func FuzzParseDuplex(f *testing.F) {
	for _, s := range []string{"full", "half", "unknown", "quarter"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := parseDuplex(b)
		if err == nil && v != "full" && v != "half" && v != "" || err != nil && v != "" {
			t.Fatalf("parseDuplex(%q) = %q, %v", b, v, err)
		}
	})
}

func FuzzParseOperState(f *testing.F) {
	for _, s := range []string{"up", "down", "lowerlayerdown", "sideways"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := parseOperState(b)
		if (err == nil) != (v != "" && v == string(b)) {
			t.Fatalf("parseOperState(%q) = %q, %v", b, v, err)
		}
	})
}

// physical is a NIC on a PCI function with every attribute read.
func physical(name, fn string, carrier int, oper string, speed int, duplex, master, driver string) NIC {
	slot := ""
	if fn != "" {
		slot = fn[:len(fn)-2]
	}
	return NIC{Name: name, Carrier: carrier, OperState: oper, Speed: speed, Duplex: duplex,
		PCIFunction: fn, PCISlot: slot, Master: master, Driver: driver}
}

// virtual is a NIC without a device link.
func virtual(name string, carrier int, oper, master string) NIC {
	return NIC{Name: name, Carrier: carrier, OperState: oper, Speed: Unknown, Master: master, Virtual: true}
}

func TestCollectNICsFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		root string
		want []NIC
		errs map[string]string // path under sys/class/net → part of the message
	}{
		{root: "net_dual_port_bond", want: []NIC{
			virtual("bond0", 1, "up", ""),
			physical("eth0", "0000:3b:00.0", 1, "up", 10000, "full", "bond0", "ixgbe"),
			physical("eth1", "0000:3b:00.1", 1, "up", 10000, "full", "bond0", "ixgbe"),
			virtual("lo", 1, "unknown", ""),
		}},
		{root: "net_two_cards", want: []NIC{
			virtual("bond0", 1, "up", ""),
			physical("eth0", "0000:3b:00.0", 1, "up", 25000, "full", "bond0", "i40e"),
			physical("eth1", "0000:5e:00.0", 1, "up", 25000, "full", "bond0", "i40e"),
			// virtio: the device link is virtio2, its parent the PCI function; its driver is virtio_net.
			physical("eth2", "0000:00:05.0", 1, "up", Unknown, "", "", "virtio_net"),
		}},
		{root: "net_down_virtual", want: []NIC{
			virtual("br0", 0, "down", ""),
			physical("eth0", "0000:00:1f.6", Unknown, "down", Unknown, "", "", "e1000e"),
			physical("eth1", "0000:00:19.0", Unknown, "down", Unknown, "", "", ""),
			virtual("lo", 1, "unknown", ""),
			virtual("veth0", 0, "lowerlayerdown", "br0"),
		}},
		{root: "net_garbage", want: []NIC{
			physical("eth0", "0000:00:03.0", Unknown, "", Unknown, "", "", ""),
			physical("eth1", "0000:00:04.0", 1, "up", 1000, "full", "", ""),
		}, errs: map[string]string{
			"eth0/carrier":   `carrier "banana"`,
			"eth0/operstate": `operstate "sideways"`,
			"eth0/speed":     `speed "fast"`,
			"eth0/duplex":    `duplex "quarter"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.root, func(t *testing.T) {
			r := TreeRoots(filepath.Join("testdata", tt.root))
			got, errs := collectNICs(r)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("NICs (-want +got):\n%s", diff)
			}
			checkErrs(t, r, errs, tt.errs)
		})
	}
}

// checkErrs checks that errs are exactly want (path under <sys>/class/net → part of the message).
func checkErrs(t *testing.T, r Roots, errs []Error, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, e := range errs {
		rel, err := filepath.Rel(filepath.Join(r.Sys, "class/net"), e.Path)
		if err != nil || e.Collector != "net" || strings.HasPrefix(e.Reason(), "collectors: ") {
			t.Errorf("error %+v: want collector net, a path under class/net and a cause without a package prefix", e)
		}
		got[rel] = e.Reason()
	}
	for p, msg := range want {
		if !strings.Contains(got[p], msg) {
			t.Errorf("error on %s = %q, want one containing %q", p, got[p], msg)
		}
	}
	for p, msg := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("unexpected error on %s: %s", p, msg)
		}
	}
}

// TestCollectNICsDualPortSlot is the fact the single-point-of-failure rule
// needs: both bond slaves on one card share a PCI slot; on two cards they do not.
func TestCollectNICsDualPortSlot(t *testing.T) {
	t.Parallel()
	slots := func(root string) (a, b string) {
		nics, _ := collectNICs(TreeRoots(filepath.Join("testdata", root)))
		m := map[string]NIC{}
		for _, n := range nics {
			m[n.Name] = n
		}
		return m["eth0"].PCISlot, m["eth1"].PCISlot
	}
	if a, b := slots("net_dual_port_bond"); a == "" || a != b {
		t.Errorf("dual-port card: slots %q and %q, want one shared slot", a, b)
	}
	if a, b := slots("net_two_cards"); a == "" || b == "" || a == b {
		t.Errorf("two cards: slots %q and %q, want two different slots", a, b)
	}
}

// TestCollectNICsReadsEachAttributeOnce counts what one pass reads: a
// physical NIC costs one directory, four attribute files (carrier, operstate,
// speed, duplex) and four links (class entry, device, device/driver,
// master); a virtual one two files and three links.
func TestCollectNICsReadsEachAttributeOnce(t *testing.T) {
	t.Parallel()
	rd := newNICReader(filepath.Join("testdata", "net_dual_port_bond", "sys"), nil)
	nics, errs := rd.readAll()
	if len(nics) != 4 || len(errs) != 0 {
		t.Fatalf("readAll() = %d NICs, %v", len(nics), errs)
	}
	const phys, virt = 2, 2
	if want := phys*4 + virt*2; rd.opens != want {
		t.Errorf("files opened = %d, want %d", rd.opens, want)
	}
	if want := phys*4 + virt*3; rd.links != want {
		t.Errorf("links read = %d, want %d", rd.links, want)
	}
	if rd.dirs != 4 {
		t.Errorf("interface directories opened = %d, want 4", rd.dirs)
	}
}

// writeTree creates files (content) and symlinks ("->target") under dir.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if target, ok := strings.CutPrefix(c, "->"); ok {
			err = os.Symlink(target, p)
		} else {
			err = os.WriteFile(p, []byte(c), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestCollectNICsMissingClassNet(t *testing.T) {
	t.Parallel()
	nics, errs := collectNICs(TreeRoots(t.TempDir()))
	if nics != nil || errs != nil {
		t.Errorf("collectNICs(empty tree) = %v, %v; want nothing", nics, errs)
	}
}

func TestCollectNICsClassNetUnreadable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"sys/class/net": "not a directory"})
	nics, errs := collectNICs(TreeRoots(dir))
	if nics != nil || len(errs) != 1 || errs[0].Path != filepath.Join(dir, "sys/class/net") {
		t.Errorf("collectNICs() = %v, %+v; want one error on class/net", nics, errs)
	}
}

// TestCollectNICsSkipsVirtualSpeed: speed and duplex of a virtual interface
// mean nothing and are not read, so even garbage there is no error.
func TestCollectNICsSkipsVirtualSpeed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"sys/class/net/lo":                         "->../../devices/virtual/net/lo",
		"sys/devices/virtual/net/lo/carrier":       "1\n",
		"sys/devices/virtual/net/lo/operstate":     "unknown\n",
		"sys/devices/virtual/net/lo/speed":         "banana\n",
		"sys/devices/virtual/net/lo/duplex":        "banana\n",
		"sys/devices/virtual/net/lo/device_banana": "x",
	})
	nics, errs := collectNICs(TreeRoots(dir))
	want := []NIC{virtual("lo", 1, "unknown", "")}
	if !reflect.DeepEqual(nics, want) || len(errs) != 0 {
		t.Errorf("collectNICs() = %+v, %v; want %+v and no errors", nics, errs, want)
	}
}

// TestCollectNICsLinksStayInRoot: a link that leads out of the sys root is an
// Error, never followed against the real /sys; a link that leads nowhere in
// a partial tree is an Error too, not a vanished interface.
func TestCollectNICsLinksStayInRoot(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"sys/class/net/evil": "->../../../../../../../../sys/devices/virtual/net/lo",
		"sys/class/net/eth0": "->../../devices/pci0000:00/0000:00:03.0/net/eth0",
		"sys/devices/pci0000:00/0000:00:03.0/net/eth0/device":  "->../../../../../../../../../sys/devices/pci0000:00/0000:00:03.0",
		"sys/devices/pci0000:00/0000:00:03.0/net/eth0/carrier": "1\n",
		"sys/class/net/gone": "->../../devices/virtual/net/gone",
		"sys/class/net/abs":  "->/sys/devices/virtual/net/lo",
	})
	r := TreeRoots(dir)
	nics, errs := collectNICs(r)
	want := []NIC{
		{Name: "abs", Carrier: Unknown, Speed: Unknown},
		{Name: "eth0", Carrier: 1, Speed: Unknown},
		{Name: "evil", Carrier: Unknown, Speed: Unknown},
		{Name: "gone", Carrier: Unknown, Speed: Unknown},
	}
	if diff := cmp.Diff(want, nics); diff != "" {
		t.Errorf("NICs (-want +got):\n%s", diff)
	}
	checkErrs(t, r, errs, map[string]string{"abs": "absolute link target", "eth0/device": "leaves", "evil": "leaves", "gone": "no such file"})
}

// TestCollectNICsCapturedLinks: a tree that could not hold symlinks stores
// each link as a file holding its target (as the corpus under ../shared does).
func TestCollectNICsCapturedLinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dev := "sys/devices/pci0000:00/0000:00:07.1/virtio5"
	writeTree(t, dir, map[string]string{
		"sys/class/net/eth5":              "../../devices/pci0000:00/0000:00:07.1/virtio5/net/eth5\n",
		"sys/class/net/bonding_masters":   "bond2\n",
		dev + "/driver":                   "../../../../bus/virtio/drivers/virtio_net\n",
		dev + "/net/eth5/device":          "../../../virtio5\n",
		dev + "/net/eth5/master":          "../../../../../virtual/net/bond2\n",
		dev + "/net/eth5/carrier":         "0\n",
		dev + "/net/eth5/operstate":       "down\n",
		dev + "/net/eth5/speed":           "10000\n",
		dev + "/net/eth5/duplex":          "full\n",
		"sys/class/net/bad":               "two words\n",
		"sys/devices/virtual/net/x/dummy": "",
	})
	r := TreeRoots(dir)
	nics, errs := collectNICs(r)
	want := []NIC{
		{Name: "bad", Carrier: Unknown, Speed: Unknown},
		physical("eth5", "0000:00:07.1", 0, "down", 10000, "full", "bond2", "virtio_net"),
	}
	if diff := cmp.Diff(want, nics); diff != "" {
		t.Errorf("NICs (-want +got):\n%s", diff)
	}
	checkErrs(t, r, errs, map[string]string{"bad": "neither a link nor"})
}

func TestCollectNICsCorpus(t *testing.T) {
	t.Parallel()
	type fact struct {
		carrier   int
		oper      string
		master    string
		fn        string
		driver    string
		isVirtual bool
	}
	common := map[string]fact{
		"bond0": {1, "up", "", "", "", true},
		"bond1": {1, "up", "", "", "", true},
		"bond2": {1, "up", "", "", "", true},
		"eth0":  {1, "up", "bond0", "0000:00:03.0", "virtio_net", false},
		"eth1":  {1, "up", "bond0", "0000:00:04.0", "virtio_net", false},
		"eth2":  {1, "up", "bond1", "0000:00:05.0", "virtio_net", false},
		"eth3":  {1, "up", "bond1", "0000:00:06.0", "virtio_net", false},
		"eth4":  {1, "up", "bond2", "0000:00:07.0", "virtio_net", false},
		"eth5":  {1, "up", "bond2", "0000:00:07.1", "virtio_net", false},
	}
	for _, tree := range []string{"kernel61_healthy", "kernel61_faults", "kernel61_recovering"} {
		t.Run(tree, func(t *testing.T) {
			nics, errs := collectNICs(TreeRoots(labTree(t, tree)))
			if len(errs) != 0 {
				t.Errorf("errors = %+v, want none", errs)
			}
			want := map[string]fact{}
			for k, v := range common {
				want[k] = v
			}
			if tree != "kernel61_healthy" { // QEMU set_link off on eth1 and eth5
				want["eth1"] = fact{0, "down", "bond0", "0000:00:04.0", "virtio_net", false}
				want["eth5"] = fact{0, "down", "bond2", "0000:00:07.1", "virtio_net", false}
			}
			got := map[string]NIC{}
			for _, n := range nics {
				got[n.Name] = n
			}
			if lo, ok := got["lo"]; !ok || !lo.Virtual || lo.Carrier != Unknown {
				t.Errorf("lo = %+v, want virtual with carrier unknown (not captured)", lo)
			}
			if len(nics) != len(want)+1 {
				t.Errorf("%d NICs, want %d", len(nics), len(want)+1)
			}
			for name, w := range want {
				n, ok := got[name]
				if !ok {
					t.Errorf("%s missing", name)
					continue
				}
				f := fact{n.Carrier, n.OperState, n.Master, n.PCIFunction, n.Driver, n.Virtual}
				if f != w {
					t.Errorf("%s = %+v, want %+v", name, f, w)
				}
				if !n.Virtual && (n.Speed != 10000 || n.Duplex != "full") {
					t.Errorf("%s speed %d duplex %q, want 10000 full", name, n.Speed, n.Duplex)
				}
			}
			// The dual-port card: one slot, two functions.
			if got["eth4"].PCISlot != "0000:00:07" || got["eth5"].PCISlot != "0000:00:07" {
				t.Errorf("eth4/eth5 slots %q/%q, want both 0000:00:07", got["eth4"].PCISlot, got["eth5"].PCISlot)
			}
			if got["eth0"].PCISlot == got["eth1"].PCISlot {
				t.Errorf("eth0 and eth1 share slot %q, want separate cards", got["eth0"].PCISlot)
			}
		})
	}
}

// TestCollectNICsLive reads the running host's /sys (with ethtool) and checks
// each fact against what the kernel itself says, attribute by attribute.
func TestCollectNICsLive(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/sys/class/net"); err != nil {
		t.Skipf("no /sys/class/net on this host: %v", err)
	}
	r := HostRoots()
	nics, errs := collectNICs(r)
	if len(errs) != 0 {
		t.Errorf("errors on the live host = %+v, want none", errs)
	}
	if len(nics) == 0 {
		t.Fatal("no NICs on the live host (lo at least exists)")
	}
	_, ethErr := openEthtool()
	for _, n := range nics {
		base := filepath.Join("/sys/class/net", n.Name)
		b, err := os.ReadFile(filepath.Join(base, "carrier"))
		switch {
		case errors.Is(err, syscall.EINVAL): // down: the kernel has no carrier
			if n.Carrier != Unknown {
				t.Errorf("%s: carrier read fails with EINVAL, collected %d, want Unknown", n.Name, n.Carrier)
			}
		case err == nil:
			if want := strings.TrimSpace(string(b)); fmt.Sprint(n.Carrier) != want {
				t.Errorf("%s: carrier %d, kernel says %s", n.Name, n.Carrier, want)
			}
		}
		dev, err := filepath.EvalSymlinks(filepath.Join(base, "device"))
		if n.Virtual != (err != nil) {
			t.Errorf("%s: virtual %v, device link resolves: %v", n.Name, n.Virtual, err)
		}
		if err == nil {
			if fn, _ := pciFunctionOnPath(dev); fn != n.PCIFunction {
				t.Errorf("%s: PCI function %q, kernel's resolved device path %s", n.Name, n.PCIFunction, dev)
			}
		}
		if n.Virtual && (n.LinkDetected != nil || n.BusInfo != "") {
			t.Errorf("%s: virtual, but asked ethtool", n.Name)
		}
		if _, ok := parsePCIFunction(n.BusInfo); ok && n.BusInfo != n.PCIFunction {
			t.Errorf("%s: ethtool bus-info %s, sysfs PCI function %s", n.Name, n.BusInfo, n.PCIFunction)
		}
		if ethErr == nil && !n.Virtual && n.LinkDetected != nil && n.Carrier != Unknown && *n.LinkDetected != (n.Carrier == 1) {
			t.Errorf("%s: ethtool link detected %v, carrier %d", n.Name, *n.LinkDetected, n.Carrier)
		}
		t.Logf("%+v", n)
	}
}

// BenchmarkCollectNICs reads 128 physical NICs (64 dual-port cards, each
// pair in a bond) and their 64 bonds from a generated tree.
func BenchmarkCollectNICs(b *testing.B) {
	dir := b.TempDir()
	files := map[string]string{}
	for i := 0; i < 128; i++ {
		bond := fmt.Sprintf("bond%d", i/2)
		name := fmt.Sprintf("eth%d", i)
		fn := fmt.Sprintf("0000:%02x:00.%d", 0x10+i/2, i%2)
		dev := fmt.Sprintf("sys/devices/pci0000:%02x/0000:%02x:00.0/%s", i/64, i/64, fn)
		files["sys/class/net/"+name] = "->../../" + strings.TrimPrefix(dev, "sys/") + "/net/" + name
		files[dev+"/driver"] = "->../../../../bus/pci/drivers/ice"
		files[dev+"/net/"+name+"/device"] = "->../../../" + fn
		files[dev+"/net/"+name+"/master"] = "->../../../../../virtual/net/" + bond
		files[dev+"/net/"+name+"/carrier"] = "1\n"
		files[dev+"/net/"+name+"/operstate"] = "up\n"
		files[dev+"/net/"+name+"/speed"] = "25000\n"
		files[dev+"/net/"+name+"/duplex"] = "full\n"
		if i%2 == 0 {
			files["sys/class/net/"+bond] = "->../../devices/virtual/net/" + bond
			files["sys/devices/virtual/net/"+bond+"/carrier"] = "1\n"
			files["sys/devices/virtual/net/"+bond+"/operstate"] = "up\n"
		}
	}
	writeTree(b, dir, files)
	r := TreeRoots(dir)
	if nics, errs := collectNICs(r); len(nics) != 192 || len(errs) != 0 {
		b.Fatalf("collectNICs() = %d NICs, %v", len(nics), errs)
	}
	b.ReportAllocs()
	var syscalls int
	for b.Loop() {
		rd := newNICReader(r.Sys, nil)
		if nics, _ := rd.readAll(); len(nics) != 192 {
			b.Fatalf("%d NICs", len(nics))
		}
		syscalls = rd.opens + rd.links + rd.dirs
	}
	b.ReportMetric(float64(syscalls)/192, "opens+links/NIC")
}

// TestCollectNICsVanished: an interface listed but gone by the time it is read
// (a container's veth deleted mid-pass) is dropped, not an Error.
func TestCollectNICsVanished(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"sys/class/net/lo": "->../../devices/virtual/net/lo", "sys/devices/virtual/net/lo/carrier": "1\n"})
	rd := newNICReader(filepath.Join(dir, "sys"), nil)
	done, err := rd.open()
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	if n, ok := rd.read("veth9a8b7c"); ok || len(rd.errs) != 0 {
		t.Errorf("read(vanished) = %+v, %v, errors %v; want dropped without error", n, ok, rd.errs)
	}
	if n, ok := rd.read("lo"); !ok || n.Carrier != 1 {
		t.Errorf("read(lo) = %+v, %v", n, ok)
	}
}

func FuzzResolveLink(f *testing.F) {
	f.Add("/tmp/t/sys", "class/net", "../../devices/pci0000:00/0000:00:05.0/virtio2/net/eth0")
	f.Add("/sys", "devices/virtual/net/lo", "../../../../../etc")
	f.Add("/", "sys/class/net", "/etc/passwd")
	f.Add("relative/sys", "class/net", "../..")
	f.Fuzz(func(t *testing.T, sys, dir, target string) {
		rd := newNICReader(sys, nil)
		p, err := rd.resolve(filepath.Join(rd.sys, dir), []byte(target))
		if err != nil {
			return
		}
		if want := filepath.Join(rd.sys, dir, target); p != want {
			t.Fatalf("resolve(%q, %q) = %q, want filepath.Join's %q", dir, target, p, want)
		}
		if !strings.HasPrefix(p, rd.sys) || len(p) <= len(rd.sys) || (rd.sys != "/" && p[len(rd.sys)] != '/') {
			t.Fatalf("resolve(%q, %q) under %q = %q: outside the sys root", dir, target, rd.sys, p)
		}
		fn, _ := pciFunctionOnPath(p[len(rd.sys):])
		if fn != "" && !strings.Contains(p[len(rd.sys):], fn) {
			t.Fatalf("PCI function %q not on %q", fn, p)
		}
	})
}
