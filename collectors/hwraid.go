package collectors

import (
	"strconv"
	"strings"
)

// HWRaidCollector is the Collector of the errors of the hardware RAID source.
const HWRaidCollector = "hwraid"

// HWRaidDir is where a captured tree holds the RAID tools' outputs,
// relative to the tree: T/hwraid/<tool>/<command>.{json,txt}.
const HWRaidDir = "hwraid"

// Normalised virtual drive (logical drive) states.
const (
	VDOptimal   = "optimal"
	VDDegraded  = "degraded"
	VDPartially = "partially_degraded"
	VDRebuild   = "rebuilding"
	VDOffline   = "offline"
	VDFailed    = "failed"
	VDUnknown   = "unknown"
)

// Normalised physical drive states; DriveOnline, DriveRebuilding,
// DriveFailed, DriveDown and DriveMissing are a VD member's states too.
const (
	DriveOnline       = "online"
	DriveRebuilding   = "rebuilding"
	DriveFailed       = "failed"
	DriveDown         = "down"
	DriveMissing      = "missing"
	DriveSpare        = "spare"
	DriveUnconfigured = "unconfigured"
	DriveUnconfBad    = "unconfigured_bad"
	DriveJBOD         = "jbod"
	DriveUnknown      = "unknown"
)

// RAIDController is one hardware RAID controller as its vendor tool (or
// the kernel driver) reported it.
type RAIDController struct {
	// Tool is the program family that reported it: "storcli" (also
	// perccli), "storcli2", "ssacli" (also hpacucli), "arcconf", "megacli",
	// or "kernel" for what a driver shows in sysfs.
	Tool string `json:"tool"`
	// ID names the controller in findings and group names: "c0" (storcli,
	// arcconf, megacli), "slot0" (ssacli).
	ID string `json:"id"`
	// Model is the controller's model ("PERC H730 Mini", "Smart Array P420i").
	Model string `json:"model,omitempty"`
	// PCIAddress is its PCI function (0000:02:00.0) when the tool says it.
	PCIAddress string `json:"pci_address,omitempty"`
	// Status is the controller status word as printed ("Optimal", "OK", "Okay").
	Status string `json:"status"`
	// StatusOK is whether Status is a healthy word.
	StatusOK bool `json:"status_ok"`
	// Cache is the write cache's protection (BBU, CacheVault, capacitor).
	Cache RAIDCache `json:"cache"`
	// Foreign is how many foreign drive groups wait for import or clearing.
	Foreign int `json:"foreign"`
	// VDs are the virtual (logical) drives.
	VDs []RAIDVolume `json:"vds"`
	// Drives are the physical drives the controller sees, configured or not.
	Drives []RAIDDrive `json:"drives"`
}

// RAIDCache is a controller's write cache and what protects it.
type RAIDCache struct {
	// Backup is what keeps the cache on power loss: "bbu", "cachevault",
	// "capacitor", "battery", "energy_pack"; "" when none is fitted or said.
	Backup string `json:"backup,omitempty"`
	// BackupStatus is the backup's status word as printed; "" when absent.
	BackupStatus string `json:"backup_status,omitempty"`
	// BackupOK is false when the backup reports a fault (write-back lost).
	BackupOK bool `json:"backup_ok"`
	// Status is the cache's own status word (ssacli "Cache Status").
	Status string `json:"status,omitempty"`
	// Disabled is set when the tool says the write cache is disabled or
	// fell back from write-back to write-through.
	Disabled bool `json:"disabled"`
}

// RAIDVolume is one virtual drive.
type RAIDVolume struct {
	// ID names it on its controller: "v0" (storcli target 0), "ld1" (ssacli, arcconf).
	ID string `json:"id"`
	// Name is the label the user gave it, if any.
	Name string `json:"name,omitempty"`
	// Level is the RAID level as "RAID1", "RAID10", "RAID5", ...
	Level string `json:"level"`
	// State is the normalised state (VDOptimal, VDDegraded, ...).
	State string `json:"state"`
	// RawState is the state as printed ("Optl", "Interim Recovery Mode").
	RawState string `json:"raw_state"`
	// Group is the drive group / array the VD lives on ("0", "A"); "" if not said.
	Group string `json:"group,omitempty"`
	// Target is the SCSI target id the OS sees the VD at; Unknown when not said.
	Target int `json:"target"`
	// OSDevice is the block device the tool says the VD is ("/dev/sda"); "" when not said.
	OSDevice string `json:"os_device,omitempty"`
	// Members are the IDs of its physical drives (RAIDDrive.ID), in order;
	// a missing one is "(missing A.R)" (array A, row R).
	Members []string `json:"members"`
	// Progress is a rebuild's percentage; Unknown when none runs.
	Progress int `json:"progress"`
	// CacheWTFallback is set when its write policy should be write-back but is write-through now.
	CacheWTFallback bool `json:"cache_wt_fallback,omitempty"`
}

// RAIDDrive is one physical drive behind a controller.
type RAIDDrive struct {
	// ID is its address on the controller: "252:0" (enclosure:slot),
	// "1I:1:1" (port:box:bay), "0:3" (enclosure:slot).
	ID string `json:"id"`
	// State is the normalised state (DriveOnline, ...).
	State string `json:"state"`
	// RawState is the state as printed ("Onln", "Offln", "Failed").
	RawState string `json:"raw_state"`
	// Group is the drive group / array it belongs to; "" when none.
	Group string `json:"group,omitempty"`
	// Model and Serial identify it.
	Model  string `json:"model,omitempty"`
	Serial string `json:"serial,omitempty"`
	// MediaErrors, OtherErrors and PredictiveFailures are the controller's
	// counters; Unknown when not read.
	MediaErrors        int `json:"media_errors"`
	OtherErrors        int `json:"other_errors"`
	PredictiveFailures int `json:"predictive_failures"`
	// SmartAlert is set when the drive flagged a S.M.A.R.T. alert.
	SmartAlert bool `json:"smart_alert"`
}

