package collectors

import (
	"context"
	"errors"

	"github.com/redwatch/redwatch/bonding"
)

// bondingSource reads the bonds and flags slave MII states nobody knows.
type bondingSource struct{}

func (bondingSource) Name() string { return "bonding" }

func (bondingSource) Collect(_ context.Context, r Roots) (Part, error) {
	bonds, errs := collectBonds(r)
	errs = append(errs, unknownSlaveStates(r, bonds)...)
	return Part{Set: func(s *Snapshot) { s.Bonds = bonds }, Errors: errs}, nil
}

// collectBonds reads every bond from /proc/net/bonding/* and
// /sys/class/net/bonding_masters under the roots (see bonding.ReadAll for the
// merge of the two sources). No bonding module (absent files) is no bonds
// and no error. A bond whose files exist but cannot be read or parsed is
// omitted and reported as an Error with the path: it is never reported as
// healthy, and a half-parsed bond would look like one (a truncated file's
// missing slaves read as "fewer slaves", not as "unknown"). Bonds are
// sorted by name.
func collectBonds(r Roots) ([]bonding.Bond, []Error) {
	bonds, errs := bonding.ReadAll(r)
	var out []Error
	for _, err := range errs {
		var e Error
		if !errors.As(err, &e) {
			e = Error{Collector: "bonding", Err: err}
		}
		out = append(out, e)
	}
	return bonds, out
}
