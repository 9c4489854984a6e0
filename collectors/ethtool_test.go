package collectors

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
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
	if in := p.probe("no-such-if0"); in != (ethtoolInfo{}) {
		t.Errorf("probe(no such interface) = %+v, want nothing", in)
	}
	if in := p.probe("a-name-longer-than-ifnamsiz"); in != (ethtoolInfo{}) {
		t.Errorf("probe(long name) = %+v, want nothing", in)
	}
	b, err := os.ReadFile("/sys/class/net/lo/carrier")
	up := err == nil && strings.TrimSpace(string(b)) == "1" // EINVAL: lo is down in this namespace
	if in := p.probe("lo"); !in.linkKnown || in.link != up {
		t.Errorf("probe(lo) = %+v, want link detected %v (sysfs carrier %q, %v)", in, up, b, err)
	}
}
