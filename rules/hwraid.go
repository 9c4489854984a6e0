package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/redwatch/redwatch/collectors"
)

// KindHWRaid is a hardware RAID controller's virtual drive: its members are
// the physical drives (enclosure:slot), each with the controller as its
// "controller" resource.
const KindHWRaid = "hwraid"

// hwraidMemberHealthy reports whether a VD member counts as healthy.
func hwraidMemberHealthy(state string) bool { return state == collectors.DriveOnline }

// hwraidBadDrive reports whether a drive state is a loss (failed, offline
// or missing).
func hwraidBadDrive(state string) bool {
	switch state {
	case collectors.DriveFailed, collectors.DriveDown, collectors.DriveMissing, collectors.DriveUnconfBad:
		return true
	}
	return false
}

// hwraidGroups maps every redundant virtual drive of every controller into
// a group named "<controller>/<vd>" ("c0/v0", "slot0/ld1"). A VD whose
// level is not redundant (RAID0, a spanned volume) is no group; its state
// is still judged by the hwraid_vd_* rules.
func hwraidGroups(s *collectors.Snapshot) []Group {
	if s.HWRaid == nil {
		return nil
	}
	var out []Group
	for ci := range s.HWRaid.Controllers {
		c := &s.HWRaid.Controllers[ci]
		for vi := range c.VDs {
			v := &c.VDs[vi]
			if !hwraidVDRedundant(v) {
				continue
			}
			out = append(out, hwraidGroup(c, v))
		}
	}
	return out
}

// hwraidVDRedundant reports whether a VD is a redundancy group: its level
// says so, or (level unknown) it has two members or more.
func hwraidVDRedundant(v *collectors.RAIDVolume) bool {
	if v.Level == "" {
		return len(v.Members) > 1
	}
	return collectors.RAIDLevelRedundant(v.Level)
}

// hwraidGroup maps one VD: its members with their drive states; the VD is
// never healthier than its own state says (trust the worst of VD and PD).
func hwraidGroup(c *collectors.RAIDController, v *collectors.RAIDVolume) Group {
	g := Group{Kind: KindHWRaid, Name: c.ID + "/" + v.ID}
	for _, id := range v.Members {
		st := collectors.DriveUnknown
		if d := c.Drive(id); d != nil {
			st = d.State
		}
		m := Member{Name: id, State: st, Healthy: hwraidMemberHealthy(st),
			Resources: map[string]string{"controller": c.Name(), "slot": id}}
		if m.Healthy {
			g.Healthy++
		}
		g.Members = append(g.Members, m)
	}
	g.Total = len(g.Members)
	tol := collectors.RAIDLevelTolerance(v.Level, g.Total)
	if tol == 0 {
		tol = 1
	}
	g.Needed = max(g.Total-tol+1, 2)
	if g.Total == 0 {
		g.Needed = 2
	}
	switch v.State {
	case collectors.VDDegraded, collectors.VDPartially, collectors.VDRebuild:
		g.Healthy = min(g.Healthy, max(g.Total-1, 0))
	case collectors.VDOffline, collectors.VDFailed:
		g.Healthy = 0
	}
	return g
}

