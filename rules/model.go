// Package rules maps a collectors.Snapshot into redundancy groups, evaluates
// the built-in rules over them and returns Findings and the pass Status.
package rules

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/redwatch/redwatch/collectors"
)

// Severity is how bad a finding is.
type Severity int

// Severities, in increasing order.
const (
	Info Severity = iota
	Warning
	Critical
)

var severityNames = [...]string{Info: "info", Warning: "warning", Critical: "critical"}

func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity parses "info", "warning" or "critical".
func ParseSeverity(text string) (Severity, error) {
	for i, n := range severityNames {
		if n == text {
			return Severity(i), nil
		}
	}
	return Info, fmt.Errorf("rules: unknown severity %q (want info, warning or critical)", text)
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// Status is the verdict of a pass. Its order is the Nagios exit code.
type Status int

// Statuses; the values are the Nagios/audit exit codes.
const (
	StatusOK       Status = 0
	StatusWarning  Status = 1
	StatusCritical Status = 2
	StatusUnknown  Status = 3
)

var statusNames = map[Status]string{StatusOK: "ok", StatusWarning: "warning", StatusCritical: "critical", StatusUnknown: "unknown"}

func (s Status) String() string { return statusNames[s] }

// ExitCode is the Nagios plugin exit code for the status.
func (s Status) ExitCode() int { return int(s) }

// MarshalText implements encoding.TextMarshaler.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Status) UnmarshalText(b []byte) error {
	for k, v := range statusNames {
		if v == string(b) {
			*s = k
			return nil
		}
	}
	return fmt.Errorf("rules: unknown status %q", b)
}

// rank orders statuses by badness: CRITICAL beats UNKNOWN beats WARNING beats OK.
func (s Status) rank() int {
	switch s {
	case StatusCritical:
		return 3
	case StatusUnknown:
		return 2
	case StatusWarning:
		return 1
	}
	return 0
}

// Worse returns the worse of two statuses (CRITICAL > UNKNOWN > WARNING > OK).
func Worse(a, b Status) Status {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// statusOf is the status a finding of severity s gives a pass.
func statusOf(s Severity) Status {
	switch s {
	case Critical:
		return StatusCritical
	case Warning:
		return StatusWarning
	}
	return StatusOK
}

// Member is one member of a redundancy group.
type Member struct {
	// Name is the member, e.g. "eth1", "sdb1", "(slot 2)".
	Name string `json:"name"`
	// State is the member's state: "up"/"down" for bond slaves, the md member
	// states (in_sync, faulty, spare, rebuilding, missing, unknown).
	State string `json:"state"`
	// Healthy says whether the member counts towards Group.Healthy.
	Healthy bool `json:"-"`
	// Resources are what the member depends on, by kind: "pci_slot", "disk", "controller".
	Resources map[string]string `json:"resources,omitempty"`
}

// Group is the common shape every redundant subsystem maps into.
type Group struct {
	// Kind is "bond" or "md" (later "psu", "multipath", ...).
	Kind string `json:"kind"`
	// Name is the group, e.g. "bond0", "md0".
	Name string `json:"name"`
	// Needed is how many healthy members the group needs to survive one more
	// member failure; below it the next failure is an outage.
	Needed int `json:"needed"`
	// Healthy is how many members are healthy now.
	Healthy int `json:"healthy"`
	// Total is how many members there are (including missing slots and spares).
	Total int `json:"total"`
	// Members are the members in source order.
	Members []Member `json:"members"`
	// Redundancy is the group's redundancy state as its source reports it
	// (power: a BMC's redundancy sensor, collectors.Redundancy*); "" when no
	// source reports one.
	Redundancy string `json:"redundancy,omitempty"`
	// Stale is set when the group's source failed in this pass and the group
	// is shown as it was last read (collectors.Stale).
	Stale *collectors.Stale `json:"stale,omitempty"`
	// NotObservable is set on the power group when no source can count the
	// supplies (power_not_observable): the group is listed so that silence
	// does not look like health, with the one adapter that stands for all
	// supplies as its member or with none. It is neither healthy nor
	// degraded, and never counts as a healthy group.
	NotObservable bool `json:"not_observable,omitempty"`
	// Facts are what the group's members say together, e.g. a bond's LLDP
	// switches and whether they are one MLAG/vPC pair.
	Facts map[string]string `json:"facts,omitempty"`
}

// Finding is one thing a rule found.
type Finding struct {
	Rule        string   `json:"rule"`
	Severity    Severity `json:"severity"`
	Subject     string   `json:"subject"`
	Message     string   `json:"message"`
	Remediation string   `json:"remediation"`
	// Facts are the values that triggered the finding.
	Facts map[string]string `json:"facts,omitempty"`
	// Maintenance is set while a maintenance window is on: the finding is
	// reported, but no notification or action fires for it.
	Maintenance bool `json:"maintenance,omitempty"`
	// Stale is set when the finding comes from facts its source could not
	// read in this pass, kept from the last pass that read them.
	Stale *collectors.Stale `json:"stale,omitempty"`
}

// Result is one evaluated pass: the audit JSON object and what /health serves.
type Result struct {
	Status   Status             `json:"status"`
	Findings []Finding          `json:"findings"`
	Groups   []Group            `json:"groups"`
	Errors   []collectors.Error `json:"errors"`
	// Neighbors are the LLDP neighbours of the interfaces outside every
	// bond (a bond member's is in its group's member resources).
	Neighbors []NICNeighbor `json:"lldp_neighbors,omitempty"`
}

// MarshalJSON keeps empty lists as [] rather than null, so consumers can iterate.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return json.Marshal(plain(r.NonNil()))
}

// NonNil returns r with every nil list (findings, groups, errors, a group's
// members) made empty. It never writes into r's own slices: passes are read
// by scrapes while the next one is evaluated.
func (r Result) NonNil() Result {
	r.Findings = nonNil(r.Findings)
	r.Errors = nonNil(r.Errors)
	groups := nonNil(r.Groups)
	for i := range groups {
		if groups[i].Members == nil {
			groups = slices.Clone(groups)
			for j := range groups {
				groups[j].Members = nonNil(groups[j].Members)
			}
			break
		}
	}
	r.Groups = groups
	return r
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
