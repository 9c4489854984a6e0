package rules

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redwatch/redwatch/collectors"
)

// raid1 is a controller with one RAID1 VD over two drives in the given states.
func raid1(vdState, s0, s1 string) collectors.RAIDController {
	d := func(id, st string) collectors.RAIDDrive {
		return collectors.RAIDDrive{ID: id, State: st, RawState: st, Group: "0", MediaErrors: -1, PredictiveFailures: -1}
	}
	return collectors.RAIDController{Tool: "storcli", ID: "c0", Model: "PERC H730", Status: "Optimal", StatusOK: true,
		VDs:    []collectors.RAIDVolume{{ID: "v0", Level: "RAID1", State: vdState, RawState: vdState, Group: "0", Members: []string{"252:0", "252:1"}, Target: 0, Progress: -1}},
		Drives: []collectors.RAIDDrive{d("252:0", s0), d("252:1", s1)}}
}

// TestHWRaidRules: the worst of VD and PD decides; a failed cache backup
// is a warning; driver faults from sysfs are findings.
func TestHWRaidRules(t *testing.T) {
	tests := []struct {
		name  string
		h     collectors.HWRaid
		want  []string
		group string // "healthy/total needed" of c0/v0, "" for none
	}{
		{"healthy", collectors.HWRaid{Controllers: []collectors.RAIDController{raid1(collectors.VDOptimal, "online", "online")}}, nil, "2/2 2"},
		{"optimal VD with a failed member is degraded",
			collectors.HWRaid{Controllers: []collectors.RAIDController{raid1(collectors.VDOptimal, "online", "failed")}},
			[]string{"hwraid_drive_failed critical c0/252:1", "hwraid_vd_degraded critical c0/v0"}, "1/2 2"},
		{"degraded VD whose members all read online",
			collectors.HWRaid{Controllers: []collectors.RAIDController{raid1(collectors.VDDegraded, "online", "online")}},
			[]string{"hwraid_vd_degraded critical c0/v0"}, "1/2 2"},
		{"rebuilding", collectors.HWRaid{Controllers: []collectors.RAIDController{raid1(collectors.VDDegraded, "online", "rebuilding")}},
			[]string{"hwraid_vd_degraded critical c0/v0", "hwraid_vd_rebuilding warning c0/v0"}, "1/2 2"},
		{"offline", collectors.HWRaid{Controllers: []collectors.RAIDController{raid1(collectors.VDOffline, "failed", "failed")}},
			[]string{"hwraid_drive_failed critical c0/252:0", "hwraid_drive_failed critical c0/252:1", "hwraid_vd_offline critical c0/v0"}, "0/2 2"},
		{"cachevault failed", collectors.HWRaid{Controllers: func() []collectors.RAIDController {
			c := raid1(collectors.VDOptimal, "online", "online")
			c.Cache = collectors.RAIDCache{Backup: "cachevault", BackupStatus: "Failed"}
			return []collectors.RAIDController{c}
		}()}, []string{"hwraid_cache_unprotected warning c0"}, "2/2 2"},
		{"foreign and controller status", collectors.HWRaid{Controllers: func() []collectors.RAIDController {
			c := raid1(collectors.VDOptimal, "online", "online")
			c.Foreign, c.Status, c.StatusOK = 1, "Needs Attention", false
			return []collectors.RAIDController{c}
		}()}, []string{"hwraid_controller_failed critical c0", "hwraid_foreign_config warning c0"}, "2/2 2"},
		{"kernel", collectors.HWRaid{Kernel: []collectors.KernelRAID{
			{Driver: "raid_class", Name: "0:1:0:0", Attr: "state", Value: "degraded", Level: "raid1", Bad: true},
			{Driver: "raid_class", Name: "0:1:1:0", Attr: "state", Value: "resyncing", Level: "raid1", Bad: true},
			{Driver: "megaraid_sas", Name: "host0", Attr: "fw_crash_state", Value: "1", Bad: true},
			{Driver: "hpsa", Name: "host2", Attr: "lockup_detected", Value: "ld=0"},
		}}, []string{"hwraid_controller_failed critical host0", "hwraid_kernel_volume_degraded critical 0:1:0:0", "hwraid_kernel_volume_degraded warning 0:1:1:0"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.h
			res := Evaluate(&collectors.Snapshot{HWRaid: &h})
			got := prefixFindings(res, "hwraid_")
			if !slices.Equal(got, tc.want) {
				t.Errorf("findings\n got %v\nwant %v", got, tc.want)
			}
			for _, f := range res.Findings {
				if strings.HasPrefix(f.Rule, "hwraid_") && f.Rule != "hwraid_kernel_volume_degraded" && f.Subject != "host0" && !strings.Contains(f.Message, "c0") {
					t.Errorf("%s: message %q does not name the controller", f.Rule, f.Message)
				}
			}
			var g *Group
			for i := range res.Groups {
				if res.Groups[i].Kind == KindHWRaid && res.Groups[i].Name == "c0/v0" {
					g = &res.Groups[i]
				}
			}
			switch {
			case tc.group == "" && g != nil:
				t.Errorf("group %+v, want none", g)
			case tc.group != "" && g == nil:
				t.Errorf("no group c0/v0")
			case g != nil:
				if s := strings.Join([]string{itoa(g.Healthy) + "/" + itoa(g.Total), itoa(g.Needed)}, " "); s != tc.group {
					t.Errorf("group %s, want %s", s, tc.group)
				}
				if g.Members[1].Resources["controller"] != "c0 (PERC H730)" || g.Members[1].Resources["slot"] != "252:1" {
					t.Errorf("member resources %v", g.Members[1].Resources)
				}
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestRootOnVD: the root filesystem on a controller's VD is judged by the
// VD's level, matched by the tool's OS device name or the SCSI address.
func TestRootOnVD(t *testing.T) {
	root := &collectors.RootFS{FSType: "ext4", Device: "sda2", Disks: []string{"sda"}, Stack: []string{"sda2", "sda"},
		DiskDevices: []collectors.DiskDevice{{Name: "sda", Vendor: "DELL", Model: "PERC H730 Mini", SCSIAddress: "0:2:1:0", Controller: "0000:02:00.0"}}}
	two := func(level1 string) *collectors.HWRaid {
		c := raid1(collectors.VDOptimal, "online", "online")
		c.PCIAddress = "0000:02:00.0"
		v1 := c.VDs[0]
		v1.ID, v1.Target, v1.Level = "v1", 1, level1
		c.VDs = append(c.VDs, v1)
		return &collectors.HWRaid{Controllers: []collectors.RAIDController{c}}
	}
	for _, tc := range []struct {
		name string
		h    *collectors.HWRaid
		want bool
	}{
		{"no tool: fires", nil, true},
		{"target 1 is RAID1: quiet", two("RAID1"), false},
		{"target 1 is RAID0: fires", two("RAID0"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Evaluate(&collectors.Snapshot{RootFS: root, HWRaid: tc.h})
			got := slices.ContainsFunc(res.Findings, func(f Finding) bool { return f.Rule == "rootfs_single_disk" })
			if got != tc.want {
				t.Errorf("rootfs_single_disk fired %t, want %t: %+v", got, tc.want, res.Findings)
			}
		})
	}
}
