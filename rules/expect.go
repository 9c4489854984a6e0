package rules

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/redwatch/redwatch/collectors"
)

// BondExpect is what the operator declares about the bonds matching Name.
type BondExpect struct {
	// Name is a bond name or a glob (path.Match syntax) such as "bond*".
	Name string
	// Members are the slaves the bond must have; empty: not checked.
	Members []string
	// MinHealthy overrides the group's Needed (the healthy slaves it needs); 0: unchanged.
	MinHealthy int
}

// MDExpect is what the operator declares about the md arrays matching Name.
type MDExpect struct {
	// Name is an array name or a glob such as "md*".
	Name string
	// Members is how many member slots the array must have; 0: not checked.
	Members int
	// Spare says a hot spare is expected.
	Spare bool
}

// PowerExpect is how many power supplies the host must have.
type PowerExpect struct {
	// Present is how many supplies must be present; Healthy how many must be healthy.
	Present, Healthy int
}

// Expectations are the operator's declared redundancy. For each group the
// first matching expectation of its kind applies.
type Expectations struct {
	Bonds []BondExpect
	MD    []MDExpect
	// Power is nil when the configuration declares nothing about power.
	Power *PowerExpect
}

// IsGlob reports whether name holds glob metacharacters.
func IsGlob(name string) bool { return strings.ContainsAny(name, "*?[") }

// nameMatch reports whether pattern (an exact name or a glob) matches name.
func nameMatch(pattern, name string) bool {
	if !IsGlob(pattern) {
		return pattern == name
	}
	ok, err := path.Match(pattern, name)
	return err == nil && ok
}

// expectRules are the rules expectations produce; evaluate runs them.
var expectRules = []extraRule{
	{Rule: Rule{ID: "expect_group_missing", Severity: Critical,
		Checks:      "a bond or md array the configuration declares by exact name that the host does not have",
		Remediation: "bring {group} back (a bond: `ip link add {group} type bond`; an md array: `mdadm --assemble /dev/{group}`), or remove it from expect: in the configuration"},
		run: checkGroupMissing},
	{Rule: Rule{ID: "expect_glob_unmatched", Severity: Warning,
		Checks:      "an expectation whose glob (e.g. bond*) matches no group of its kind on the host",
		Remediation: "check that the host has the groups the pattern declares, or narrow the pattern / disable this rule for the host"},
		run: checkGlobUnmatched},
	{Rule: Rule{ID: "expect_member_missing", Severity: Warning,
		Checks:      "a bond slave the configuration declares that is not enslaved (removed, not just down)",
		Remediation: "enslave it again (`ip link set {member} master {group}`) and fix the network configuration that dropped it"},
		run: checkBondMembers},
	{Rule: Rule{ID: "expect_md_member_count", Severity: Critical,
		Checks:      "an md array with fewer member slots, or fewer members present, than the configuration declares",
		Remediation: "add the missing disk back (`mdadm /dev/{group} --add /dev/NEW_DISK`; after a reshape `mdadm --grow /dev/{group} -n N`)"},
		run: checkMDMembers},
	{Rule: Rule{ID: "expect_md_spare_missing", Severity: Warning,
		Checks:      "an md array declared with a hot spare that has none (the spare was used or removed)",
		Remediation: "add a new spare (`mdadm /dev/{group} --add /dev/NEW_DISK`)"},
		run: checkMDSpare},
	{Rule: Rule{ID: "expect_power_missing", Severity: Critical,
		Checks:      "fewer power supplies present than the configuration declares",
		Remediation: "re-seat or replace the missing supply and check both feeds"},
		run: checkPowerPresent},
	{Rule: Rule{ID: "expect_power_unhealthy", Severity: Critical,
		Checks:      "fewer healthy power supplies than the configuration declares",
		Remediation: "check the supply's AC input and its LEDs; replace it if it has failed"},
		run: checkPowerHealthy},
}

// applyMinHealthy sets Needed of every bond group a min_healthy expectation matches.
func applyMinHealthy(groups []Group, e Expectations) {
	for i := range groups {
		if groups[i].Kind != KindBond {
			continue
		}
		if x := firstBond(e, groups[i].Name); x != nil && x.MinHealthy > 0 {
			groups[i].Needed = x.MinHealthy
		}
	}
}

func firstBond(e Expectations, name string) *BondExpect {
	for i := range e.Bonds {
		if nameMatch(e.Bonds[i].Name, name) {
			return &e.Bonds[i]
		}
	}
	return nil
}

func firstMD(e Expectations, name string) *MDExpect {
	for i := range e.MD {
		if nameMatch(e.MD[i].Name, name) {
			return &e.MD[i]
		}
	}
	return nil
}

func hasGroup(groups []Group, kind, pattern string) bool {
	for _, g := range groups {
		if g.Kind == kind && nameMatch(pattern, g.Name) {
			return true
		}
	}
	return false
}

// mdPresent reports whether the snapshot has an md device by that name, even
// one that is not a redundancy group (inactive, raid0).
func (in *input) mdPresent(name string) bool {
	for _, a := range in.snap.MD {
		if nameMatch(name, a.Name) {
			return true
		}
	}
	return false
}

