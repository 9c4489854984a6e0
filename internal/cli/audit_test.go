package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/rules"
)

var update = flag.Bool("update", false, "rewrite the golden audit outputs under testdata/")

// fixedNow is the injected time of the CLI tests.
func fixedNow() time.Time { return time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC) }

// fixedClock is the injected clock of the CLI tests: Now is fixedNow, timers
// are real.
type fixedClock struct{ clock.Real }

func (fixedClock) Now() time.Time { return fixedNow() }

// runCLI runs the command line and returns the exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &env{stdout: &out, stderr: &errb, clock: fixedClock{}})
	return code, out.String(), errb.String()
}

type auditJSON struct {
	Status   string `json:"status"`
	Findings []struct {
		Rule, Severity, Subject, Message, Remediation string
	} `json:"findings"`
	Groups []struct {
		Kind, Name             string
		Needed, Healthy, Total int
		Members                []struct{ Name, State string }
	} `json:"groups"`
	Errors []struct{ Collector, Path, Error string } `json:"errors"`
}

// scenarios are the fixture trees under testdata/ with the verdict each must
// give: the status and the findings (rule and subject) that must be present.
var scenarios = map[string]struct {
	status   string
	findings []string // "rule subject"
	errors   int      // at least this many errors
	// follows names the kernel function whose output the tree holds (the
	// form of issue 9 item 5 it covers); "" for other trees.
	follows string
	// groups are "name healthy/total" the verdict must show.
	groups []string
}{
	"bond_ab_healthy":   {status: "ok"},
	"bond_lacp_healthy": {status: "ok"},
	"bond_two_cards":    {status: "ok"},
	"bond_same_switch":  {status: "warning", findings: []string{"bond_same_switch bond0"}},
	"bond_two_switches": {status: "ok"},
	// Issue 16: a NIC outside the bond with its neighbour; an i40e slave
	// whose firmware LLDP agent runs (captured ethtool --show-priv-flags).
	"lldp_nic_outside_bond":  {status: "ok"},
	"lldp_firmware_agent":    {status: "ok", findings: []string{"lldp_blind bond0/eth4"}},
	"bond_slave_down":        {status: "warning", findings: []string{"bond_member_down bond0/eth1", "bond_below_min_healthy bond0"}},
	"bond_all_down":          {status: "critical", findings: []string{"bond_below_min_healthy bond0", "bond_member_down bond0/eth0", "bond_member_down bond0/eth1"}},
	"bond_lacp_agg_mismatch": {status: "warning", findings: []string{"bond_lacp_aggregator_mismatch bond0/eth1"}},
	"bond_single_slave":      {status: "warning", findings: []string{"bond_single_member bond0"}},
	"bond_miimon0":           {status: "warning", findings: []string{"bond_no_link_monitor bond0"}},
	"bond_dual_port_card":    {status: "warning", findings: []string{"bond_shared_pci_card bond0"}},
	"md_raid1_healthy":       {status: "ok"},
	"md_raid5_healthy":       {status: "ok"},
	"md_raid6_healthy":       {status: "ok"},
	"md_raid10_healthy":      {status: "ok"},
	"md_raid1_degraded":      {status: "critical", findings: []string{"md_degraded md0"}},
	"md_raid1_faulty":        {status: "critical", findings: []string{"md_member_faulty md0/sdb1", "md_degraded md0"}},
	"md_raid1_resync":        {status: "warning", findings: []string{"md_rebuilding md0"}},
	"md_raid5_recovering":    {status: "critical", findings: []string{"md_degraded md0", "md_rebuilding md0"}},
	"md_raid6_one_missing":   {status: "warning", findings: []string{"md_degraded md0"}},
	"md_inactive":            {status: "critical", findings: []string{"md_inactive md0"}},
	"md_mirror_same_disk":    {status: "warning", findings: []string{"md_members_same_disk md0"}},
	"psu_two_healthy":        {status: "ok"},
	// Issue 13: the disk inventory's state and the shared-controller rule.
	"md_raid1_shared_controller": {status: "warning", findings: []string{"group_shared_controller md0"}, groups: []string{"md0 2/2"}},
	"md_raid1_disk_offline":      {status: "critical", findings: []string{"disk_offline sdb"}, groups: []string{"md0 1/2"}},
	"disk_smart_realloc":         {status: "warning", findings: []string{"disk_sectors_reallocated sda"}},
	"disk_nvme_critical_warning": {status: "critical", findings: []string{"disk_smart_failed nvme0n1", "disk_nvme_critical_warning nvme0n1",
		"disk_spare_low nvme0n1", "disk_wearout nvme0n1", "disk_media_errors nvme0n1"}},
	"disk_smart_unreadable": {status: "unknown", errors: 1},
	"psu_one_offline":       {status: "warning", findings: []string{"psu_offline power/PS2"}},
	"psu_one_vanished":      {status: "warning", findings: []string{"psu_single power/PS1"}},
	"psu_none_online":       {status: "critical", findings: []string{"psu_offline power/PS1", "psu_offline power/PS2"}},
	"psu_hwmon_healthy":     {status: "ok", groups: []string{"power 2/2"}},
	"psu_hwmon_alarm":       {status: "warning", findings: []string{"psu_health power/dps800@5-0059"}, groups: []string{"power 1/2"}},
	"psu_hwmon_fault":       {status: "warning", findings: []string{"psu_health power/dps800@5-0059"}, groups: []string{"power 1/2"}},
	"psu_hwmon_one_gone":    {status: "warning", findings: []string{"psu_offline power/dps800@5-0059"}, groups: []string{"power 1/2"}},
	// The same two supplies seen by hwmon (PMBus 0x58, 0x59: bays 1 and 2 by
	// the CRPS convention) and by IPMI (PS1, PS2): two members, not four.
	"psu_hwmon_ipmi_same_supplies":   {status: "warning", findings: []string{"psu_health power/dps800@5-0059"}, groups: []string{"power 1/2"}},
	"psu_redfish_bay_absent":         {status: "warning", findings: []string{"psu_offline power/Power Supply Bay 2"}, groups: []string{"power 1/2"}},
	"psu_redfish_redundancy_offline": {status: "warning", findings: []string{"power_redundancy_lost power"}, groups: []string{"power 2/2"}},
	// ACPI's AC adapter beside a BMC that counts two supplies (ipmitool sdr
	// elist): the adapter is no member, PS1 failed, Redundancy Lost.
	"psu_ipmi_redundancy_lost": {status: "warning", findings: []string{"power_redundancy_lost power", "psu_health power/PS1 Status"}, groups: []string{"power 1/2"}},
	"no_redundancy_groups":     {status: "ok", findings: []string{"no_redundancy_groups host"}},
	// Hardware RAID: synthetic storcli/perccli JSON (no real degraded one is
	// public; see each tree's README), root filesystem on the VD.
	"hwraid_perccli_synthetic_raid1_root":            {status: "ok", groups: []string{"c0/v0 2/2"}},
	"hwraid_perccli_synthetic_raid0_root":            {status: "warning", findings: []string{"rootfs_single_disk sda"}},
	"hwraid_root_on_vd_no_tool":                      {status: "warning", findings: []string{"rootfs_single_disk sda"}},
	"hwraid_perccli_synthetic_degraded":              {status: "critical", findings: []string{"hwraid_vd_degraded c0/v0"}, groups: []string{"c0/v0 1/2"}},
	"hwraid_perccli_synthetic_rebuilding":            {status: "critical", findings: []string{"hwraid_vd_degraded c0/v0", "hwraid_vd_rebuilding c0/v0"}},
	"hwraid_perccli_synthetic_optimal_failed_member": {status: "critical", findings: []string{"hwraid_vd_degraded c0/v0", "hwraid_drive_failed c0/252:1"}},
	"hwraid_perccli_synthetic_vd_offline":            {status: "critical", findings: []string{"hwraid_vd_offline c0/v0", "hwraid_drive_failed c0/252:0", "hwraid_drive_failed c0/252:1"}},
	"hwraid_perccli_synthetic_cachevault_failed":     {status: "warning", findings: []string{"hwraid_cache_unprotected c0"}},
	"bad_bonding_truncated":                          {status: "unknown", errors: 1},
	"bad_bonding_empty":                              {status: "unknown", errors: 1},
	"bad_mdstat_empty":                               {status: "unknown", errors: 1},
	"bad_mdstat_unknown_personality":                 {status: "unknown", errors: 1},
	"bad_mdstat_truncated":                           {status: "unknown", errors: 1},
	// Issue 9 item 5: one tree per form the kernel prints, each naming the
	// function that prints it.
	"bond_lacp_no_active_aggregator": {status: "critical", follows: "bond_procfs.c bond_info_show_master (\"bond %s has no active aggregator\") and bond_info_show_slave (\"Aggregator ID: N/A\")",
		findings: []string{"bond_lacp_no_active_aggregator bond0", "bond_below_min_healthy bond0"}, groups: []string{"bond0 0/2"}},
	"bond_lacp_no_active_aggregator_sysfs": {status: "critical", follows: "bond_sysfs.c bonding_show_ad_aggregator (0) and bond_sysfs_slave.c ad_aggregator_id_show (N/A)",
		findings: []string{"bond_lacp_no_active_aggregator bond0", "bond_below_min_healthy bond0"}, groups: []string{"bond0 0/2"}},
	"md_raid1_views_disagree": {status: "critical", follows: "raid1.c raid1_status: [raid_disks/raid_disks-degraded] and each slot's In_sync, read without one lock",
		findings: []string{"md_degraded md0"}},
	"md_sysfs_degraded_disagrees": {status: "critical", follows: "md.c degraded_show against the dev-*/state and rd<N> slots",
		findings: []string{"md_degraded md0"}, groups: []string{"md0 1/2"}},
	"md_sysfs_slots_unreadable": {status: "ok", follows: "md.c degraded_show and raid_disks_show when no rd<N> link or slot_show can be read",
		groups: []string{"md0 2/2"}},
	"md_raid5_journal": {status: "ok", follows: "md.c md_seq_show \"(J)\" and slot_show \"journal\"", groups: []string{"md0 3/4"}},
	"md_cluster_recover_remote": {status: "warning", follows: "md.c status_resync \"recover=REMOTE\"",
		findings: []string{"md_degraded md0", "md_rebuilding md0"}},
	"md_inactive_numeric_level": {status: "critical", follows: "md.c level_show printing mddev->level as a number before the array runs",
		findings: []string{"md_inactive md0"}},
	"md_raid5_reshape_grow": {status: "warning", follows: "md.c status_resync \"reshape =\", raid_disks_show \"4 (3)\", action_show \"reshape\" (captured in the lab: mdadm --grow --raid-devices=4)",
		findings: []string{"md_rebuilding md0"}, groups: []string{"md0 4/5"}},
	"md_raid5_reshape_frozen": {status: "warning", follows: "md.c action_show \"frozen\" and reshape_position_show: a reshape that does not run shows in neither mdstat nor sync_action (captured in the lab)",
		findings: []string{"md_rebuilding md0"}, groups: []string{"md0 4/5"}},
	"md_raid1_to_raid5_reshape": {status: "warning", follows: "raid5.c raid5_status after a raid1 takeover (mdadm --grow --level=5), then a reshape to 3 devices (captured in the lab)",
		findings: []string{"md_rebuilding md0", "md_rebuilding md1"}, groups: []string{"md1 3/3"}},
	"bad_md_unknown_member_state": {status: "unknown", errors: 1},
	// Issue 13 items 3-5: multipath, btrfs and ZFS.
	"multipath_healthy": {status: "ok", follows: "dm-sysfs.c dm_attr_uuid_show (\"mpath-<wwid>\"), scsi_sysfs.c show_state_field, multipathd show paths raw format",
		groups: []string{"mpatha 2/2"}},
	"multipath_path_failed": {status: "critical", findings: []string{"multipath_path_down mpatha/sdc", "multipath_degraded mpatha", "disk_offline sdc"},
		groups: []string{"mpatha 1/2"}},
	"multipath_single_path": {status: "warning", findings: []string{"multipath_degraded mpatha"}, groups: []string{"mpatha 1/1"}},
	"btrfs_raid1_healthy": {status: "ok", follows: "fs/btrfs/sysfs.c: devices/<bdev> links, devinfo/<devid>/{missing,error_stats}, allocation/<type>/<profile>",
		groups: []string{"data 2/2"}},
	"btrfs_raid1_missing":  {status: "critical", findings: []string{"btrfs_device_missing data/(devid 2)"}, groups: []string{"data 1/2"}},
	"btrfs_raid1_degraded": {status: "critical", findings: []string{"btrfs_device_missing data/(devid 2)", "btrfs_mounted_degraded data"}, groups: []string{"data 1/2"}},
	"btrfs_raid1_errors":   {status: "warning", findings: []string{"btrfs_device_errors data/vdc"}, groups: []string{"data 2/2"}},
	"zfs_mirror_online": {status: "ok", follows: "spl-kstat /proc/spl/kstat/zfs/<pool>/state and zpool status -p -P (OpenZFS 2.x text, fixture written from zpool-status(8))",
		groups: []string{"tank 2/2"}},
	"zfs_pool_degraded": {status: "critical", findings: []string{"zfs_pool_degraded tank", "zfs_device_down tank/sdb1"}, groups: []string{"tank 1/2"}},
	"zfs_pool_faulted":  {status: "critical", findings: []string{"zfs_pool_faulted tank", "zfs_device_down tank/sda1", "zfs_device_errors tank/sda1"}},
	"zfs_root_mirror":   {status: "ok", groups: []string{"rpool 2/2"}},
	"zfs_root_single":   {status: "warning", findings: []string{"rootfs_single_disk nvme0n1p3"}},
}

