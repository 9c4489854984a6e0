package collectors

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/redwatch/redwatch/internal/hostfs"
)

// fakeProber is a FAKE ethtool: a captured tree has no kernel to answer
// ioctls, so this stands in for one to test how answers are merged.
// TestCollectNICsLive exercises the real ethtool socket.
type fakeProber struct {
	answers map[string]ethtoolInfo
	asked   []string
	closed  bool
}

func (p *fakeProber) probe(name string) ethtoolInfo {
	p.asked = append(p.asked, name)
	return p.answers[name]
}

func (p *fakeProber) close() { p.closed = true }

func TestEthtoolMerge(t *testing.T) {
	t.Parallel()
	p := &fakeProber{answers: map[string]ethtoolInfo{
		"eth0": {linkKnown: true, link: true, driver: "i40e", busInfo: "0000:3b:00.0"},
		"eth1": {linkKnown: true, link: false, driver: "i40e-custom", busInfo: "0000:5e:00.0"},
		// eth2: the driver answers nothing (EOPNOTSUPP): sysfs facts stay, nothing is added.
		"bond0": {linkKnown: true, link: true, driver: "bonding"},
	}}
	rd := newNICReader(filepath.Join("testdata", "net_two_cards", "sys"), p)
	nics, errs := rd.readAll()
	if len(errs) != 0 {
		t.Fatalf("errors = %v", errs)
	}
	if want := []string{"eth0", "eth1", "eth2"}; !reflect.DeepEqual(p.asked, want) {
		t.Errorf("asked ethtool about %v, want the physical NICs %v", p.asked, want)
	}
	got := map[string]NIC{}
	for _, n := range nics {
		got[n.Name] = n
	}
	yes, no := true, false
	checks := []struct {
		name, driver, bus string
		link              *bool
	}{
		{"eth0", "i40e", "0000:3b:00.0", &yes},
		{"eth1", "i40e-custom", "0000:5e:00.0", &no}, // ethtool's driver name wins
		{"eth2", "virtio_net", "", nil},
		{"bond0", "", "", nil},
	}
	for _, c := range checks {
		n := got[c.name]
		if n.Driver != c.driver || n.BusInfo != c.bus || !reflect.DeepEqual(n.LinkDetected, c.link) {
			t.Errorf("%s: driver %q bus %q link %v; want %q %q %v", c.name, n.Driver, n.BusInfo, n.LinkDetected, c.driver, c.bus, c.link)
		}
	}
}

func TestApplyEthtoolPCIFromBusInfo(t *testing.T) {
	t.Parallel()
	n := NIC{Name: "eth9", Carrier: 1}
	applyEthtool(&n, ethtoolInfo{busInfo: "0000:af:00.1"})
	if n.PCIFunction != "0000:af:00.1" || n.PCISlot != "0000:af:00" || n.LinkDetected != nil {
		t.Errorf("applyEthtool: %+v, want PCI function and slot from bus-info and no link", n)
	}
	// sysfs wins over bus-info; a non-PCI bus-info never becomes a PCI function.
	n = NIC{Name: "eth9", PCIFunction: "0000:00:05.0", PCISlot: "0000:00:05"}
	applyEthtool(&n, ethtoolInfo{busInfo: "0000:af:00.1"})
	m := NIC{Name: "usb0"}
	applyEthtool(&m, ethtoolInfo{busInfo: "usb-0000:00:14.0-1"})
	if n.PCIFunction != "0000:00:05.0" || m.PCIFunction != "" || m.BusInfo != "usb-0000:00:14.0-1" {
		t.Errorf("applyEthtool: %+v, %+v", n, m)
	}
}

// TestCollectNICsTreeNeverAsksEthtool: captured roots are not the running
// host, so no NIC read from a tree carries ethtool facts, even when the host
// has an interface of the same name (eth0 here and on most hosts).
func TestCollectNICsTreeNeverAsksEthtool(t *testing.T) {
	t.Parallel()
	nics, _ := collectNICs(TreeRoots(filepath.Join("testdata", "net_two_cards")))
	if len(nics) == 0 {
		t.Fatal("no NICs")
	}
	for _, n := range nics {
		if n.LinkDetected != nil || n.BusInfo != "" {
			t.Errorf("%s from a tree has ethtool facts: %+v", n.Name, n)
		}
	}
}

// TestEthtoolLive opens the real ethtool socket when the host allows it:
// interfaces that do not exist (or whose name the ioctl cannot carry) give
// nothing, and lo's "link detected" agrees with its sysfs carrier.
func TestEthtoolLive(t *testing.T) {
	t.Parallel()
	p, err := openEthtool()
	if err != nil {
		t.Skipf("ethtool socket cannot be opened here (collectNICs skips it the same way): %v", err)
	}
	defer p.close()
	if in := p.probe("no-such-if0"); !reflect.DeepEqual(in, ethtoolInfo{}) {
		t.Errorf("probe(no such interface) = %+v, want nothing", in)
	}
	if in := p.probe("a-name-longer-than-ifnamsiz"); !reflect.DeepEqual(in, ethtoolInfo{}) {
		t.Errorf("probe(long name) = %+v, want nothing", in)
	}
	b, err := os.ReadFile("/sys/class/net/lo/carrier")
	up := err == nil && strings.TrimSpace(string(b)) == "1" // EINVAL: lo is down in this namespace
	if in := p.probe("lo"); !in.linkKnown || in.link != up {
		t.Errorf("probe(lo) = %+v, want link detected %v (sysfs carrier %q, %v)", in, up, b, err)
	}
}

