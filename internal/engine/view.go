package engine

import (
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/rules"
)

// View is a pass as the audit's JSON object (ARCHITECTURE.md's contract):
// `audit -o json` prints it, /health serves it with Time and Host set. The
// lists are never null, so consumers can iterate them.
type View struct {
	// Time is when the pass started; set by /health, omitted by audit.
	Time *time.Time `json:"time,omitempty"`
	// Host is the host the pass read; set by /health, omitted by audit.
	Host     string             `json:"host,omitempty"`
	Status   rules.Status       `json:"status"`
	Findings []rules.Finding    `json:"findings"`
	Groups   []rules.Group      `json:"groups"`
	Errors   []collectors.Error `json:"errors"`
	// Neighbors are the LLDP neighbours of the interfaces outside bonds.
	Neighbors []rules.NICNeighbor `json:"lldp_neighbors,omitempty"`
	// Pending are findings waiting for their rule's `for`.
	Pending []rules.Pending `json:"pending,omitempty"`
	// Maintenance is the host-wide maintenance window in force, if any
	// (kept for the consumers of the one-window format).
	Maintenance *rules.Maintenance `json:"maintenance,omitempty"`
	// MaintenanceWindows are every maintenance window in force, host-wide or
	// for some subjects and rules; the findings they cover are marked
	// "maintenance": true.
	MaintenanceWindows []rules.Maintenance `json:"maintenance_windows,omitempty"`
	// Stale are the facts kept from an earlier pass because their source
	// failed in this one (collectors.Stale).
	Stale []collectors.Stale `json:"stale,omitempty"`
}

// View returns the pass's JSON view; withHost adds the time and the host.
func (p *Pass) View(withHost bool) View {
	r := p.Result.NonNil()
	v := View{
		Status:             r.Status,
		Findings:           r.Findings,
		Groups:             r.Groups,
		Errors:             r.Errors,
		Neighbors:          r.Neighbors,
		Pending:            p.Pending,
		MaintenanceWindows: p.Maintenance,
	}
	for i := range p.Maintenance {
		if p.Maintenance[i].HostWide() {
			v.Maintenance = &p.Maintenance[i]
			break
		}
	}
	if p.Snapshot != nil {
		v.Stale = p.Snapshot.Stale
	}
	if withHost {
		t := p.Started.UTC()
		v.Time = &t
		if p.Snapshot != nil {
			v.Host = p.Snapshot.Host
		}
	}
	return v
}
