package rules

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/redwatch/redwatch/collectors"
)

// DiskWearoutPercent is the NVMe percentage_used at or above which
// disk_wearout fires: the drive has used nearly all of its rated endurance.
const DiskWearoutPercent = 90

// diskGroups returns, per disk name, the md arrays with a member on it.
func diskGroups(s *collectors.Snapshot) map[string][]string {
	out := map[string][]string{}
	for _, a := range s.MD {
		for _, m := range a.Members {
			if m.Disk != "" && !slices.Contains(out[m.Disk], a.Name) {
				out[m.Disk] = append(out[m.Disk], a.Name)
			}
		}
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out
}

// diskFinding is a finding about disk d with its identity, the groups it
// backs and the message's text after "disk <name> (<model>, serial ...)".
func diskFinding(in *input, d *collectors.Disk, what string) Finding {
	sm := &d.Smart
	facts := map[string]string{"disk": d.Name, "model": sm.Model, "serial": sm.Serial, "device_type": sm.Type}
	msg := fmt.Sprintf("disk %s (%s, serial %s) %s", d.Name, sm.Model, sm.Serial, what)
	if gs := diskGroups(in.snap)[d.Name]; len(gs) > 0 {
		facts["groups"] = strings.Join(gs, ",")
		msg += "; it backs " + strings.Join(gs, ", ")
	}
	return Finding{Subject: d.Name, Message: msg, Facts: facts}
}

// diskRule is a rule that looks at one disk at a time: what returns the
// finding's text and true when the disk has the problem.
func diskRule(id string, sev Severity, checks, remediation string, what func(sm *collectors.SmartReport) (string, map[string]string, bool)) Rule {
	return Rule{ID: id, Severity: sev, Checks: checks, Remediation: remediation,
		check: func(in *input, emit func(Finding)) {
			for i := range in.snap.Disks {
				d := &in.snap.Disks[i]
				text, facts, bad := what(&d.Smart)
				if !bad {
					continue
				}
				f := diskFinding(in, d, text)
				for k, v := range facts {
					f.Facts[k] = v
				}
				emit(f)
			}
		}}
}

// countRule is a disk rule on one counter that is bad when above zero; a
// counter that rose since the live cache's previous read (Disk.Grew, key
// grew) is said to be growing, with its previous value.
func countRule(id, grew, checks, remediation, noun string, get func(sm *collectors.SmartReport) int64) Rule {
	return Rule{ID: id, Severity: Warning, Checks: checks + "; growing since the previous read is said so", Remediation: remediation,
		check: func(in *input, emit func(Finding)) {
			for i := range in.snap.Disks {
				d := &in.snap.Disks[i]
				n := get(&d.Smart)
				if n <= 0 {
					continue
				}
				text := fmt.Sprintf("has %d %s", n, noun)
				prev, growing := d.Grew[grew]
				if growing {
					text += fmt.Sprintf(", growing (%d at the previous read)", prev)
				}
				f := diskFinding(in, d, text)
				f.Facts["count"] = strconv.FormatInt(n, 10)
				if growing {
					f.Facts["previous"] = strconv.FormatInt(prev, 10)
				}
				emit(f)
			}
		}}
}

const replaceDisk = "copy the data off or make sure its mirror is healthy, then replace the disk; `smartctl -x /dev/{disk}` shows the detail and `mdadm --detail` the arrays it backs"

var diskRules = []Rule{
	{
		ID: "disk_smart_unavailable", Severity: Info,
		Checks:      "smartctl is not installed on a live host, or redwatch runs without CAP_SYS_RAWIO (the packaged unit grants none): the disks' SMART and NVMe health is not read (a note, not UNKNOWN)",
		Remediation: "install smartmontools (smartctl ≥ 7) and give redwatch CAP_SYS_RAWIO (docs/disks.md)",
		check: func(in *input, emit func(Finding)) {
			if st := in.snap.Smart; st != nil && st.Source == collectors.SmartSourceUnavailable {
				emit(Finding{Subject: "host", Message: st.Note})
			}
		},
	},
	diskRule("disk_smart_failed", Critical,
		"a disk whose SMART overall-health self-assessment failed (smart_status.passed false)",
		"replace the disk now: "+replaceDisk,
		func(sm *collectors.SmartReport) (string, map[string]string, bool) {
			return "failed its SMART overall-health self-assessment", nil, sm.Passed != nil && !*sm.Passed
		}),
	diskRule("disk_nvme_critical_warning", Critical,
		"an NVMe disk whose critical_warning is not zero, decoded bit by bit (spare, temperature, reliability, read-only, volatile backup, PMR)",
		"replace the NVMe disk (for a temperature warning first check the airflow and fans): "+replaceDisk,
		func(sm *collectors.SmartReport) (string, map[string]string, bool) {
			if sm.CriticalWarning <= 0 {
				return "", nil, false
			}
			words := strings.Join(collectors.NVMeCriticalWarningWords(sm.CriticalWarning), ", ")
			return fmt.Sprintf("reports NVMe critical warning 0x%02x: %s", sm.CriticalWarning, words),
				map[string]string{"critical_warning": strconv.Itoa(sm.CriticalWarning), "warnings": words}, true
		}),
	diskRule("disk_spare_low", Warning,
		"an NVMe disk whose available_spare is below its available_spare_threshold",
		"plan the disk's replacement: it has used its spare blocks; "+replaceDisk,
		func(sm *collectors.SmartReport) (string, map[string]string, bool) {
			bad := sm.AvailableSpare != collectors.Unknown && sm.AvailableSpareThreshold != collectors.Unknown &&
				sm.AvailableSpare < sm.AvailableSpareThreshold
			return fmt.Sprintf("has %d%% spare left, below its threshold of %d%%", sm.AvailableSpare, sm.AvailableSpareThreshold),
				map[string]string{"available_spare": strconv.Itoa(sm.AvailableSpare), "threshold": strconv.Itoa(sm.AvailableSpareThreshold)}, bad
		}),
	diskRule("disk_wearout", Warning,
		"an NVMe disk whose percentage_used (endurance used) is "+strconv.Itoa(DiskWearoutPercent)+" or more",
		"plan the disk's replacement before it reaches its rated endurance; "+replaceDisk,
		func(sm *collectors.SmartReport) (string, map[string]string, bool) {
			return fmt.Sprintf("has used %d%% of its rated endurance", sm.PercentageUsed),
				map[string]string{"percentage_used": strconv.Itoa(sm.PercentageUsed)}, sm.PercentageUsed >= DiskWearoutPercent
		}),
	countRule("disk_media_errors", collectors.SmartMediaErrors, "an NVMe disk with media_errors above zero (unrecovered data integrity errors)",
		replaceDisk, "NVMe media errors", func(sm *collectors.SmartReport) int64 { return sm.MediaErrors }),
	countRule("disk_sectors_reallocated", collectors.SmartReallocated, "an ATA disk whose attribute 5 (Reallocated_Sector_Ct) raw value is above zero",
		"watch the count: if it grows, "+replaceDisk, "reallocated sectors (ATA attribute 5)",
		func(sm *collectors.SmartReport) int64 { return sm.Reallocated }),
	countRule("disk_sectors_pending", collectors.SmartPending, "an ATA disk whose attribute 197 (Current_Pending_Sector) raw value is above zero",
		"run `smartctl -t long /dev/{disk}` and check the arrays it backs with `mdadm --detail`; if the count stays, "+replaceDisk,
		"sectors pending reallocation (ATA attribute 197)", func(sm *collectors.SmartReport) int64 { return sm.Pending }),
	countRule("disk_sectors_uncorrectable", collectors.SmartOfflineUncorrectable, "an ATA disk whose attribute 198 (Offline_Uncorrectable) raw value is above zero",
		replaceDisk, "offline uncorrectable sectors (ATA attribute 198)",
		func(sm *collectors.SmartReport) int64 { return sm.OfflineUncorrectable }),
	countRule("disk_grown_defects", collectors.SmartGrownDefects, "a SCSI/SAS disk whose grown defect list is not empty",
		"watch the count: if it grows, "+replaceDisk, "entries in its grown defect list",
		func(sm *collectors.SmartReport) int64 { return sm.GrownDefects }),
	diskRule("disk_selftest_failed", Warning,
		"a disk whose most recent SMART self-test failed",
		"rerun `smartctl -t long /dev/{disk}`; if it fails again, "+replaceDisk,
		func(sm *collectors.SmartReport) (string, map[string]string, bool) {
			return "failed its most recent self-test", nil, sm.SelfTestFailed
		}),
}