func checkGroupMissing(in *input, o *Options, emit func(Finding)) {
	for _, x := range o.Expect.Bonds {
		if !IsGlob(x.Name) && !hasGroup(in.groups, KindBond, x.Name) && !in.sourceFailed(KindBond) {
			emit(Finding{Subject: x.Name, Message: fmt.Sprintf("%s: declared bond does not exist on this host", x.Name),
				Facts: map[string]string{"kind": KindBond}})
		}
	}
	for _, x := range o.Expect.MD {
		if !IsGlob(x.Name) && !hasGroup(in.groups, KindMD, x.Name) && !in.mdPresent(x.Name) && !in.sourceFailed(KindMD) {
			emit(Finding{Subject: x.Name, Message: fmt.Sprintf("%s: declared md array does not exist on this host", x.Name),
				Facts: map[string]string{"kind": KindMD}})
		}
	}
}

func checkGlobUnmatched(in *input, o *Options, emit func(Finding)) {
	for _, x := range o.Expect.Bonds {
		if IsGlob(x.Name) && !hasGroup(in.groups, KindBond, x.Name) {
			emit(Finding{Subject: x.Name, Message: fmt.Sprintf("expect.bonds %q matches no bond on this host", x.Name),
				Facts: map[string]string{"kind": KindBond}})
		}
	}
	for _, x := range o.Expect.MD {
		if IsGlob(x.Name) && !hasGroup(in.groups, KindMD, x.Name) && !in.mdPresent(x.Name) {
			emit(Finding{Subject: x.Name, Message: fmt.Sprintf("expect.md %q matches no md array on this host", x.Name),
				Facts: map[string]string{"kind": KindMD}})
		}
	}
}

func memberNames(g Group) []string {
	names := make([]string, 0, len(g.Members))
	for _, m := range g.Members {
		if m.State != StateMissing {
			names = append(names, m.Name)
		}
	}
	return names
}

func checkBondMembers(in *input, o *Options, emit func(Finding)) {
	for _, g := range in.groups {
		if g.Kind != KindBond {
			continue
		}
		x := firstBond(o.Expect, g.Name)
		if x == nil {
			continue
		}
		have := memberNames(g)
		for _, want := range x.Members {
			if slices.Contains(have, want) {
				continue
			}
			emit(Finding{Subject: g.Name + "/" + want,
				Message: fmt.Sprintf("%s: declared slave %s is not a member (slaves now: %s)", g.Name, want, listOrNone(have)),
				Facts:   map[string]string{"declared": strings.Join(x.Members, ","), "members": strings.Join(have, ",")}})
		}
	}
}

func checkMDMembers(in *input, o *Options, emit func(Finding)) {
	for i := range in.snap.MD {
		a := &in.snap.MD[i]
		x := firstMD(o.Expect, a.Name)
		if x == nil || x.Members <= 0 {
			continue
		}
		var present []string
		for _, m := range a.Members {
			if m.State != "spare" && m.State != "journal" {
				present = append(present, m.Name)
			}
		}
		facts := map[string]string{"declared": strconv.Itoa(x.Members), "raid_disks": strconv.Itoa(a.RaidDisks), "present": strings.Join(present, ",")}
		switch {
		case a.RaidDisks > 0 && a.RaidDisks < x.Members:
			emit(Finding{Subject: a.Name, Facts: facts,
				Message: fmt.Sprintf("%s: %d member slots, %d declared (members now: %s)", a.Name, a.RaidDisks, x.Members, listOrNone(present))})
		case len(present) < x.Members:
			emit(Finding{Subject: a.Name, Facts: facts,
				Message: fmt.Sprintf("%s: %d of %d declared members present (%s)", a.Name, len(present), x.Members, listOrNone(present))})
		}
	}
}

func checkMDSpare(in *input, o *Options, emit func(Finding)) {
	for _, a := range in.snap.MD {
		x := firstMD(o.Expect, a.Name)
		if x == nil || !x.Spare {
			continue
		}
		if !slices.ContainsFunc(a.Members, func(m collectors.MDMember) bool { return m.State == "spare" }) {
			emit(Finding{Subject: a.Name, Message: fmt.Sprintf("%s: declared with a hot spare, but has none", a.Name)})
		}
	}
}

// powerCounts is how many Mains supplies are present and healthy, from the
// psu groups the power rules map them into (no Mains supply: no group, 0).
func powerCounts(in *input) (present, healthy int) {
	for _, g := range in.groups {
		if g.Kind != KindPSU {
			continue
		}
		for _, m := range g.Members {
			if m.State != StateAbsent {
				present++
			}
		}
		healthy += g.Healthy
	}
	return present, healthy
}

func checkPowerPresent(in *input, o *Options, emit func(Finding)) {
	if o.Expect.Power == nil || o.Expect.Power.Present <= 0 {
		return
	}
	if p, _ := powerCounts(in); p < o.Expect.Power.Present {
		emit(Finding{Subject: "power", Message: fmt.Sprintf("power: %d of %d declared supplies present", p, o.Expect.Power.Present),
			Facts: map[string]string{"present": strconv.Itoa(p), "declared": strconv.Itoa(o.Expect.Power.Present)}})
	}
}

func checkPowerHealthy(in *input, o *Options, emit func(Finding)) {
	if o.Expect.Power == nil || o.Expect.Power.Healthy <= 0 {
		return
	}
	p, h := powerCounts(in)
	if h < o.Expect.Power.Healthy && p >= o.Expect.Power.Present { // a missing supply is reported once, above
		emit(Finding{Subject: "power", Message: fmt.Sprintf("power: %d of %d declared supplies healthy", h, o.Expect.Power.Healthy),
			Facts: map[string]string{"healthy": strconv.Itoa(h), "declared": strconv.Itoa(o.Expect.Power.Healthy)}})
	}
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
