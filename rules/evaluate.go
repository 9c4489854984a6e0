package rules

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/redwatch/redwatch/bonding"
	"github.com/redwatch/redwatch/collectors"
)

// Evaluate runs the built-in rules over one snapshot. The status is the
// worst finding; a collector error, or a member state nobody knows, makes it
// at least UNKNOWN (CRITICAL still wins).
func Evaluate(s *collectors.Snapshot) Result {
	return EvaluateWith(s, Options{}).Result
}

// Options are what a configured pass adds to the built-in rules: the
// operator's expectations, the baseline, rule control, user rules and the
// state carried between passes.
type Options struct {
	Expect Expectations
	// Baseline is the recorded member sets; nil when there is no state
	// directory, which turns baseline recording and checks off.
	Baseline Baseline
	// Controls are the operator's rule controls, first match wins.
	Controls  []Control
	UserRules []*UserRule
	// Settling are the groups seen fully healthy but not for Settle yet, as
	// returned in the previous Outcome; Settle is how long a group must be
	// seen healthy before it enters the baseline (0: at once).
	Settling Baseline
	Settle   time.Duration
	// Now is the pass's time, for `for` durations and the baseline.
	Now time.Time
	// FirstSeen is when each finding (FindingKey) was first seen in its
	// current run, as returned in the previous Outcome.
	FirstSeen map[string]time.Time
	// Maintenance are the operator's windows; the findings a window covers
	// are marked while it is on.
	Maintenance []Maintenance
	// LLDP are the LLDP rules' settings (grace period, accepted stacks).
	LLDP LLDPOptions
	// Actions are the findings the daemon's actions raise about themselves
	// (reenslave_gave_up); each names one of the action rules (others are
	// dropped) and gets its severity and remediation unless it has its own.
	Actions []Finding
}

// Outcome is an evaluated pass with what the next pass needs.
type Outcome struct {
	Result Result
	// Pending are findings that have not held for their `for` yet; they are
	// not in Result.Findings and do not count towards the status.
	Pending []Pending
	// FirstSeen is the next pass's Options.FirstSeen.
	FirstSeen map[string]time.Time
	// Baseline is Options.Baseline with the groups first seen fully healthy
	// this pass recorded; BaselineChanged says whether any were.
	Baseline        Baseline
	BaselineChanged bool
	// Settling is the next pass's Options.Settling.
	Settling Baseline
	// Maintenance are the maintenance windows on during the pass.
	Maintenance []Maintenance
}

// extraRule is a rule evaluated with the pass's options (expectations,
// baseline) rather than over the snapshot alone.
type extraRule struct {
	Rule
	run func(in *input, o *Options, emit func(Finding))
}

// EvaluateWith runs one configured pass: built-in rules (with min_healthy
// applied to the groups), expectations, baseline, user rules, then the
// operator's control (disable, severity, `for`) and maintenance.
func EvaluateWith(s *collectors.Snapshot, o Options) Outcome {
	in := newInput(s)
	in.lldp = o.LLDP
	markLLDP(in)
	switchFacts(in)
	applyMinHealthy(in.groups, o.Expect)
	res := Result{Groups: in.groups, Errors: append([]collectors.Error(nil), s.Errors...), Neighbors: nicNeighbors(in)}
	var all []Finding
	emitFor := func(r Rule) func(Finding) {
		return func(f Finding) {
			f.Rule = r.ID
			if f.Severity == Info && r.Severity != Info {
				f.Severity = r.Severity
			}
			if f.Remediation == "" {
				f.Remediation = r.Remediation
			}
			f.Remediation = fillNames(f.Remediation, f)
			all = append(all, f)
		}
	}
	for _, r := range builtin {
		r.check(in, emitFor(r))
	}
	for _, r := range expectRules {
		r.run(in, &o, emitFor(r.Rule))
	}
	out := Outcome{Baseline: o.Baseline.Clone(), Settling: o.Settling.Clone()}
	if out.Baseline != nil {
		if out.Settling == nil {
			out.Settling = Baseline{}
		}
		for _, r := range baselineRules {
			r.run(in, &o, emitFor(r.Rule))
		}
		// Record after checking: a group first seen healthy now has nothing to compare yet.
		if len(s.Errors) == 0 {
			out.BaselineChanged = out.Baseline.RecordSettled(in.groups, out.Settling, o.Now, o.Settle)
		}
	}
	for _, f := range o.Actions {
		if r, ok := ActionRule(f.Rule); ok {
			emitFor(r)(f)
		}
	}
	if len(o.UserRules) > 0 {
		env := NewEnv(s, in.groups)
		// What templates see, made only when a rule over the whole Env
		// fires: a JSON round trip of every group, bond and disk.
		envMap := sync.OnceValue(func() any { return toMap(env) })
		for _, u := range o.UserRules {
			emit := func(f Finding) {
				f.Rule = u.Spec.ID
				f.Remediation = u.Spec.Remediation
				all = append(all, f)
			}
			if err := u.eval(env, envMap, emit); err != nil {
				res.Errors = append(res.Errors, collectors.Error{Collector: "rules", Path: "user_rules/" + u.Spec.ID, Err: err})
			}
		}
	}
	res.Findings, out.Pending, out.FirstSeen = control(all, o.Controls, o.Now, o.FirstSeen)
	out.Maintenance = ActiveWindows(o.Maintenance, o.Now)
	for i := range res.Findings {
		res.Findings[i].Maintenance = Silencing(out.Maintenance, res.Findings[i]) != nil
	}
	for i := range out.Pending {
		out.Pending[i].Maintenance = Silencing(out.Maintenance, out.Pending[i].Finding) != nil
	}
	SortFindings(res.Findings)
	res.Groups = listUnobservablePower(in, res.Groups)
	markStale(s, &res)
	res.Status = StatusOK
	for _, f := range res.Findings {
		res.Status = Worse(res.Status, statusOf(f.Severity))
	}
	if len(res.Errors) > 0 {
		res.Status = Worse(res.Status, StatusUnknown)
	}
	out.Result = res
	return out
}

// SortFindings orders findings worst first, then by subject and rule.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if c := cmp.Compare(b.Severity, a.Severity); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Subject, b.Subject); c != 0 {
			return c
		}
		return cmp.Compare(a.Rule, b.Rule)
	})
}

func newInput(s *collectors.Snapshot) *input {
	in := &input{
		snap:  s,
		nics:  make(map[string]*collectors.NIC, len(s.NICs)),
		bonds: make(map[string]*bonding.Bond, len(s.Bonds)),
	}
	for i := range s.NICs {
		in.nics[s.NICs[i].Name] = &s.NICs[i]
	}
	for i := range s.Bonds {
		in.bonds[s.Bonds[i].Name] = &s.Bonds[i]
	}
	in.groups = Groups(s, in.nics)
	return in
}
