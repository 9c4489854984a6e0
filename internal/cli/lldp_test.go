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