var exitCodes = map[string]int{"ok": 0, "warning": 1, "critical": 2, "unknown": 3}

func TestAuditScenarios(t *testing.T) {
	root := filepath.Join("..", "..", "testdata")
	for name, want := range scenarios {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(root, name)
			code, out, stderr := runCLI(t, "audit", "--root", dir, "-o", "json")
			var got auditJSON
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("audit -o json: %v\nstdout: %s\nstderr: %s", err, out, stderr)
			}
			if got.Status != want.status {
				t.Errorf("status = %q, want %q (the tree follows %q)\n%s", got.Status, want.status, want.follows, out)
			}
			if code != exitCodes[want.status] {
				t.Errorf("exit code = %d, want %d", code, exitCodes[want.status])
			}
			have := map[string]bool{}
			notInfo := 0
			for _, f := range got.Findings {
				have[f.Rule+" "+f.Subject] = true
				if f.Severity != "info" {
					notInfo++
				}
				if f.Message == "" || f.Remediation == "" {
					t.Errorf("finding %s %s has an empty message or remediation", f.Rule, f.Subject)
				}
				if shape, ok := rules.SubjectShape(f.Rule); !ok || rules.ShapeOf(f.Subject) != shape {
					t.Errorf("finding %s %s: subject is not of the rule's declared shape %q", f.Rule, f.Subject, shape)
				}
				// Remediations name the real group and member, not /dev/mdX, bondN or a placeholder.
				for _, generic := range []string{"mdX", "sdY", "bondN", "{group}", "{member}"} {
					if strings.Contains(f.Remediation, generic) {
						t.Errorf("finding %s %s: remediation %q says %s instead of a real name", f.Rule, f.Subject, f.Remediation, generic)
					}
				}
				if sub := f.Subject[strings.LastIndex(f.Subject, "/")+1:]; !strings.Contains(f.Message, sub) && f.Subject != "host" {
					t.Errorf("finding %s: message %q does not name %q", f.Rule, f.Message, sub)
				}
			}
			for _, f := range want.findings {
				if !have[f] {
					t.Errorf("missing finding %q; got %v", f, have)
				}
			}
			for _, w := range want.groups {
				found := false
				for _, g := range got.Groups {
					found = found || fmt.Sprintf("%s %d/%d", g.Name, g.Healthy, g.Total) == w
				}
				if !found {
					t.Errorf("no group %q (the tree follows %s): %+v", w, want.follows, got.Groups)
				}
			}
			if want.status == "ok" && notInfo > 0 {
				t.Errorf("healthy scenario has findings: %v", have)
			}
			if len(got.Errors) < want.errors {
				t.Errorf("errors = %v, want at least %d", got.Errors, want.errors)
			}
			for _, e := range got.Errors {
				if e.Path == "" || e.Error == "" {
					t.Errorf("error without a path or a reason: %+v", e)
				}
			}
			golden(t, filepath.Join(dir, "audit.golden.json"), strings.ReplaceAll(out, dir, "$ROOT"))
		})
	}
}

