package rules

import (
	"cmp"
	"slices"

	"github.com/redwatch/redwatch/bonding"
	"github.com/redwatch/redwatch/collectors"
)

// knownBondStates are the slave MII states the bonding driver prints.
var knownBondStates = map[string]bool{"up": true, "down": true, "going down": true, "going back": true}

// Evaluate runs the rules over one snapshot. The status is the worst finding;
// a collector error, or a member state nobody knows, makes it at least UNKNOWN
// (CRITICAL still wins).
func Evaluate(s *collectors.Snapshot) Result {
	in := newInput(s)
	res := Result{Groups: in.groups, Errors: append([]collectors.Error(nil), s.Errors...)}
	res.Errors = append(res.Errors, unknownStates(s)...)
	for _, r := range builtin {
		r.check(in, func(f Finding) {
			f.Rule = r.ID
			if f.Severity == Info && r.Severity != Info {
				f.Severity = r.Severity
			}
			f.Remediation = r.Remediation
			res.Findings = append(res.Findings, f)
		})
	}
	SortFindings(res.Findings)
	res.Status = StatusOK
	for _, f := range res.Findings {
		res.Status = Worse(res.Status, statusOf(f.Severity))
	}
	if len(res.Errors) > 0 {
		res.Status = Worse(res.Status, StatusUnknown)
	}
	return res
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

// unknownStates turns member states the code has never seen into errors:
// a state nobody can interpret must not read as healthy.
func unknownStates(s *collectors.Snapshot) []collectors.Error {
	var errs []collectors.Error
	for _, b := range s.Bonds {
		for _, sl := range b.Slaves {
			if !knownBondStates[sl.MIIStatus] {
				errs = append(errs, collectors.Error{Collector: "bonding", Path: "/proc/net/bonding/" + b.Name,
					Err: "slave " + sl.Name + " has unknown MII status " + quote(sl.MIIStatus)})
			}
		}
	}
	for _, a := range s.MD {
		for _, m := range a.Members {
			if m.State == collectors.MemberUnknown || m.State == "" {
				errs = append(errs, collectors.Error{Collector: "md", Path: "/sys/block/" + a.Name + "/md/dev-" + m.Name + "/state",
					Err: "member " + m.Name + " has unknown state " + quote(m.RawState)})
			}
		}
	}
	return errs
}

func quote(s string) string { return "\"" + s + "\"" }
