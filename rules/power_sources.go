package rules

import (
	"fmt"

	"github.com/redwatch/redwatch/collectors"
)

// decodedState maps the decoded state of a supply read by a source that
// knows more than sysfs's online/present (PSU.State: hwmon, IPMI, Redfish)
// to its member state; ok is false for a sysfs supply (State "").
func decodedState(p *collectors.PSU) (state string, ok bool) {
	switch p.State {
	case "":
		return "", false
	case collectors.PSUStateOK, collectors.PSUStateStandby:
		return StateOnline, true
	case collectors.PSUStateAbsent:
		return StateAbsent, true
	case collectors.PSUStateInputLost:
		return StateOffline, true
	case collectors.PSUStateFailed, collectors.PSUStatePredictiveFailure:
		return StateUnhealthy, true
	}
	return StateUnknown, true
}

// decodedHealth is the psu_health message of a supply whose source decoded
// a failure or a predicted one, with the source's reason; ok is false
// otherwise.
func decodedHealth(p *collectors.PSU) (msg string, ok bool) {
	var what string
	switch p.State {
	case collectors.PSUStateFailed:
		what = "has failed"
	case collectors.PSUStatePredictiveFailure:
		what = "predicts its failure"
	default:
		return "", false
	}
	msg = fmt.Sprintf("power supply %s %s (%s)", p.Name, what, p.Source)
	if p.Reason != "" {
		msg += ": " + p.Reason
	}
	return msg, true
}
