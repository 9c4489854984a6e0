package rules

import "strings"

// Subject shapes: what the subjects of a rule's findings look like.
const (
	// ShapeGroup is a group or a host-level thing: bond0, md0, power, eth0, host.
	ShapeGroup = "GROUP"
	// ShapeMember is a member of a group: bond0/eth1, md0/sdb1, power/PS1.
	ShapeMember = "GROUP/MEMBER"
)

// subjectShapes is the subject shape of every built-in rule (user rules
// choose their subjects with a template, so theirs is unknown).
var subjectShapes = map[string]string{
	"bond_member_down": ShapeMember, "bond_below_min_healthy": ShapeGroup, "bond_single_member": ShapeGroup,
	"bond_lacp_aggregator_mismatch": ShapeMember, "bond_lacp_no_active_aggregator": ShapeGroup,
	"bond_no_link_monitor": ShapeGroup, "bond_shared_pci_card": ShapeGroup, "bond_same_switch": ShapeGroup, "lldp_blind": ShapeMember,
	"md_degraded": ShapeGroup, "md_member_faulty": ShapeMember, "md_rebuilding": ShapeGroup, "md_inactive": ShapeGroup,
	"md_members_same_disk": ShapeGroup, "default_route_single_nic": ShapeGroup, "rootfs_single_disk": ShapeGroup,
	"psu_offline": ShapeMember, "psu_single": ShapeMember, "psu_health": ShapeMember, "power_redundancy_lost": ShapeGroup, "power_not_observable": ShapeGroup, "no_redundancy_groups": ShapeGroup,
	"disk_smart_failed": ShapeGroup, "disk_nvme_critical_warning": ShapeGroup, "disk_spare_low": ShapeGroup,
	"disk_wearout": ShapeGroup, "disk_media_errors": ShapeGroup, "disk_sectors_reallocated": ShapeGroup,
	"disk_sectors_pending": ShapeGroup, "disk_sectors_uncorrectable": ShapeGroup, "disk_grown_defects": ShapeGroup,
	"disk_selftest_failed": ShapeGroup, "disk_offline": ShapeGroup, "group_shared_controller": ShapeGroup,
	"group_members_same_disk": ShapeGroup, "disk_smart_unavailable": ShapeGroup,
	// A hardware RAID VD is named controller/VD ("c0/v0"), a drive controller/slot ("c0/252:1").
	"hwraid_vd_degraded": ShapeMember, "hwraid_vd_offline": ShapeMember, "hwraid_vd_rebuilding": ShapeMember,
	"hwraid_drive_failed": ShapeMember, "hwraid_drive_predictive_failure": ShapeMember, "hwraid_controller_failed": ShapeGroup,
	"hwraid_kernel_volume_degraded": ShapeGroup, "hwraid_cache_unprotected": ShapeGroup, "hwraid_foreign_config": ShapeGroup,
	"expect_group_missing": ShapeGroup, "expect_glob_unmatched": ShapeGroup, "expect_member_missing": ShapeMember,
	"multipath_path_down": ShapeMember, "multipath_degraded": ShapeGroup, "btrfs_device_missing": ShapeMember,
	"btrfs_mounted_degraded": ShapeGroup, "btrfs_device_errors": ShapeMember, "zfs_pool_degraded": ShapeGroup,
	"zfs_pool_faulted": ShapeGroup, "zfs_device_down": ShapeMember, "zfs_device_errors": ShapeMember,
	"expect_md_member_count": ShapeGroup, "expect_md_spare_missing": ShapeGroup, "expect_power_missing": ShapeGroup,
	"expect_power_unhealthy": ShapeGroup, "baseline_member_missing": ShapeMember, "baseline_group_missing": ShapeGroup,
	ReenslaveGaveUp: ShapeMember,
}

// SubjectShape returns the subject shape of built-in rule id; false for a
// user rule or an unknown ID.
func SubjectShape(id string) (string, bool) {
	s, ok := subjectShapes[id]
	return s, ok
}

// ShapeOf is the shape of a subject.
func ShapeOf(subject string) string {
	if strings.Contains(subject, "/") {
		return ShapeMember
	}
	return ShapeGroup
}
