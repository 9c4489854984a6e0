package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/redwatch/redwatch/collectors"
)

// kindCollectors names, for each group kind, the collector whose source the
// groups of that kind are read from.
var kindCollectors = map[string]string{KindBond: "bonding", KindMD: "md", KindPSU: "power"}

// powerCollectors are the other collectors whose supplies are members of the
// power group (PSU.Source other than sysfs): one of them failing is the power
// group's source failing too.
var powerCollectors = []string{collectors.IPMICollector, collectors.PSUSourceRedfish, collectors.PSUSourceHwmon}

// sourceFailed reports whether the source of the groups of kind could not
// be read (fully) in this pass: an error of its collector, or a tree with
// no source at all. Such a pass cannot tell that a group of that kind is
// gone, so the rules that judge a group missing stay silent for it.
func (in *input) sourceFailed(kind string) bool {
	c := kindCollectors[kind]
	for _, e := range in.snap.Errors {
		if e.Collector == c || e.Collector == collectors.SourceCollector || kind == KindPSU && slices.Contains(powerCollectors, e.Collector) {
			return true
		}
	}
	return false
}

// anySourceFailed reports whether the source of any group kind failed.
func (in *input) anySourceFailed() bool {
	for k := range kindCollectors {
		if in.sourceFailed(k) {
			return true
		}
	}
	return false
}

// noGroupsRule says that the host has no redundancy group at all. It is
// info: a host built without redundancy is a fact, not a failure, and the
// audit stays OK, but it says so instead of a bare "0 groups healthy". A
// fleet that requires redundancy declares it (`expect:`, critical when the
// group is missing) or raises this rule's severity with a rule control.
var noGroupsRule = Rule{
	ID: "no_redundancy_groups", Severity: Info,
	Checks:      "the host has no redundancy group at all (no bond, no redundant md array, no power supply group) and every source of one was read",
	Remediation: "nothing, if the host is built without redundancy; otherwise declare the groups it must have under expect: (missing ones are critical) or raise this rule's severity with a rule control",
	check: func(in *input, emit func(Finding)) {
		if len(in.groups) > 0 || in.anySourceFailed() {
			return
		}
		for _, a := range in.snap.MD {
			if !a.Active {
				return // an array that failed to start is md_inactive's
			}
		}
		emit(Finding{Subject: "host",
			Message: "no redundancy groups found (no bond, no redundant md array, no power supply group): nothing on this host survives one failure",
			Facts:   map[string]string{"groups": fmt.Sprint(0)}})
	},
}

// markStale marks the groups and findings that come from stale facts: a
// group whose bond, array or supply is in s.Stale, and every finding whose
// subject is such a group, a member of one ("md0/sdb1"), or a stale NIC.
func markStale(s *collectors.Snapshot, res *Result) {
	if len(s.Stale) == 0 {
		return
	}
	by := map[string]*collectors.Stale{} // by subject head
	for i := range s.Stale {
		st := &s.Stale[i]
		if st.Collector == "net" {
			by[st.Name] = st
		}
	}
	for i := range res.Groups {
		g := &res.Groups[i]
		c := kindCollectors[g.Kind]
		for j := range s.Stale {
			st := &s.Stale[j]
			// The power group is one per host whatever its sources: any of
			// them kept stale (a BMC that stopped answering) makes it stale.
			power := g.Kind == KindPSU && slices.Contains(powerCollectors, st.Collector)
			if power || st.Collector == c && (st.Name == g.Name || slices.ContainsFunc(g.Members, func(m Member) bool { return m.Name == st.Name })) {
				g.Stale = st
				by[g.Name] = st
				break
			}
		}
	}
	for i := range res.Findings {
		head, _, _ := strings.Cut(res.Findings[i].Subject, "/")
		if st, ok := by[head]; ok {
			res.Findings[i].Stale = st
		}
	}
}
