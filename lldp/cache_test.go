package lldp

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCacheTTL(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	swA := Neighbor{Chassis: ID{"mac", "a6:da:6f:9f:9f:f8"}, Port: ID{"ifname", "swp1"}, SystemName: "sw-a", TTL: 120}
	swB := Neighbor{Chassis: ID{"local", "sw-b"}, Port: ID{"ifname", "Et1"}, SystemName: "sw-b", TTL: 8}
	var c Cache
	c.Update("eth1", swB, t0)
	c.Update("eth0", swA, t0)
	wantA, wantB := swA, swB
	wantA.Interface, wantB.Interface = "eth0", "eth1"
	if d := cmp.Diff([]Neighbor{wantA, wantB}, c.Neighbors(t0.Add(7*time.Second))); d != "" {
		t.Errorf("before the TTL (-want +got):\n%s", d)
	}
	// sw-b's TTL (8 s) runs out; sw-a's does not.
	if d := cmp.Diff([]Neighbor{wantA}, c.Neighbors(t0.Add(8*time.Second))); d != "" {
		t.Errorf("at sw-b's TTL (-want +got):\n%s", d)
	}
	// A new LLDPDU from the same MSAP renews the entry.
	c.Update("eth0", swA, t0.Add(100*time.Second))
	if got := c.Neighbors(t0.Add(200 * time.Second)); len(got) != 1 {
		t.Errorf("renewed entry: %v", got)
	}
	// A shutdown LLDPDU (TTL 0) withdraws it at once.
	down := swA
	down.TTL = 0
	c.Update("eth0", down, t0.Add(201*time.Second))
	if got := c.Neighbors(t0.Add(201 * time.Second)); got != nil {
		t.Errorf("after a shutdown lldpdu: %v, want none", got)
	}
	c.Update("eth0", swA, t0)
	c.Forget("eth0")
	if got := c.Neighbors(t0); got != nil {
		t.Errorf("after Forget: %v, want none", got)
	}
}

// TestCacheBounded: a flood of MSAPs on one interface keeps at most
// MaxPerInterface entries, the newest ones.
func TestCacheBounded(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var c Cache
	for i := range 3 * MaxPerInterface {
		c.Update("eth0", Neighbor{Chassis: ID{"local", fmt.Sprint(i)}, Port: ID{"local", "1"}, TTL: 120}, t0.Add(time.Duration(i)*time.Second))
	}
	c.Update("eth1", swNeighbor(), t0)
	got := c.Neighbors(t0.Add(3 * MaxPerInterface * time.Second))
	if len(got) != MaxPerInterface+1 {
		t.Fatalf("%d entries, want %d", len(got), MaxPerInterface+1)
	}
	for _, n := range got[:MaxPerInterface] {
		var i int
		if _, err := fmt.Sscan(n.Chassis.Value, &i); err != nil || i < 2*MaxPerInterface {
			t.Errorf("kept %v, want only the newest %d", n.Chassis, MaxPerInterface)
		}
	}
}

func swNeighbor() Neighbor {
	return Neighbor{Chassis: ID{"local", "sw"}, Port: ID{"local", "1"}, TTL: 120}
}

func TestDecodeFrame(t *testing.T) {
	hdr := []byte{0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e, 2, 0, 0, 0, 0, 1, 0x88, 0xcc}
	body := pdu(chassisMAC, portMAC, ttl8, sysName, end)
	n, err := DecodeFrame(append(append([]byte{}, hdr...), body...))
	if err != nil || n.SystemName != "sw-a" || n.TTL != 8 {
		t.Errorf("DecodeFrame = %+v, %v", n, err)
	}
	tagged := append(append(append([]byte{}, hdr[:12]...), 0x81, 0x00, 0x00, 0x05, 0x88, 0xcc), body...)
	if n, err := DecodeFrame(tagged); err != nil || n.SystemName != "sw-a" {
		t.Errorf("tagged: DecodeFrame = %+v, %v", n, err)
	}
	for name, f := range map[string][]byte{
		"short":           hdr[:10],
		"unicast":         append(append([]byte{2, 0, 0, 0, 0, 9}, hdr[6:]...), body...),
		"other ethertype": append(append(append([]byte{}, hdr[:12]...), 0x08, 0x00), body...),
		"short tag":       append(append([]byte{}, hdr[:12]...), 0x81, 0x00, 0),
	} {
		if _, err := DecodeFrame(f); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
