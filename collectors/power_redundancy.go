package collectors

import "github.com/redwatch/redwatch/ipmi"

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
// online/present (PSU.State), the words package ipmi decodes into. The
// sysfs source leaves State "".
const (
	// PSUStateOK is a supply present, with input power, reporting no fault.
	PSUStateOK = ipmi.StateOK
	// PSUStateFailed is a supply reporting a failure (IPMI offset 01h
	// "Power Supply Failure detected", Redfish Health Critical, an hwmon
	// fault), or a configuration error (offset 05h).
	PSUStateFailed = ipmi.StateFailed
	// PSUStatePredictiveFailure is a supply still delivering power that
	// predicts its failure (IPMI offset 02h, Redfish Health Warning, an hwmon
	// alarm).
	PSUStatePredictiveFailure = ipmi.StatePredictiveFailure
	// PSUStateInputLost is a supply present without usable input power (IPMI
	// offsets 03h AC lost, 04h AC lost or out of range, 05h out of range but
	// present; hwmon input gone).
	PSUStateInputLost = ipmi.StateInputLost
	// PSUStateAbsent is a bay without a supply (IPMI presence not asserted,
	// Redfish State Absent).
	PSUStateAbsent = ipmi.StateAbsent
	// PSUStateStandby is a supply present and healthy but not delivering
	// power by design (IPMI offset 07h inactive/standby, Redfish
	// StandbySpare): it counts as present, not as carrying the load.
	PSUStateStandby = ipmi.StateStandby
	// PSUStateUnknown is a supply whose state the source could not decode
	// (a reading unavailable, a sensor not scanned); the source reports an
	// Error with the reason as well.
	PSUStateUnknown = ipmi.StateUnknown
)

// Power redundancy states (PowerRedundancy.State), the IPMI generic
// "redundancy" reading type 0Bh's offsets and Redfish's Redundancy Status in
// one vocabulary.
const (
	// RedundancyFull: the set is fully redundant (IPMI 0Bh offset 00h,
	// Redfish Status OK and Enabled).
	RedundancyFull = ipmi.RedundancyFull
	// RedundancyLost: the set lost its redundancy (offset 01h; Redfish
	// State Offline/Disabled/UnavailableOffline, whatever Health says).
	RedundancyLost = ipmi.RedundancyLost
	// RedundancyDegraded: redundancy degraded but still redundant (offsets
	// 02h, 06h, 07h; Redfish Health Warning).
	RedundancyDegraded = ipmi.RedundancyDegraded
	// RedundancyNonRedundantSufficient: not redundant, but enough supplies to
	// run (offsets 03h, 04h).
	RedundancyNonRedundantSufficient = ipmi.RedundancyNonRedundantSufficient
	// RedundancyNonRedundantInsufficient: not enough supplies to run
	// (offset 05h "Non-redundant: Insufficient Resources").
	RedundancyNonRedundantInsufficient = ipmi.RedundancyNonRedundantInsufficient
	// RedundancyUnknown: the source has a redundancy sensor but could not
	// read it (reading unavailable, no offset asserted).
	RedundancyUnknown = ipmi.RedundancyUnknown
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
