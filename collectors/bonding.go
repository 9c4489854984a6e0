package collectors

import (
	"errors"

	"github.com/redwatch/redwatch/bonding"
)

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
