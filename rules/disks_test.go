package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/redwatch/redwatch/collectors"
)

// diskFindings returns the disk findings of a result as "rule severity subject".
func diskFindings(res Result) []string { return prefixFindings(res, "disk_") }

func TestDiskRules(t *testing.T) {
	const U = collectors.Unknown
	yes, no := true, false
	healthy := collectors.SmartReport{Model: "M", Serial: "S", Passed: &yes, CriticalWarning: U, AvailableSpare: U,
		AvailableSpareThreshold: U, PercentageUsed: U, MediaErrors: U, Reallocated: U, Pending: U,
		OfflineUncorrectable: U, GrownDefects: U, TemperatureC: U}
	with := func(f func(r *collectors.SmartReport)) collectors.SmartReport { r := healthy; f(&r); return r }
	tests := []struct {
		name     string
		smart    collectors.SmartReport
		findings []string
	}{
		{name: "healthy, every counter unknown", smart: healthy},
		{name: "zero counters", smart: with(func(r *collectors.SmartReport) {
			r.Reallocated, r.Pending, r.OfflineUncorrectable, r.GrownDefects, r.MediaErrors, r.CriticalWarning = 0, 0, 0, 0, 0, 0
			r.AvailableSpare, r.AvailableSpareThreshold, r.PercentageUsed = 10, 10, 89
		})},
		{name: "failed", smart: with(func(r *collectors.SmartReport) { r.Passed = &no }),
			findings: []string{"disk_smart_failed critical sda"}},
		{name: "ata sectors and self-test", smart: with(func(r *collectors.SmartReport) {
			r.Reallocated, r.Pending, r.OfflineUncorrectable, r.SelfTestFailed = 1, 2, 3, true
		}), findings: []string{"disk_sectors_pending warning sda", "disk_sectors_reallocated warning sda",
			"disk_sectors_uncorrectable warning sda", "disk_selftest_failed warning sda"}},
		{name: "scsi grown defects", smart: with(func(r *collectors.SmartReport) { r.GrownDefects = 56 }),
			findings: []string{"disk_grown_defects warning sda"}},
		{name: "nvme worn out", smart: with(func(r *collectors.SmartReport) {
			r.CriticalWarning, r.AvailableSpare, r.AvailableSpareThreshold, r.PercentageUsed, r.MediaErrors = 4, 9, 10, 90, 1
		}), findings: []string{"disk_media_errors warning sda", "disk_nvme_critical_warning critical sda",
			"disk_spare_low warning sda", "disk_wearout warning sda"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := &collectors.Snapshot{Disks: []collectors.Disk{{Name: "sda", Smart: tt.smart}},
				MD: []collectors.MDArray{{Name: "md0", Level: "raid1", Active: true, RaidDisks: 2, ActiveDisks: 2,
					Members: []collectors.MDMember{{Name: "sda1", Disk: "sda", State: "in_sync"}, {Name: "sdb1", Disk: "sdb", State: "in_sync"}}}}}
			res := Evaluate(snap)
			if got := diskFindings(res); !slices.Equal(got, tt.findings) {
				t.Errorf("findings = %v, want %v", got, tt.findings)
			}
			for _, f := range res.Findings {
				if !strings.HasPrefix(f.Rule, "disk_") {
					continue
				}
				if !strings.Contains(f.Message, "it backs md0") || f.Facts["groups"] != "md0" || !strings.Contains(f.Remediation, "/dev/sda") {
					t.Errorf("%s does not name the disk and its array: %q -> %q %v", f.Rule, f.Message, f.Remediation, f.Facts)
				}
			}
			env := NewEnv(snap, nil)
			if len(env.Disks) != 1 || env.Disks[0].Name != "sda" || env.Disks[0].SmartPassed != (tt.smart.Passed != nil && *tt.smart.Passed) ||
				env.Disks[0].PercentageUsed != tt.smart.PercentageUsed {
				t.Errorf("user rules' disks = %+v", env.Disks)
			}
		})
	}
}

// TestDiskCounterGrowing: a counter that rose since the previous live read
// is said to be growing, with its previous value; smartctl missing is one
// info note, not UNKNOWN.
func TestDiskCounterGrowing(t *testing.T) {
	const U = collectors.Unknown
	yes := true
	sm := collectors.SmartReport{Model: "M", Serial: "S", Passed: &yes, CriticalWarning: U, AvailableSpare: U,
		AvailableSpareThreshold: U, PercentageUsed: U, MediaErrors: U, Reallocated: 9, Pending: 2,
		OfflineUncorrectable: U, GrownDefects: U, TemperatureC: U}
	snap := &collectors.Snapshot{Disks: []collectors.Disk{{Name: "sda", Smart: sm, Grew: map[string]int64{collectors.SmartReallocated: 4}}}}
	res := Evaluate(snap)
	var realloc, pending *Finding
	for i, f := range res.Findings {
		switch f.Rule {
		case "disk_sectors_reallocated":
			realloc = &res.Findings[i]
		case "disk_sectors_pending":
			pending = &res.Findings[i]
		}
	}
	if realloc == nil || !strings.Contains(realloc.Message, "has 9 reallocated sectors (ATA attribute 5), growing (4 at the previous read)") ||
		realloc.Facts["previous"] != "4" {
		t.Errorf("reallocated: %+v", realloc)
	}
	if pending == nil || strings.Contains(pending.Message, "growing") {
		t.Errorf("pending: %+v", pending)
	}

	snap = &collectors.Snapshot{Smart: &collectors.SmartStatus{Source: collectors.SmartSourceUnavailable, Note: "smartctl not found"}}
	res = Evaluate(snap)
	if got := diskFindings(res); !slices.Equal(got, []string{"disk_smart_unavailable info host"}) || res.Status != StatusOK {
		t.Errorf("findings %v status %s", got, res.Status)
	}
}
