package collectors

import (
	"context"
	"errors"
	"slices"

	"github.com/redwatch/redwatch/bonding"
)

// bondingSource reads the bonds and flags slave MII states nobody knows.
type bondingSource struct{}

func (bondingSource) Name() string { return "bonding" }

func (bondingSource) Collect(_ context.Context, r Roots) (Part, error) {
	return bondingPart(r, nil, nil), nil
}

// Refresh, after link events that named their interfaces (Events.Links,
// net alone), re-reads only the bonds they are about: a named bond, the
// bond a named interface is enslaved to now (its master link) and the one
// the last read had it in (it may have left); the others are given again as
// last read them. It reads every bond as Collect does when the events named
// no interface, when the bonds are not the last read's (a bond created or
// destroyed: the names are listed again, which is cheap), and when the last
// read had errors.
func (bondingSource) Refresh(_ context.Context, r Roots, ev Events, last Part) (Part, error) {
	memo, _ := last.Memo.(*bondingMemo)
	links := ev.netLinks()
	if links == nil {
		memo = nil
	}
	return bondingPart(r, memo, links), nil
}

// bondingMemo is what a bonding read without errors keeps for the next
// refresh: the bonds, sorted by name, as it read them.
type bondingMemo struct {
	bonds []bonding.Bond // never modified
}

// bondingPart reads the bonds, re-reading only those links are about when
// memo holds the last read (see Refresh), and keeps the read's memo.
func bondingPart(r Roots, memo *bondingMemo, links []string) Part {
	var bonds []bonding.Bond
	var errs []Error
	ok := false
	if memo != nil {
		bonds, ok = refreshBonds(r, memo, links)
	}
	if !ok {
		bonds, errs = collectBonds(r)
	}
	p := Part{Set: func(s *Snapshot) { s.Bonds = bonds }}
	if len(errs) == 0 {
		p.Memo = &bondingMemo{bonds: bonds}
	}
	p.Errors = append(errs, unknownSlaveStates(r, bonds)...)
	return p
}

// refreshBonds is memo's bonds with those links are about read again; not
// ok when every bond must be read (the bonds' names changed, one could not
// be read).
func refreshBonds(r Roots, memo *bondingMemo, links []string) ([]bonding.Bond, bool) {
	names, errs := bonding.Names(r)
	if len(errs) > 0 || len(names) != len(memo.bonds) {
		return nil, false
	}
	for i, b := range memo.bonds {
		if b.Name != names[i] {
			return nil, false
		}
	}
	reread := map[string]bool{}
	for _, l := range links {
		if slices.Contains(names, l) {
			reread[l] = true
		}
		if m := bonding.Master(r, l); m != "" {
			reread[m] = true
		}
		for _, b := range memo.bonds {
			if slices.ContainsFunc(b.Slaves, func(s bonding.Slave) bool { return s.Name == l }) {
				reread[b.Name] = true
			}
		}
	}
	bonds := slices.Clone(memo.bonds)
	for i := range bonds {
		if !reread[bonds[i].Name] {
			continue
		}
		b, err := bonding.ReadBond(r, bonds[i].Name)
		if err != nil {
			return nil, false
		}
		bonds[i] = b
	}
	return bonds, true
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
