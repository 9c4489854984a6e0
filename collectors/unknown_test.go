package collectors

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/redwatch/redwatch/bonding"
)

func TestUnknownStatesNameTheirFile(t *testing.T) {
	t.Parallel()
	r := TreeRoots("/t")
	bonds := []bonding.Bond{
		{Name: "bond0", Sources: []string{bonding.SourceProc}, Slaves: []bonding.Slave{{Name: "eth0", MIIStatus: "up"}, {Name: "eth1", MIIStatus: "sideways"}}},
		{Name: "bond1", Sources: []string{bonding.SourceSys}, Slaves: []bonding.Slave{{Name: "eth2", MIIStatus: "going back"}, {Name: "eth3", MIIStatus: ""}}},
	}
	errs := unknownSlaveStates(r, bonds)
	if len(errs) != 2 {
		t.Fatalf("errors = %v, want 2 (eth1 and eth3)", errs)
	}
	if errs[0].Path != filepath.Join("/t/proc/net/bonding/bond0") || !strings.Contains(errs[0].Reason(), `"sideways"`) {
		t.Errorf("proc-sourced slave: %+v", errs[0])
	}
	if errs[1].Path != "/t/sys/class/net/eth3/bonding_slave/mii_status" {
		t.Errorf("sysfs-sourced slave: %+v", errs[1])
	}

	arrays := []MDArray{{Name: "md0", Members: []MDMember{
		{Name: "sda", State: MemberInSync},
		{Name: "sdb", State: MemberUnknown, RawState: "frobnicated"},
		{Name: "sdc", State: MemberUnknown, RawState: "(X)"},
	}}}
	errs = unknownMemberStates(r, arrays)
	if len(errs) != 2 || errs[0].Path != "/t/sys/block/md0/md/dev-sdb/state" || errs[1].Path != "/t/proc/mdstat" {
		t.Errorf("md errors = %+v", errs)
	}
}