// hwraidVDProblem says what is wrong with a VD, judged by the worst of its
// own state and its members' states: the severity, the words, the bad
// members ("252:1 failed (Offln)") and whether it is a problem at all.
func hwraidVDProblem(c *collectors.RAIDController, v *collectors.RAIDVolume) (sev Severity, what string, bad []string, ok bool) {
	lost := 0
	for _, id := range v.Members {
		d := c.Drive(id)
		switch {
		case d == nil:
			continue
		case hwraidBadDrive(d.State) || d.State == collectors.DriveRebuilding:
			lost++
			bad = append(bad, fmt.Sprintf("slot %s %s (%s)", id, d.State, d.RawState))
		}
	}
	switch {
	case v.State == collectors.VDOffline || v.State == collectors.VDFailed:
		return Critical, "is " + v.State + ": its data is not available", bad, true
	case v.State == collectors.VDDegraded || v.State == collectors.VDPartially || v.State == collectors.VDRebuild || lost > 0:
		what := "is degraded"
		if v.State == collectors.VDOptimal {
			what = "says Optimal but has a member drive lost: it is degraded"
		}
		sev = Critical
		if tol := collectors.RAIDLevelTolerance(v.Level, len(v.Members)); tol > 1 && max(lost, 1) < tol {
			sev = Warning
			what += "; it survives one more failure"
		}
		return sev, what, bad, true
	case v.State == collectors.VDUnknown:
		return Warning, fmt.Sprintf("is in a state redwatch does not know (%q)", v.RawState), bad, true
	}
	return Info, "", nil, false
}

// hwraidVDFacts are a VD finding's facts.
func hwraidVDFacts(c *collectors.RAIDController, v *collectors.RAIDVolume) map[string]string {
	f := map[string]string{"controller": c.Name(), "tool": c.Tool, "vd": v.ID, "level": v.Level,
		"state": v.RawState, "members": strings.Join(v.Members, ",")}
	if v.Progress >= 0 {
		f["progress"] = strconv.Itoa(v.Progress)
	}
	return f
}

// forEachVD calls fn for every VD of every controller.
func forEachVD(in *input, fn func(c *collectors.RAIDController, v *collectors.RAIDVolume)) {
	if in.snap.HWRaid == nil {
		return
	}
	for ci := range in.snap.HWRaid.Controllers {
		c := &in.snap.HWRaid.Controllers[ci]
		for vi := range c.VDs {
			fn(c, &c.VDs[vi])
		}
	}
}

// forEachController calls fn for every controller.
func forEachController(in *input, fn func(c *collectors.RAIDController)) {
	if in.snap.HWRaid == nil {
		return
	}
	for ci := range in.snap.HWRaid.Controllers {
		fn(&in.snap.HWRaid.Controllers[ci])
	}
}

const hwraidTools = "the controller's tool (`storcli64 /c0 show all`, `perccli64`, `ssacli ctrl all show config detail`, `arcconf getconfig 1`)"

