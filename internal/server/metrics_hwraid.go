package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/redwatch/redwatch/collectors"
)

// Hardware RAID metrics: the controllers, their virtual drives and
// physical drives as the vendor tools report them (docs/hwraid.md).
var (
	descHWRaidController = prometheus.NewDesc("redwatch_hwraid_controller_info",
		"A hardware RAID controller read by its vendor tool, with its model and status word; the value is always 1.",
		[]string{"tool", "controller", "model", "status"}, nil)
	descHWRaidControllerHealthy = prometheus.NewDesc("redwatch_hwraid_controller_healthy",
		"1 if the RAID controller's own status is OK/Optimal, 0 if not; absent when the tool's output has no status.",
		[]string{"tool", "controller"}, nil)
	descHWRaidVDState = prometheus.NewDesc("redwatch_hwraid_vd_state",
		"The state of a RAID virtual drive: 1 for its current state, 0 for the others (optimal, degraded, partially_degraded, rebuilding, offline, failed, unknown).",
		[]string{"tool", "controller", "vd", "level", "state"}, nil)
	descHWRaidDriveState = prometheus.NewDesc("redwatch_hwraid_drive_state",
		"The state of a physical drive behind a RAID controller, by slot: 1 for its current state, 0 for the others.",
		[]string{"tool", "controller", "slot", "state"}, nil)
	descHWRaidDrivePredictive = prometheus.NewDesc("redwatch_hwraid_drive_predictive_failures",
		"The controller's predictive failure count of a physical drive; absent when the tool does not say it.",
		[]string{"tool", "controller", "slot"}, nil)
	descHWRaidDriveMedia = prometheus.NewDesc("redwatch_hwraid_drive_media_errors",
		"The controller's media error count of a physical drive; absent when the tool does not say it.",
		[]string{"tool", "controller", "slot"}, nil)
	descHWRaidCacheProtected = prometheus.NewDesc("redwatch_hwraid_cache_protected",
		"1 if the RAID controller's write cache is protected (its BBU, CacheVault or capacitor is fine and the cache is not disabled), 0 if write-back is lost; absent without a cache backup or cache status.",
		[]string{"tool", "controller", "backup"}, nil)
	descHWRaidKernelFault = prometheus.NewDesc("redwatch_hwraid_kernel_fault",
		"1 if a RAID driver's sysfs attribute says the volume or controller is not healthy (raid_class state, megaraid_sas fw_crash_state, hpsa lockup_detected), 0 if it is healthy.",
		[]string{"driver", "name", "attr"}, nil)
)

var hwraidDescs = []*prometheus.Desc{descHWRaidController, descHWRaidControllerHealthy, descHWRaidVDState, descHWRaidDriveState,
	descHWRaidDrivePredictive, descHWRaidDriveMedia, descHWRaidCacheProtected, descHWRaidKernelFault}

var (
	hwraidVDStates = []string{collectors.VDOptimal, collectors.VDDegraded, collectors.VDPartially, collectors.VDRebuild,
		collectors.VDOffline, collectors.VDFailed, collectors.VDUnknown}
	hwraidDriveStates = []string{collectors.DriveOnline, collectors.DriveRebuilding, collectors.DriveFailed, collectors.DriveDown,
		collectors.DriveMissing, collectors.DriveSpare, collectors.DriveUnconfigured, collectors.DriveUnconfBad, collectors.DriveJBOD,
		collectors.DriveUnknown}
)

