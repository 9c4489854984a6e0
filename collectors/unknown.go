package collectors

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/redwatch/redwatch/bonding"
)

// knownSlaveStates are the slave MII states the bonding driver prints.
var knownSlaveStates = map[string]bool{"up": true, "down": true, "going down": true, "going back": true}

// unknownSlaveStates turns slave MII states nobody knows into errors naming
// the file they came from: a state nobody can interpret must not read as
// healthy, nor as down.
func unknownSlaveStates(r Roots, bonds []bonding.Bond) []Error {
	var errs []Error
	for _, b := range bonds {
		for _, sl := range b.Slaves {
			if knownSlaveStates[sl.MIIStatus] {
				continue
			}
			path := filepath.Join(r.Sys, "class/net", sl.Name, "bonding_slave/mii_status")
			if slices.Contains(b.Sources, bonding.SourceProc) {
				path = filepath.Join(r.Proc, "net/bonding", b.Name)
			}
			errs = append(errs, Error{Collector: "bonding", Path: path,
				Err: fmt.Errorf("slave %s has unknown MII status %q", sl.Name, sl.MIIStatus)})
		}
	}
	return errs
}

// unknownMemberStates turns md member states nobody knows into errors naming
// the file they came from (an mdstat flag, or sysfs dev-<name>/state).
func unknownMemberStates(r Roots, arrays []MDArray) []Error {
	var errs []Error
	for _, a := range arrays {
		for _, m := range a.Members {
			if m.State != MemberUnknown && m.State != "" {
				continue
			}
			path := filepath.Join(r.Sys, "block", a.Name, "md", "dev-"+m.Name, "state")
			if strings.HasPrefix(m.RawState, "(") {
				path = filepath.Join(r.Proc, "mdstat")
			}
			errs = append(errs, Error{Collector: "md", Path: path,
				Err: fmt.Errorf("member %s has unknown state %q", m.Name, m.RawState)})
		}
	}
	return errs
}