var hwraidRules = []Rule{
	{
		ID: "hwraid_vd_degraded", Severity: Critical,
		Checks:      "a hardware RAID virtual drive that is degraded, or whose member drive is failed, offline, missing or rebuilding even while the VD says Optimal (warning while it still tolerates another failure)",
		Remediation: "replace the failed drive in the slot named (the controller rebuilds onto it, or onto a hot spare); " + hwraidTools + " shows the VD and its drives",
		check: func(in *input, emit func(Finding)) {
			forEachVD(in, func(c *collectors.RAIDController, v *collectors.RAIDVolume) {
				sev, what, bad, ok := hwraidVDProblem(c, v)
				if !ok || v.State == collectors.VDOffline || v.State == collectors.VDFailed {
					return
				}
				msg := fmt.Sprintf("controller %s: VD %s/%s (%s) %s", c.Name(), c.ID, v.ID, v.Level, what)
				if len(bad) > 0 {
					msg += ": " + strings.Join(bad, ", ")
				}
				f := Finding{Subject: c.ID + "/" + v.ID, Severity: sev, Message: msg, Facts: hwraidVDFacts(c, v)}
				emit(f)
			})
		},
	},
	{
		ID: "hwraid_vd_offline", Severity: Critical,
		Checks:      "a hardware RAID virtual drive that is offline or failed: its data is not available",
		Remediation: "check the drives and cabling of the VD named; do not initialise or clear anything before the controller's vendor procedure for an offline VD (" + hwraidTools + ")",
		check: func(in *input, emit func(Finding)) {
			forEachVD(in, func(c *collectors.RAIDController, v *collectors.RAIDVolume) {
				if v.State != collectors.VDOffline && v.State != collectors.VDFailed {
					return
				}
				_, what, bad, _ := hwraidVDProblem(c, v)
				msg := fmt.Sprintf("controller %s: VD %s/%s (%s) %s", c.Name(), c.ID, v.ID, v.Level, what)
				if len(bad) > 0 {
					msg += ": " + strings.Join(bad, ", ")
				}
				emit(Finding{Subject: c.ID + "/" + v.ID, Message: msg, Facts: hwraidVDFacts(c, v)})
			})
		},
	},
	{
		ID: "hwraid_vd_rebuilding", Severity: Warning,
		Checks:      "a hardware RAID virtual drive rebuilding onto a drive: redundancy is not whole until it ends",
		Remediation: "let the rebuild finish and avoid load on the VD; its progress is in " + hwraidTools,
		check: func(in *input, emit func(Finding)) {
			forEachVD(in, func(c *collectors.RAIDController, v *collectors.RAIDVolume) {
				var rb []string
				for _, id := range v.Members {
					if d := c.Drive(id); d != nil && d.State == collectors.DriveRebuilding {
						rb = append(rb, "slot "+id)
					}
				}
				if v.State != collectors.VDRebuild && len(rb) == 0 {
					return
				}
				progress := "progress unknown"
				if v.Progress >= 0 {
					progress = strconv.Itoa(v.Progress) + "% done"
				}
				msg := fmt.Sprintf("controller %s: VD %s/%s (%s) is rebuilding (%s)", c.Name(), c.ID, v.ID, v.Level, progress)
				if len(rb) > 0 {
					msg += " onto " + strings.Join(rb, ", ")
				}
				emit(Finding{Subject: c.ID + "/" + v.ID, Message: msg, Facts: hwraidVDFacts(c, v)})
			})
		},
	},
	{
		ID: "hwraid_drive_failed", Severity: Critical,
		Checks:      "a physical drive behind a RAID controller that is failed, offline or missing in a drive group (warning for an unconfigured drive the controller marks bad)",
		Remediation: "replace the drive in the slot named; " + hwraidTools + " shows its state and the drive group it belongs to",
		check: func(in *input, emit func(Finding)) {
			forEachController(in, func(c *collectors.RAIDController) {
				for _, d := range c.Drives {
					if !hwraidBadDrive(d.State) || strings.HasPrefix(d.ID, "(") {
						continue // a member missing from its slot altogether is the VD's finding
					}
					f := Finding{Subject: c.ID + "/" + d.ID,
						Facts: map[string]string{"controller": c.Name(), "slot": d.ID, "state": d.RawState, "group": d.Group, "model": d.Model, "serial": d.Serial}}
					if d.Group == "" || d.State == collectors.DriveUnconfBad {
						f.Severity = Warning
						f.Message = fmt.Sprintf("controller %s: drive in slot %s is %s (%s), in no drive group", c.Name(), d.ID, d.State, d.RawState)
					} else {
						f.Message = fmt.Sprintf("controller %s: drive in slot %s (drive group %s) is %s (%s)", c.Name(), d.ID, d.Group, d.State, d.RawState)
					}
					emit(f)
				}
			})
		},
	},
	{
		ID: "hwraid_drive_predictive_failure", Severity: Warning,
		Checks:      "a physical drive behind a RAID controller with a predictive failure count above zero or a S.M.A.R.T. alert",
		Remediation: "plan the drive's replacement while its VD is still whole; " + hwraidTools + " shows its counters",
		check: func(in *input, emit func(Finding)) {
			forEachController(in, func(c *collectors.RAIDController) {
				for _, d := range c.Drives {
					if d.PredictiveFailures <= 0 && !d.SmartAlert {
						continue
					}
					emit(Finding{Subject: c.ID + "/" + d.ID,
						Message: fmt.Sprintf("controller %s: drive in slot %s predicts its failure (predictive failure count %d, S.M.A.R.T. alert %t, media errors %d)",
							c.Name(), d.ID, max(d.PredictiveFailures, 0), d.SmartAlert, d.MediaErrors),
						Facts: map[string]string{"controller": c.Name(), "slot": d.ID, "predictive_failures": strconv.Itoa(d.PredictiveFailures),
							"smart_alert": strconv.FormatBool(d.SmartAlert), "media_errors": strconv.Itoa(d.MediaErrors), "serial": d.Serial}})
				}
			})
		},
	},
	{
		ID: "hwraid_controller_failed", Severity: Critical,
		Checks:      "a RAID controller whose own status is not OK/Optimal, or whose driver reports a firmware crash or lockup (megaraid_sas fw_crash_state, hpsa lockup_detected)",
		Remediation: "check the controller's event log (" + hwraidTools + ") and the kernel log; a locked-up or crashed controller needs a reset or a reboot, and its vendor's support",
		check: func(in *input, emit func(Finding)) {
			forEachController(in, func(c *collectors.RAIDController) {
				if c.Status == "" || c.StatusOK {
					return
				}
				emit(Finding{Subject: c.ID, Message: fmt.Sprintf("controller %s: status %s", c.Name(), c.Status),
					Facts: map[string]string{"controller": c.Name(), "status": c.Status}})
			})
			if in.snap.HWRaid == nil {
				return
			}
			for _, k := range in.snap.HWRaid.Kernel {
				if !k.Bad || k.Driver == "raid_class" {
					continue
				}
				emit(Finding{Subject: k.Name, Message: fmt.Sprintf("%s controller %s: %s is %s (%s)", k.Driver, k.Name, k.Attr, k.Value, k.Path),
					Facts: map[string]string{"driver": k.Driver, "attr": k.Attr, "value": k.Value}})
			}
		},
	},
	{
		ID: "hwraid_kernel_volume_degraded", Severity: Critical,
		Checks:      "a RAID volume the kernel's raid_class shows (mpt3sas Integrated RAID, /sys/class/raid_devices/*/state) that is degraded or offline (resyncing: warning)",
		Remediation: "replace the failed member of the volume; `sas3ircu 0 display` (or the controller's BIOS utility) shows which",
		check: func(in *input, emit func(Finding)) {
			if in.snap.HWRaid == nil {
				return
			}
			for _, k := range in.snap.HWRaid.Kernel {
				if !k.Bad || k.Driver != "raid_class" {
					continue
				}
				f := Finding{Subject: k.Name, Message: fmt.Sprintf("RAID volume %s (%s) is %s", k.Name, k.Level, k.Value),
					Facts: map[string]string{"state": k.Value, "level": k.Level, "path": k.Path}}
				if k.Value == "resyncing" {
					f.Severity = Warning
				}
				emit(f)
			}
		},
	},
	{
		ID: "hwraid_cache_unprotected", Severity: Warning,
		Checks:      "a RAID controller whose cache backup (BBU, CacheVault, capacitor) failed or whose write cache is disabled or fell back to write-through: write-back is lost, data redundancy is intact",
		Remediation: "replace or recharge the cache backup module (a learn cycle or a recharge clears by itself within hours); until then writes go through to the disks, slower",
		check: func(in *input, emit func(Finding)) {
			forEachController(in, func(c *collectors.RAIDController) {
				var why []string
				if c.Cache.Backup != "" && !c.Cache.BackupOK {
					why = append(why, fmt.Sprintf("%s status %s", c.Cache.Backup, c.Cache.BackupStatus))
				}
				if c.Cache.Disabled {
					why = append(why, "cache status "+c.Cache.Status)
				}
				var wt []string
				for _, v := range c.VDs {
					if v.CacheWTFallback {
						wt = append(wt, c.ID+"/"+v.ID)
					}
				}
				if len(wt) > 0 {
					why = append(why, "write-through instead of write-back on "+strings.Join(wt, ", "))
				}
				if len(why) == 0 {
					return
				}
				emit(Finding{Subject: c.ID, Message: fmt.Sprintf("controller %s: write-back cache lost (%s); data redundancy is intact", c.Name(), strings.Join(why, "; ")),
					Facts: map[string]string{"controller": c.Name(), "backup": c.Cache.Backup, "backup_status": c.Cache.BackupStatus, "cache_status": c.Cache.Status}})
			})
		},
	},
	{
		ID: "hwraid_foreign_config", Severity: Warning,
		Checks:      "a RAID controller with a foreign configuration (drives from another controller or an old array) waiting to be imported or cleared",
		Remediation: "import it if the drives carry data you need (`storcli64 /c0/fall import`), else clear it (`storcli64 /c0/fall delete`); check which drives first (`/c0/fall show`)",
		check: func(in *input, emit func(Finding)) {
			forEachController(in, func(c *collectors.RAIDController) {
				if c.Foreign <= 0 {
					return
				}
				emit(Finding{Subject: c.ID, Message: fmt.Sprintf("controller %s: %d foreign drive group(s) waiting for import or clearing", c.Name(), c.Foreign),
					Facts: map[string]string{"controller": c.Name(), "foreign": strconv.Itoa(c.Foreign)}})
			})
		},
	},
}

