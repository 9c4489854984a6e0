package rules

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/redwatch/redwatch/collectors"
)

// BaselineGroup is the member set of one group as recorded when it was first
// seen fully healthy (or accepted by the operator).
type BaselineGroup struct {
	Kind    string    `json:"kind"`
	Name    string    `json:"name"`
	Members []string  `json:"members"`
	Since   time.Time `json:"since"`
	// Accepted is set when `redwatch baseline accept` recorded the group.
	Accepted bool `json:"accepted,omitempty"`
}

// Baseline is every recorded group by BaselineKey.
type Baseline map[string]BaselineGroup

// BaselineKey is the key of a group in the baseline: "kind/name".
func BaselineKey(kind, name string) string { return kind + "/" + name }

// Clone returns a deep copy (nil for nil).
func (b Baseline) Clone() Baseline {
	if b == nil {
		return nil
	}
	c := make(Baseline, len(b))
	for k, g := range b {
		g.Members = slices.Clone(g.Members)
		c[k] = g
	}
	return c
}

// Keys returns the keys in order.
func (b Baseline) Keys() []string { return slices.Sorted(maps.Keys(b)) }

var baselineRules = []extraRule{
	{Rule: Rule{ID: "baseline_member_missing", Severity: Warning,
		Checks:      "a member recorded in the baseline (when the group was healthy) that is no longer in the group: removed, not just down",
		Remediation: "put {member} back (bond: `ip link set {member} master {group}`; md: `mdadm /dev/{group} --add /dev/{member}`), or record the change with `redwatch baseline accept {group}`"},
		run: checkBaselineMembers},
	{Rule: Rule{ID: "baseline_group_missing", Severity: Critical,
		Checks:      "a group recorded in the baseline that the host no longer has",
		Remediation: "bring {group} back, or record its removal with `redwatch baseline accept {group}`"},
		run: checkBaselineGroups},
}

// fullyHealthy reports whether every member of g is healthy or a spare, with
// no missing slot, and g has enough healthy members.
func fullyHealthy(g Group) bool {
	if len(g.Members) == 0 || g.Healthy < 1 {
		return false
	}
	for _, m := range g.Members {
		if !m.Healthy && m.State != collectors.MemberSpare && m.State != collectors.MemberJournal {
			return false
		}
	}
	return true
}

// RecordHealthy adds every group of groups that is fully healthy and not in
// b yet, with its members and now. It reports whether b changed.
func (b Baseline) RecordHealthy(groups []Group, now time.Time) bool {
	return b.RecordSettled(groups, Baseline{}, now, 0)
}

// RecordSettled records in b the groups that have been seen fully healthy,
// with the same members, in every pass for at least settle. settling holds
// the groups still settling (Since: when their healthy run began) and is
// updated in place: a group not in b starts settling when first seen fully
// healthy, starts again when its members change, and is dropped when a pass
// sees it unhealthy or not at all. So a transient group (a bond created and
// renamed a second later) never enters the baseline. settle 0 records a
// group the first time it is seen fully healthy. It reports whether b changed.
func (b Baseline) RecordSettled(groups []Group, settling Baseline, now time.Time, settle time.Duration) bool {
	changed := false
	seen := map[string]bool{}
	for _, g := range groups {
		k := BaselineKey(g.Kind, g.Name)
		if _, ok := b[k]; ok || !fullyHealthy(g) {
			continue
		}
		seen[k] = true
		members := memberNames(g)
		c, ok := settling[k]
		if !ok || !slices.Equal(c.Members, members) || c.Since.After(now) {
			c = BaselineGroup{Kind: g.Kind, Name: g.Name, Members: members, Since: now.UTC()}
			settling[k] = c
		}
		if now.Sub(c.Since) < settle {
			continue
		}
		delete(settling, k)
		b[k] = BaselineGroup{Kind: g.Kind, Name: g.Name, Members: members, Since: now.UTC()}
		changed = true
	}
	for k := range settling {
		if !seen[k] {
			delete(settling, k)
		}
	}
	return changed
}

// Accept records the current member set of the groups selected by sel (a
// name, "kind/name", or "" for all), whatever their health, and drops
// selected baseline groups the host no longer has. It returns the keys
// recorded or dropped, and false when sel matches nothing.
func (b Baseline) Accept(groups []Group, sel string, now time.Time) ([]string, bool) {
	match := func(kind, name string) bool {
		return sel == "" || sel == name || sel == BaselineKey(kind, name)
	}
	var done []string
	seen := map[string]bool{}
	for _, g := range groups {
		if !match(g.Kind, g.Name) || g.NotObservable && len(g.Members) == 0 {
			continue // a power group nobody can count has no member set to record
		}
		k := BaselineKey(g.Kind, g.Name)
		seen[k] = true
		b[k] = BaselineGroup{Kind: g.Kind, Name: g.Name, Members: memberNames(g), Since: now.UTC(), Accepted: true}
		done = append(done, k)
	}
	for _, k := range b.Keys() {
		if g := b[k]; !seen[k] && match(g.Kind, g.Name) {
			delete(b, k)
			done = append(done, k)
		}
	}
	return done, len(done) > 0
}

func checkBaselineMembers(in *input, o *Options, emit func(Finding)) {
	if o.Baseline == nil {
		return
	}
	for _, g := range in.groups {
		bg, ok := o.Baseline[BaselineKey(g.Kind, g.Name)]
		if !ok {
			continue
		}
		have := memberNames(g)
		for _, m := range bg.Members {
			if slices.Contains(have, m) {
				continue
			}
			emit(Finding{Subject: g.Name + "/" + m, Remediation: baselineMemberRemediation[g.Kind],
				Message: fmt.Sprintf("%s: %s is no longer a member (was in baseline since %s)", g.Name, m, bg.Since.UTC().Format(time.RFC3339)),
				Facts:   map[string]string{"baseline": strings.Join(bg.Members, ","), "members": strings.Join(have, ","), "since": bg.Since.UTC().Format(time.RFC3339)}})
		}
	}
}

// baselineMemberRemediation is baseline_member_missing's remediation by
// group kind, so that a bond finding does not suggest mdadm.
var baselineMemberRemediation = map[string]string{
	KindBond: "put {member} back (`ip link set {member} master {group}`), or record the change with `redwatch baseline accept {group}`",
	KindMD:   "add {member} back (`mdadm /dev/{group} --add /dev/{member}`), or record the change with `redwatch baseline accept {group}`",
}

func checkBaselineGroups(in *input, o *Options, emit func(Finding)) {
	if o.Baseline == nil {
		return
	}
	have := map[string]bool{}
	for _, g := range in.groups {
		have[BaselineKey(g.Kind, g.Name)] = true
	}
	for _, k := range o.Baseline.Keys() {
		if have[k] {
			continue
		}
		bg := o.Baseline[k]
		if in.sourceFailed(bg.Kind) {
			continue // not read this pass: gone or not, nobody can tell
		}
		// An md array that is still there but no longer a redundancy group
		// (inactive, reshaped to raid0) is gone as a group too.
		emit(Finding{Subject: bg.Name,
			Message: fmt.Sprintf("%s: the %s is gone (was in baseline since %s with %s)", bg.Name, bg.Kind, bg.Since.UTC().Format(time.RFC3339), listOrNone(bg.Members)),
			Facts:   map[string]string{"kind": bg.Kind, "baseline": strings.Join(bg.Members, ",")}})
	}
}
