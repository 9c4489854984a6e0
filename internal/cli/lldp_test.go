package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditTableSwitch: the table shows each bond slave's LLDP switch and
// port, and the same-switch finding names the switch.
func TestAuditTableSwitch(t *testing.T) {
	code, out, _ := runCLI(t, "audit", "--root", filepath.Join("..", "..", "testdata", "bond_same_switch"))
	if code != 1 {
		t.Errorf("exit %d, want 1 (warning)", code)
	}
	for _, want := range []string{"eth2(up, sw-a swp1) eth4(up, sw-a swp2)", "one switch sw-a (chassis mac:a6:da:6f:9f:9f:f8"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	_, out, _ = runCLI(t, "audit", "--root", filepath.Join("..", "..", "testdata", "bond_two_switches"))
	if !strings.Contains(out, "eth2(up, sw-a swp1) eth4(up, sw-b swp1)") || strings.Contains(out, "bond_same_switch") {
		t.Errorf("two switches:\n%s", out)
	}
}

// TestAuditTableNICNeighbours: a NIC outside every bond gets its LLDP
// neighbour shown too; an Intel slave whose firmware LLDP agent runs is
// "LLDP blind: firmware agent" with the ethtool command.
func TestAuditTableNICNeighbours(t *testing.T) {
	_, out, _ := runCLI(t, "audit", "--root", filepath.Join("..", "..", "testdata", "lldp_nic_outside_bond"))
	if !strings.Contains(out, "LLDP NEIGHBOURS (interfaces outside bonds)\n  eth0        oob-sw ge-0/0/7 (chassis mac:02:42:ac:11:00:07)") {
		t.Errorf("table lacks eth0's neighbour:\n%s", out)
	}
	_, out, _ = runCLI(t, "audit", "--root", filepath.Join("..", "..", "testdata", "lldp_firmware_agent"))
	for _, want := range []string{"eth4(up, LLDP blind: firmware agent)", "LLDP blind on eth4: firmware agent", "ethtool --set-priv-flags eth4 disable-fw-lldp on"} {
		if !strings.Contains(out, want) {
			t.Errorf("firmware agent: table lacks %q:\n%s", want, out)
		}
	}
}