// HWRaid is what the hardware RAID source read: the controllers of every
// tool found, and what the kernel drivers show.
type HWRaid struct {
	// Tools are the tool families that ran or were read from a tree.
	Tools []string `json:"tools,omitempty"`
	// Controllers are the controllers, by tool then ID.
	Controllers []RAIDController `json:"controllers"`
	// Kernel are the driver-side facts (/sys/class/raid_devices,
	// /sys/class/scsi_host/*/fw_crash_state, lockup_detected).
	Kernel []KernelRAID `json:"kernel,omitempty"`
}

// RAIDLevelRedundant reports whether a RAID level keeps the data through a drive loss.
func RAIDLevelRedundant(level string) bool { return RAIDLevelTolerance(level, 2) > 0 }

// RAIDLevelTolerance is how many member drives a VD of level with n members
// may lose and still serve data (RAID1 with three drives: two). RAID10,
// 50 and 60 count one (or two) per VD: which span loses the drive matters,
// so the worst case is the one counted.
func RAIDLevelTolerance(level string, n int) int {
	l := strings.ToUpper(strings.ReplaceAll(strings.ReplaceAll(level, " ", ""), "-", ""))
	l = strings.TrimPrefix(l, "RAID")
	switch l {
	case "1", "1E", "1ADM", "1TRIPLE":
		if n <= 1 {
			return 1
		}
		return n - 1
	case "10", "1+0", "5", "50", "4", "3", "5EE", "1E0", "50EE":
		return 1
	case "6", "60", "6ADG", "ADG", "10ADM", "10TRIPLE":
		return 2
	}
	return 0
}

// normRAIDLevel writes a level as "RAID1": "1" (arcconf), "RAID 1" (ssacli),
// "Primary-1, Secondary-0, ..." (megacli).
func normRAIDLevel(s string) string {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutPrefix(s, "Primary-"); ok {
		prim, rest, _ := strings.Cut(p, ",")
		sec := ""
		if _, r, ok := strings.Cut(rest, "Secondary-"); ok {
			sec, _, _ = strings.Cut(r, ",")
		}
		if sec != "" && sec != "0" && prim != "0" {
			return "RAID" + prim + sec
		}
		if prim == "1" && sec == "0" && strings.Contains(rest, "Qualifier-0") {
			return "RAID1"
		}
		return "RAID" + prim
	}
	if _, err := strconv.Atoi(s); err == nil {
		return "RAID" + s
	}
	s = strings.ReplaceAll(s, " ", "")
	if strings.HasPrefix(strings.ToUpper(s), "RAID") {
		return "RAID" + s[4:]
	}
	return s
}

// KernelRAID is one fact a RAID driver shows without its tool.
type KernelRAID struct {
	// Driver is "raid_class" (mpt3sas IR volumes), "megaraid_sas" or "hpsa".
	Driver string `json:"driver"`
	// Name is the volume or SCSI host ("0:1:0:0", "host0").
	Name string `json:"name"`
	// Attr is the attribute read: "state", "fw_crash_state", "lockup_detected".
	Attr string `json:"attr"`
	// Value is the attribute's value as read.
	Value string `json:"value"`
	// Level is a raid_class volume's RAID level ("raid1"); "" otherwise.
	Level string `json:"level,omitempty"`
	// Bad is set when the value means the volume or controller is not healthy.
	Bad bool `json:"bad"`
	// Path is the file read.
	Path string `json:"path"`
}

// Volume returns the controller's VD with id, or nil.
func (c *RAIDController) Volume(id string) *RAIDVolume {
	for i := range c.VDs {
		if c.VDs[i].ID == id {
			return &c.VDs[i]
		}
	}
	return nil
}

// Drive returns the controller's drive with id, or nil.
func (c *RAIDController) Drive(id string) *RAIDDrive {
	for i := range c.Drives {
		if c.Drives[i].ID == id {
			return &c.Drives[i]
		}
	}
	return nil
}

// Name is the controller as findings name it: "c0 (PERC H730)".
func (c *RAIDController) Name() string {
	if c.Model == "" {
		return c.ID
	}
	return c.ID + " (" + c.Model + ")"
}

// newDrive is a drive with its counters Unknown.
func newDrive(id string) RAIDDrive {
	return RAIDDrive{ID: id, MediaErrors: Unknown, OtherErrors: Unknown, PredictiveFailures: Unknown}
}

// newVolume is a volume with its target and progress Unknown.
func newVolume(id string) RAIDVolume {
	return RAIDVolume{ID: id, Target: Unknown, Progress: Unknown}
}

// statusWordOK reports whether a controller, cache or battery status word is healthy.
func statusWordOK(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "ok", "optimal", "okay", "good", "ready", "0":
		return true
	}
	return false
}

// pciFromBDF writes bus, device and function numbers as a PCI address.
func pciFromBDF(domain, bus, dev, fn int) string {
	if bus < 0 || dev < 0 || fn < 0 {
		return ""
	}
	return strings.ToLower(strconv.FormatInt(int64(1<<16+max(domain, 0)), 16)[1:] + ":" +
		strconv.FormatInt(int64(0x100+bus), 16)[1:] + ":" + strconv.FormatInt(int64(0x100+dev), 16)[1:] + "." +
		strconv.FormatInt(int64(fn), 16))
}
