package rules

import (
	"reflect"
	"testing"

	"github.com/redwatch/redwatch/collectors"
)

// TestSharedHardwareAnyKind: the shared-hardware rules judge member
// resources whatever the group's kind; md's same-disk case stays with
// md_members_same_disk, bonds and power are not storage.
func TestSharedHardwareAnyKind(t *testing.T) {
	t.Parallel()
	res := func(disk, ctrl string) map[string]string {
		return map[string]string{ResDisk: disk, ResController: ctrl, ResControllerDriver: "mpt3sas"}
	}
	in := &input{snap: &collectors.Snapshot{}, groups: []Group{
		{Kind: "multipath", Name: "mpatha", Members: []Member{{Name: "sdc", Resources: res("sdc", "0000:3b:00.0")}, {Name: "sdd", Resources: res("sdd", "0000:3b:00.0")}}},
		{Kind: "btrfs", Name: "data", Members: []Member{{Name: "sde1", Resources: res("sde", "0000:3b:00.0")}, {Name: "sde2", Resources: res("sde", "0000:3b:00.0")}}},
		{Kind: "zfs", Name: "tank/mirror-0", Members: []Member{{Name: "sdf", Resources: res("sdf", "0000:3b:00.0")}, {Name: "sdg", Resources: res("sdg", "0000:5e:00.0")}}},
		{Kind: KindMD, Name: "md0", Members: []Member{{Name: "sda1", Resources: res("sda", "")}, {Name: "sda2", Resources: res("sda", "")}}},
		{Kind: KindBond, Name: "bond0", Members: []Member{{Name: "eth0", Resources: res("", "0000:01:00.0")}, {Name: "eth1", Resources: res("", "0000:01:00.0")}}},
	}}
	got := map[string][]string{}
	for _, r := range sharedRules[:2] {
		r.check(in, func(f Finding) {
			got[r.ID] = append(got[r.ID], f.Subject+" "+f.Facts["members"]+" "+f.Facts[ResControllerDriver])
		})
	}
	want := map[string][]string{
		"group_shared_controller": {"mpatha sdc,sdd mpt3sas"},
		"group_members_same_disk": {"data sde1,sde2 "},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