// TestAuditScenariosCovered fails when a fixture tree has no expectation.
func TestAuditScenariosCovered(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("..", "..", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join("..", "..", "testdata", e.Name())
		_, errSys := os.Stat(filepath.Join(dir, "sys"))
		_, errProc := os.Stat(filepath.Join(dir, "proc"))
		if errSys != nil && errProc != nil {
			continue // not a --root tree (e.g. before/after pairs)
		}
		if _, ok := scenarios[e.Name()]; !ok && !strings.HasPrefix(e.Name(), "baseline_") && !strings.HasPrefix(e.Name(), "expect_") {
			t.Errorf("testdata/%s has no expected verdict in scenarios", e.Name())
		}
	}
}

// golden compares got with the file, or rewrites it under -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -run TestAuditScenarios -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the audit output (rerun with -update if the change is intended)\n--- got\n%s", path, got)
	}
}

func TestAuditOutputs(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "bond_slave_down")
	code, out, _ := runCLI(t, "audit", "--root", dir, "-o", "nagios")
	if code != 1 || !strings.HasPrefix(out, "REDWATCH WARNING - ") || !strings.Contains(out, "| critical=0;;;0 warning=2;;;0") || strings.Count(out, "\n") != 4 { // 2 warnings, power_not_observable (info)
		t.Errorf("nagios output (exit %d) = %q", code, out)
	}
	code, out, _ = runCLI(t, "audit", "--root", dir)
	if code != 1 || !strings.HasPrefix(out, "STATUS WARNING") || !strings.Contains(out, "eth1(down)") || strings.Contains(out, "\x1b[") {
		t.Errorf("table output (exit %d) = %q", code, out)
	}
	_, out, _ = runCLI(t, "audit", "--root", dir, "--color", "always")
	if !strings.Contains(out, "\x1b[31meth1(down)") {
		t.Errorf("coloured table does not paint the down slave red: %q", out)
	}
}

func TestAuditBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"audit", "-o", "yaml"},
		{"audit", "--color", "sometimes"},
		{"audit", "extra"},
		{"audit", "--no-such-flag"},
		{"no-such-command"},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != 3 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 3 and a message", args, code, stderr)
		}
	}
}

// TestAuditTablePowerRedundancy shows the power group's redundancy state and
// the failed supply's reason in the table and Nagios formats.
func TestAuditTablePowerRedundancy(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "psu_ipmi_redundancy_lost")
	_, out, _ := runCLI(t, "audit", "--root", dir)
	for _, want := range []string{"1/2 healthy, 2 needed, redundancy lost", "PS1 Status(unhealthy)", "Power Supply Failure detected"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	_, out, _ = runCLI(t, "audit", "--root", dir, "-o", "nagios")
	if !strings.Contains(out, "Redundancy Lost") {
		t.Errorf("nagios output lacks the redundancy state:\n%s", out)
	}
}
