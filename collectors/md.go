package collectors

// MD member states, normalised from /proc/mdstat flags and
// /sys/block/mdX/md/dev-*/state.
const (
	MemberInSync     = "in_sync"
	MemberFaulty     = "faulty"
	MemberSpare      = "spare"      // a hot spare, not part of the array's slots
	MemberRebuilding = "rebuilding" // in a slot, being recovered into
	MemberUnknown    = "unknown"    // a state the code has never seen
	// MemberJournal is a RAID4/5/6 write journal device ("(J)" in mdstat,
	// the journal state flag): not a data member and not a spare.
	MemberJournal = "journal"
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
	// External is the external metadata reference after "super " in /proc/mdstat or
	// md/metadata_version: "external:/md127/0" for an array inside a container,
	// "external:imsm" or "external:ddf" for the container itself; "" for native metadata.
	External string `json:"external,omitempty"`
	// RaidDisks is the number of slots: n in "[n/m]" or md/raid_disks; Unknown (-1) when not printed.
	RaidDisks int `json:"raid_disks"`
	// ActiveDisks is m in "[n/m]"; Unknown when not printed.
	ActiveDisks int `json:"active_disks"`
	// Degraded is md/degraded (the number of slots without an in-sync member), or
	// n-m from mdstat's "[n/m]"; Unknown when neither was read.
	Degraded int `json:"degraded"`
	// Status is mdstat's "[UU_]" string without brackets, one letter per slot
	// ('_' = slot empty, faulty or rebuilding). When only sysfs was read it is
	// built from the members' slots and states; "" when not known (raid0, linear, inactive).
	Status string `json:"status,omitempty"`
	// SyncAction is "idle", "resync", "recover", "check", "repair", "reshape" (md/sync_action or mdstat).
	SyncAction string `json:"sync_action,omitempty"`
	// SyncProgress is the percentage done of SyncAction; Unknown when none runs.
	SyncProgress float64 `json:"sync_progress"`
	// SyncFinish is mdstat's "finish=" estimate, e.g. "12.3min"; "" when none.
	SyncFinish string `json:"sync_finish,omitempty"`
	// SyncPending is "delayed" or "pending" for mdstat's "resync=DELAYED" /
	// "resync=PENDING" (or md/sync_completed "delayed"): a sync is due but not
	// running, SyncProgress is Unknown.
	SyncPending string `json:"sync_pending,omitempty"`
	// MismatchCount is md/mismatch_cnt; Unknown when not read.
	MismatchCount int64 `json:"mismatch_cnt"`
	// Members are the component devices.
	Members []MDMember `json:"members"`
	// MissingSlots are the slot numbers (0-based) that no member fills, or
	// only a faulty one: a removed member (no md/rd<N> link) or one that failed
	// in its slot. A member in an unknown state still fills its slot. From sysfs this is exact; from /proc/mdstat alone it is the '_'
	// positions of Status less those a rebuilding member is filling (md puts a
	// recovering member in the lowest empty slot, so the highest '_' stay missing).
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
	// Slot is the role the member fills (0-based), from the md/rd<N> links or
	// md/dev-<name>/slot; Unknown for spares, faulty members out of their slot,
	// and whenever only /proc/mdstat was read: the number in brackets there
	// ("sdb1[1]") is the descriptor number (DescNr), not the slot.
	Slot int `json:"slot"`
	// DescNr is the number in brackets in /proc/mdstat ("sdb1[3](F)" → 3): the
	// kernel's rdev->desc_nr, stable per member but not its slot; Unknown when
	// mdstat was not read.
	DescNr int `json:"desc_nr"`
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
	// Blocked is the blocked state flag (md/dev-<name>/state): writes to the
	// array wait for this member's failure to be acknowledged.
	Blocked bool `json:"blocked,omitempty"`
	// WriteError is the write_error state flag: the member has seen a write error.
	WriteError bool `json:"write_error,omitempty"`
	// Disk is the whole disk the member lives on ("sdb" for "sdb1"), resolved
	// through /sys/class/block/<name>/partition; when sysfs has no entry for the
	// member, from the kernel's partition naming (sdb1 → sdb, nvme0n1p2 →
	// nvme0n1); dm-*, loop*, md* members are their own disk; "" when unknown.
	Disk string `json:"disk,omitempty"`
	// Controller is the PCI function of the disk's host controller
	// (from the resolved /sys/class/block/<disk> path); "" when unknown.
	Controller string `json:"controller,omitempty"`
}