// hwraidMetrics exports the snapshot's RAID controllers; a label set seen
// twice (two outputs naming one drive) is sent once, as a duplicate would
// fail the whole scrape.
func hwraidMetrics(s *collectors.Snapshot, gauge func(d *prometheus.Desc, v float64, labels ...string)) {
	if s.HWRaid == nil {
		return
	}
	seen := map[string]bool{}
	once := func(key ...string) bool {
		k := ""
		for _, p := range key {
			k += p + "\x00"
		}
		if seen[k] {
			return false
		}
		seen[k] = true
		return true
	}
	for _, c := range s.HWRaid.Controllers {
		if !once("c", c.Tool, c.ID) {
			continue
		}
		gauge(descHWRaidController, 1, c.Tool, c.ID, c.Model, c.Status)
		if c.Status != "" {
			gauge(descHWRaidControllerHealthy, boolFloat(c.StatusOK), c.Tool, c.ID)
		}
		if c.Cache.Backup != "" || c.Cache.Status != "" {
			gauge(descHWRaidCacheProtected, boolFloat((c.Cache.Backup == "" || c.Cache.BackupOK) && !c.Cache.Disabled), c.Tool, c.ID, c.Cache.Backup)
		}
		for _, v := range c.VDs {
			if !once("v", c.Tool, c.ID, v.ID) {
				continue
			}
			for _, st := range withState(hwraidVDStates, v.State) {
				gauge(descHWRaidVDState, boolFloat(st == v.State), c.Tool, c.ID, v.ID, v.Level, st)
			}
		}
		for _, d := range c.Drives {
			if !once("d", c.Tool, c.ID, d.ID) {
				continue
			}
			for _, st := range withState(hwraidDriveStates, d.State) {
				gauge(descHWRaidDriveState, boolFloat(st == d.State), c.Tool, c.ID, d.ID, st)
			}
			if d.PredictiveFailures >= 0 {
				gauge(descHWRaidDrivePredictive, float64(d.PredictiveFailures), c.Tool, c.ID, d.ID)
			}
			if d.MediaErrors >= 0 {
				gauge(descHWRaidDriveMedia, float64(d.MediaErrors), c.Tool, c.ID, d.ID)
			}
		}
	}
	for _, k := range s.HWRaid.Kernel {
		if once("k", k.Driver, k.Name, k.Attr) {
			gauge(descHWRaidKernelFault, boolFloat(k.Bad), k.Driver, k.Name, k.Attr)
		}
	}
}

// withState returns states, with state added when it is not among them.
func withState(states []string, state string) []string {
	for _, s := range states {
		if s == state {
			return states
		}
	}
	return append(append([]string(nil), states...), state)
}

// raidRow is one RAID controller on the status page.
type raidRow struct {
	ID, Model, Tool, Status, Cache string
	VDs, Drives                    []string
	Bad                            bool
}

// raidRows are the snapshot's RAID controllers, each VD as "c0/v0 RAID1
// optimal" and each drive as "252:0 · online (Onln)".
func raidRows(s *collectors.Snapshot) []raidRow {
	if s.HWRaid == nil {
		return nil
	}
	var rows []raidRow
	for _, c := range s.HWRaid.Controllers {
		r := raidRow{ID: c.ID, Model: c.Model, Tool: c.Tool, Status: c.Status, Bad: c.Status != "" && !c.StatusOK}
		switch {
		case c.Cache.Backup != "" && !c.Cache.BackupOK:
			r.Cache, r.Bad = c.Cache.Backup+" "+c.Cache.BackupStatus, true
		case c.Cache.Disabled:
			r.Cache, r.Bad = "cache "+c.Cache.Status, true
		case c.Cache.Backup != "":
			r.Cache = c.Cache.Backup + " " + c.Cache.BackupStatus
		}
		for _, v := range c.VDs {
			r.VDs = append(r.VDs, c.ID+"/"+v.ID+" "+v.Level+" "+v.State)
			r.Bad = r.Bad || v.State != collectors.VDOptimal
		}
		for _, d := range c.Drives {
			r.Drives = append(r.Drives, d.ID+" · "+d.State+" ("+d.RawState+")")
			switch d.State {
			case collectors.DriveFailed, collectors.DriveDown, collectors.DriveMissing, collectors.DriveRebuilding, collectors.DriveUnconfBad:
				r.Bad = true
			}
		}
		rows = append(rows, r)
	}
	for _, k := range s.HWRaid.Kernel {
		rows = append(rows, raidRow{ID: k.Name, Tool: k.Driver, Status: k.Attr + " " + k.Value, Bad: k.Bad})
	}
	return rows
}