// TestFirmwareLLDPLive: a live i40e or ice NIC reports its firmware LLDP
// agent from ETHTOOL_GPFLAGS (the fake stands in for the ioctl: no Intel
// NIC here), recorded for a capture in ethtool --show-priv-flags form; a
// capture of it reads back the same.
func TestFirmwareLLDPLive(t *testing.T) {
	p := &fakeProber{answers: map[string]ethtoolInfo{
		"eth0": {driver: "i40e", privFlags: map[string]bool{"disable-fw-lldp": false, "link-down-on-close": false}},
		"eth1": {driver: "ice", privFlags: map[string]bool{"fw-lldp-agent": false}},
	}}
	rec := hostfs.StartRecording()
	rd := newNICReader(filepath.Join("testdata", "net_two_cards", "sys"), p)
	nics, errs := rd.readAll()
	outs := rec.Outputs()
	rec.Stop()
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	got := map[string]*FirmwareLLDP{}
	for _, n := range nics {
		got[n.Name] = n.FirmwareLLDP
	}
	if f := got["eth0"]; f == nil || !f.AgentOn || f.Flag != "disable-fw-lldp" || f.Remediation("eth0") != "ethtool --set-priv-flags eth0 disable-fw-lldp on" {
		t.Errorf("eth0 (i40e, disable-fw-lldp off) = %+v, want the agent on", f)
	}
	if f := got["eth1"]; f == nil || f.AgentOn || f.Flag != "fw-lldp-agent" {
		t.Errorf("eth1 (ice, fw-lldp-agent off) = %+v, want the agent off", f)
	}
	if got["eth2"] != nil {
		t.Errorf("eth2 (no flags) = %+v, want nil", got["eth2"])
	}
	if len(outs) != 2 || outs[0].Name != "ethtool/eth0/priv-flags" {
		t.Fatalf("recorded %+v", outs)
	}
	want := "Private flags for eth0:\ndisable-fw-lldp   : off\nlink-down-on-close: off\n"
	if string(outs[0].Data) != want {
		t.Errorf("recorded %q, want %q", outs[0].Data, want)
	}
	// The capture read back by --root: the tree's ethtool/<name>/priv-flags.
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "sys"), os.DirFS(filepath.Join("testdata", "net_two_cards", "sys"))); err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		p := filepath.Join(dir, o.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, o.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tree, errs := collectNICs(TreeRoots(dir))
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	for _, n := range tree {
		if !reflect.DeepEqual(n.FirmwareLLDP, got[n.Name]) {
			t.Errorf("%s from the tree: %+v, want %+v", n.Name, n.FirmwareLLDP, got[n.Name])
		}
	}
	// A file that does not parse is an Error naming it.
	bad := filepath.Join(dir, "ethtool", "eth0", "priv-flags")
	if err := os.WriteFile(bad, []byte("Private flags for eth0:\ndisable-fw-lldp: maybe\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errs := collectNICs(TreeRoots(dir)); len(errs) != 1 || errs[0].Path != bad {
		t.Errorf("bad file: errors %v, want one at %s", errs, bad)
	}
}

func TestParsePrivFlags(t *testing.T) {
	// ethtool 6.1's output for an i40e port (the shape of `ethtool --show-priv-flags`).
	in := "Private flags for enp59s0f0:\nMFP                    : off\ntotal-port-shutdown    : off\nLinkPolling            : off\nflow-director-atr      : on\nveb-stats              : off\nhw-atr-eviction        : off\nlink-down-on-close     : off\nlegacy-rx              : off\ndisable-source-pruning : off\ndisable-fw-lldp        : off\nrs-fec                 : on\nbase-r-fec             : on\nvf-vlan-pruning        : off\n"
	f, err := parsePrivFlags([]byte(in))
	if err != nil || len(f) != 13 || f["disable-fw-lldp"] || !f["rs-fec"] {
		t.Errorf("parsePrivFlags = %v, %v", f, err)
	}
	for _, bad := range []string{"Private flags for x:\nname on\n", "a: yes\n", ": on\n", "two words: on\n"} {
		if _, err := parsePrivFlags([]byte(bad)); err == nil {
			t.Errorf("parsePrivFlags(%q): no error", bad)
		}
	}
}

func FuzzParsePrivFlags(f *testing.F) {
	f.Add([]byte("Private flags for eth0:\ndisable-fw-lldp   : off\nlink-down-on-close: off\n"))
	f.Add([]byte("fw-lldp-agent: on\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		flags, err := parsePrivFlags(data)
		if err != nil {
			return
		}
		back, err := parsePrivFlags(formatPrivFlags("x", flags))
		if err != nil || !reflect.DeepEqual(back, flags) {
			t.Fatalf("round trip of %v: %v, %v", flags, back, err)
		}
	})
}
