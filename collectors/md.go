package collectors

// MD member states, normalised from /proc/mdstat flags and
// /sys/block/mdX/md/dev-*/state.
const (
	MemberInSync     = "in_sync"
	MemberFaulty     = "faulty"
	MemberSpare      = "spare"      // a hot spare, not part of the array's slots
	MemberRebuilding = "rebuilding" // in a slot, being recovered into
	MemberUnknown    = "unknown"    // a state the code has never seen
)

// MDArray is one md device (/proc/mdstat and /sys/block/<md>/md).
type MDArray struct {
	// Name is the md device, e.g. "md0".
	Name string `json:"name"`
	// Level is the personality, e.g. "raid1", "raid5", "raid10", "raid0",
	// "linear", "container" (/sys/block/<md>/md/level or the mdstat line); "" when inactive and unknown.
	Level string `json:"level"`
	// Active is false for an "inactive" array (mdstat) / array_state "inactive".
	Active bool `json:"active"`
	// ReadOnly is true for "(read-only)" / "(auto-read-only)" arrays.
	ReadOnly bool `json:"read_only,omitempty"`
	// ArrayState is /sys/block/<md>/md/array_state (clean, active, inactive, ...), "" when not read.
	ArrayState string `json:"array_state,omitempty"`
	// External is the metadata container reference ("super external:/md127/0"); "" for native metadata.
	External string `json:"external,omitempty"`
	// RaidDisks is the number of slots: n in "[n/m]" or md/raid_disks; Unknown (-1) when not printed.
	RaidDisks int `json:"raid_disks"`
	// ActiveDisks is m in "[n/m]"; Unknown when not printed.
	ActiveDisks int `json:"active_disks"`
	// Degraded is md/degraded (number of missing slots); Unknown when not read.
	Degraded int `json:"degraded"`
	// Status is the "[UU_]" string without brackets; "" when not printed.
	Status string `json:"status,omitempty"`
	// SyncAction is "idle", "resync", "recover", "check", "repair", "reshape" (md/sync_action or mdstat).
	SyncAction string `json:"sync_action,omitempty"`
	// SyncProgress is the percentage done of SyncAction; Unknown when none runs.
	SyncProgress float64 `json:"sync_progress"`
	// SyncFinish is mdstat's "finish=" estimate, e.g. "12.3min"; "" when none.
	SyncFinish string `json:"sync_finish,omitempty"`
	// MismatchCount is md/mismatch_cnt; Unknown when not read.
	MismatchCount int64 `json:"mismatch_cnt"`
	// Members are the component devices.
	Members []MDMember `json:"members"`
	// MissingSlots are the slot numbers (0-based) that no member fills.
	MissingSlots []int `json:"missing_slots,omitempty"`
}

// Redundant reports whether the level tolerates losing a member.
func (a *MDArray) Redundant() bool {
	switch a.Level {
	case "raid1", "raid4", "raid5", "raid6", "raid10":
		return true
	}
	return false
}

// MDMember is one component device of an md array.
type MDMember struct {
	// Name is the component block device, e.g. "sdb1", "vdb", "nvme0n1p2".
	Name string `json:"name"`
	// Slot is the role number in brackets in mdstat ("sdb1[1]") or md/dev-*/slot; Unknown for spares.
	Slot int `json:"slot"`
	// State is MemberInSync, MemberFaulty, MemberSpare, MemberRebuilding or MemberUnknown.
	State string `json:"state"`
	// RawState is md/dev-<name>/state as read (e.g. "faulty,write_mostly"), or the mdstat flags.
	RawState string `json:"raw_state,omitempty"`
	// WriteMostly is set by "(W)" or the write_mostly state flag.
	WriteMostly bool `json:"write_mostly,omitempty"`
	// WantReplacement is the want_replacement state flag.
	WantReplacement bool `json:"want_replacement,omitempty"`
	// Replacement is set by "(R)" or the replacement state flag.
	Replacement bool `json:"replacement,omitempty"`
	// Disk is the whole physical disk the member lives on ("sdb" for "sdb1"),
	// resolved through /sys/class/block/<name>/partition; "" when unknown.
	Disk string `json:"disk,omitempty"`
	// Controller is the PCI function of the disk's host controller
	// (from the resolved /sys/class/block/<disk> path); "" when unknown.
	Controller string `json:"controller,omitempty"`
}
