package rules

// ReenslaveGaveUp is the rule the re-enslave policy (internal/actions)
// raises for a member it stopped putting back.
const ReenslaveGaveUp = "reenslave_gave_up"

// actionRules are the findings the daemon's actions raise about
// themselves (internal/actions): not checks over the snapshot, they come
// in Options.Actions and then go through rule control and maintenance like
// any other finding.
var actionRules = []Rule{
	{ID: ReenslaveGaveUp, Severity: Warning,
		Checks:      "a bond member that the re-enslave action (actions.reenslave) put back and that dropped out again once its max_per_hour attempts were used: the action stopped for it, so that it never flaps",
		Remediation: "find why {member} keeps leaving {group} (the network configuration, a driver reset, a switch port err-disabled by LACP), then put it back by hand (`ip link set {member} down; ip link set {member} master {group}; ip link set {member} up`): the action resumes once it is a member again"},
}

// ActionRule returns the action rule with that ID; ok is false when none.
func ActionRule(id string) (Rule, bool) {
	for _, r := range actionRules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}
