package collectors

// Power supply sources: the value of PSU.Source (and PowerRedundancy.Source)
// says which reader saw the supply. One physical supply may be seen by
// several sources (sysfs and IPMI, hwmon and Redfish): the rules merge them
// into one member of the one power group by PSU.Slot (see docs/power.md).
const (
	// PSUSourceIPMI marks a supply read from the BMC over IPMI (in-band
	// /dev/ipmi0 or lanplus), or from a captured T/ipmi dump.
	PSUSourceIPMI = "ipmi"
	// PSUSourceRedfish marks a supply read from the BMC's Redfish service.
	PSUSourceRedfish = "redfish"
	// PSUSourceHwmon marks a supply read from /sys/class/hwmon (PMBus and
	// PSU drivers).
	PSUSourceHwmon = "hwmon"
)

// Power supply states decoded by a source that knows more than sysfs's
// online/present (PSU.State). The sysfs source leaves State "".
const (
	// PSUStateOK is a supply present, with input power, reporting no fault.
	PSUStateOK = "ok"
	// PSUStateFailed is a supply reporting a failure (IPMI offset 01h
	// "Power Supply Failure detected", Redfish Health Critical, an hwmon
	// fault), or a configuration error (offset 05h).
	PSUStateFailed = "failed"
	// PSUStatePredictiveFailure is a supply still delivering power that
	// predicts its failure (IPMI offset 02h, Redfish Health Warning, an hwmon
	// alarm).
	PSUStatePredictiveFailure = "predictive_failure"
	// PSUStateInputLost is a supply present without usable input power (IPMI
	// offsets 03h AC lost, 04h AC lost or out of range, 05h out of range but
	// present; hwmon input gone).
	PSUStateInputLost = "input_lost"
	// PSUStateAbsent is a bay without a supply (IPMI presence not asserted,
	// Redfish State Absent).
	PSUStateAbsent = "absent"
	// PSUStateStandby is a supply present and healthy but not delivering
	// power by design (IPMI offset 07h inactive/standby, Redfish
	// StandbySpare): it counts as present, not as carrying the load.
	PSUStateStandby = "standby"
	// PSUStateUnknown is a supply whose state the source could not decode
	// (a reading unavailable, a sensor not scanned); the source reports an
	// Error with the reason as well.
	PSUStateUnknown = "unknown"
)

// Power redundancy states (PowerRedundancy.State), the IPMI generic
// "redundancy" reading type 0Bh's offsets and Redfish's Redundancy Status in
// one vocabulary.
const (
	// RedundancyFull: the set is fully redundant (IPMI 0Bh offset 00h,
	// Redfish Status OK and Enabled).
	RedundancyFull = "full"
	// RedundancyLost: the set lost its redundancy (offset 01h; Redfish
	// State Offline/Disabled/UnavailableOffline, whatever Health says).
	RedundancyLost = "lost"
	// RedundancyDegraded: redundancy degraded but still redundant (offsets
	// 02h, 05h, 06h, 07h; Redfish Health Warning).
	RedundancyDegraded = "degraded"
	// RedundancyNonRedundantSufficient: not redundant, but enough supplies to
	// run (offset 03h; offset 04h from a fully redundant state).
	RedundancyNonRedundantSufficient = "non_redundant_sufficient"
	// RedundancyNonRedundantInsufficient: not enough supplies to run
	// (offset 05h "Non-redundant: Insufficient Resources").
	RedundancyNonRedundantInsufficient = "non_redundant_insufficient"
	// RedundancyUnknown: the source has a redundancy sensor but could not
	// read it (reading unavailable, no offset asserted).
	RedundancyUnknown = "unknown"
)

// PowerRedundancy is one redundancy set of power supplies as a BMC reports
// it: an IPMI Power Unit (sensor type 09h) or any sensor of generic reading
// type 0Bh ("PS Redundancy"), a Redfish PowerSupplyRedundancy or legacy
// Power Redundancy entry. When a host has one, its State is the power group's
// state: Redundancy Lost with every supply "ok" is still lost.
type PowerRedundancy struct {
	// Source is where it was read: PSUSourceIPMI or PSUSourceRedfish.
	Source string `json:"source"`
	// Name is the sensor's ID string ("PS Redundancy") or the Redfish
	// redundancy member's Name/MemberId.
	Name string `json:"name"`
	// State is one of the Redundancy* constants.
	State string `json:"state"`
	// MinNeeded is how many supplies the set needs to run (Redfish
	// MinNumNeeded); Unknown when the source does not say (IPMI).
	MinNeeded int `json:"min_needed"`
	// Members are the supplies of the set (their PSU.Name), when the source
	// lists them; nil means every supply of the same source.
	Members []string `json:"members,omitempty"`
	// Message says the state in words as the source said it, e.g.
	// "Redundancy Lost" (IPMI offset 01h) or "Redfish Status: State
	// Offline, Health OK".
	Message string `json:"message,omitempty"`
}