// hwraidRootVD returns the controller and VD a root disk is, when the disk
// is a RAID controller's virtual drive that a tool described: matched by
// the block device the tool names, else by the SCSI address (megaraid_sas
// shows VD t at channel 2+t/128, target t%128; aacraid at channel 0, target
// t), on the controller at the disk's PCI function (or the only controller).
func hwraidRootVD(s *collectors.Snapshot, dd collectors.DiskDevice) (*collectors.RAIDController, *collectors.RAIDVolume) {
	if s.HWRaid == nil {
		return nil, nil
	}
	ctls := s.HWRaid.Controllers
	for ci := range ctls {
		for vi := range ctls[ci].VDs {
			if ctls[ci].VDs[vi].OSDevice == "/dev/"+dd.Name {
				return &ctls[ci], &ctls[ci].VDs[vi]
			}
		}
	}
	var c *collectors.RAIDController
	for ci := range ctls {
		if dd.Controller != "" && ctls[ci].PCIAddress == dd.Controller {
			c = &ctls[ci]
		}
	}
	if c == nil && len(ctls) == 1 && hwraidVirtualDisk(dd) {
		c = &ctls[0]
	}
	if c == nil {
		return nil, nil
	}
	if len(c.VDs) == 1 {
		return c, &c.VDs[0]
	}
	parts := strings.Split(dd.SCSIAddress, ":")
	if len(parts) != 4 {
		return c, nil
	}
	ch, _ := strconv.Atoi(parts[1])
	t, _ := strconv.Atoi(parts[2])
	target := t
	if c.Tool == "storcli" || c.Tool == "megacli" {
		target = (ch-2)*128 + t
	}
	for vi := range c.VDs {
		if c.VDs[vi].Target == target {
			return c, &c.VDs[vi]
		}
	}
	return c, nil
}

// hwraidVirtualDisk reports whether a disk's SCSI identity is a RAID
// controller's virtual drive ("PERC H730 Mini", "MR9361-8i", "LOGICAL
// VOLUME", "MegaRAID", Adaptec logical devices).
func hwraidVirtualDisk(dd collectors.DiskDevice) bool {
	m := strings.ToUpper(dd.Model)
	for _, k := range []string{"PERC", "MR9", "MEGARAID", "LOGICAL VOLUME", "SERVERAID", "RAID", "PRAID", "SMARTRAID", "ASR"} {
		if strings.Contains(m, k) {
			return true
		}
	}
	return slices.Contains([]string{"LSI", "AVAGO", "BROADCOM", "ADAPTEC"}, strings.ToUpper(dd.Vendor))
}
