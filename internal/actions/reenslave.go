package actions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redwatch/redwatch/bonding"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/hostfs"
)

// Outcomes of a re-enslave (Result.Outcome); stable, they label
// redwatch_action_reenslave_attempts_total and the CLI's output.
const (
	// Done: the interface is a slave of the bond again (read back).
	Done = "done"
	// Refused: a precondition does not hold; nothing was changed (a down
	// interface may have been brought up to read its carrier, and then
	// set down again).
	Refused = "refused"
	// Failed: the change was tried and the interface is not a slave.
	Failed = "failed"
	// DryRun: nothing was changed; Steps say what would have been.
	DryRun = "dry_run"
)

// pollEvery is how often the carrier of a probed interface is read.
const pollEvery = 100 * time.Millisecond

// Request asks for one interface to be added back to a bond.
type Request struct {
	// Roots are where the bond and the interface are read; on a captured
	// tree (Roots.Live false) the only change is the write of the tree's
	// bonding/slaves file, and no interface is probed.
	Roots hostfs.Roots
	Bond  string
	Iface string
	// ExpectedBy says where Iface is declared a member of Bond: "config"
	// or "baseline"; "" refuses (never a guess).
	ExpectedBy string
	// DryRun changes nothing and says what would be done.
	DryRun bool
	// CarrierWait is how long a down interface is held up to read its
	// carrier before it is judged to have none (0: not probed).
	CarrierWait time.Duration
	// Links changes the interfaces; nil means NetlinkLinks.
	Links Links
	// Clock times the carrier wait; nil means the wall clock.
	Clock clock.Clock
}

// Result is what a re-enslave did.
type Result struct {
	Bond, Iface string
	// Outcome is Done, Refused, Failed or DryRun.
	Outcome string
	// Refusal is why it was refused (Outcome Refused).
	Refusal *bonding.Refusal
	// Err is why it failed (Outcome Failed).
	Err error
	// Method is how the interface was enslaved: "netlink", "sysfs", or ""
	// when it was not.
	Method string
	// Steps are what was done, or with DryRun what would have been, in order.
	Steps []string
}

// String says the result in one line, for a person.
func (r Result) String() string {
	steps := strings.Join(r.Steps, ", ")
	switch r.Outcome {
	case Done:
		return fmt.Sprintf("%s: added %s back (%s)", r.Bond, r.Iface, steps)
	case DryRun:
		return fmt.Sprintf("%s: dry run: would %s", r.Bond, steps)
	case Refused:
		s := fmt.Sprintf("%s: refused to add %s: %s", r.Bond, r.Iface, r.Refusal.Detail)
		if steps != "" {
			s += " (" + steps + ")"
		}
		return s
	}
	s := fmt.Sprintf("%s: failed to add %s: %v", r.Bond, r.Iface, r.Err)
	if steps != "" {
		s += " (" + steps + ")"
	}
	return s
}

// Reason is the refusal's reason, "" when not refused.
func (r Result) Reason() string {
	if r.Refusal == nil {
		return ""
	}
	return r.Refusal.Reason
}

// Reenslave adds req.Iface back to req.Bond if bonding.CheckEnslave allows
// it, as iproute2 does: set the interface down (the bonding driver refuses
// a slave that is up), set its master over netlink — or, when netlink
// fails, write "+IFACE" to the bond's bonding/slaves — set it up, and read
// the bond back: Done only when the interface is then its slave.
//
// An interface that is down cannot tell its carrier: it is brought up,
// its carrier read every 100 ms for up to CarrierWait, and checked again;
// if it is still refused (no carrier, another speed than the aggregator's)
// it is set down again as it was. On a captured tree nothing is probed
// and the change is the write of the tree's slaves file, which no kernel
// reads back.
func Reenslave(ctx context.Context, req Request) Result {
	res := Result{Bond: req.Bond, Iface: req.Iface}
	links, clk := req.Links, req.Clock
	if links == nil {
		links = NetlinkLinks{}
	}
	if clk == nil {
		clk = clock.Real{}
	}
	c, err := read(req)
	if err != nil {
		res.Outcome, res.Err = Failed, err
		return res
	}
	ref := bonding.CheckEnslave(c)
	probe := ref != nil && ref.Reason == bonding.RefuseLinkDown && req.Roots.Live && req.CarrierWait > 0
	switch {
	case probe && req.DryRun:
		res.Steps = append(res.Steps, fmt.Sprintf("set %s up to read its carrier (down again if it has none)", req.Iface))
		ref = nil
	case probe:
		if err := links.SetUp(req.Iface); err != nil {
			res.Outcome, res.Err = Failed, err
			return res
		}
		res.Steps = append(res.Steps, fmt.Sprintf("set %s up to read its carrier", req.Iface))
		if c, err = waitCarrier(ctx, req, clk); err != nil {
			res.Outcome, res.Err = Failed, errors.Join(err, restore(links, req.Iface, &res))
			return res
		}
		if ref = bonding.CheckEnslave(c); ref != nil {
			if err := restore(links, req.Iface, &res); err != nil {
				res.Outcome, res.Err = Failed, err
				return res
			}
		}
	}
	if ref != nil {
		res.Outcome, res.Refusal = Refused, ref
		return res
	}
	if !req.Roots.Live {
		return writeTree(req, res)
	}
	plan := []string{"set " + req.Iface + " down", "set " + req.Iface + " master " + req.Bond, "set " + req.Iface + " up"}
	if req.DryRun {
		res.Outcome, res.Steps = DryRun, append(res.Steps, plan...)
		return res
	}
	return enslave(req, links, res)
}

// enslave is the change on the host: down, master (netlink, else sysfs), up, read back.
func enslave(req Request, links Links, res Result) Result {
	if err := links.SetDown(req.Iface); err != nil {
		res.Outcome, res.Err = Failed, err
		return res
	}
	res.Steps = append(res.Steps, "set "+req.Iface+" down")
	res.Method = "netlink"
	if nerr := links.SetMaster(req.Iface, req.Bond); nerr != nil {
		res.Method = "sysfs"
		if serr := WriteSlaves(req.Roots.Sys, req.Bond, req.Iface); serr != nil {
			res.Outcome, res.Method, res.Err = Failed, "", errors.Join(nerr, serr)
			// Leave it as it was found: up, if it was probed; otherwise down.
			_ = links.SetUp(req.Iface)
			return res
		}
		res.Steps = append(res.Steps, fmt.Sprintf("netlink refused (%v): wrote +%s to %s", nerr, req.Iface, SlavesPath(req.Roots.Sys, req.Bond)))
	} else {
		res.Steps = append(res.Steps, "set "+req.Iface+" master "+req.Bond)
	}
	// The bonding driver opened the slave itself; up is what iproute2's
	// users do after, and harmless.
	if err := links.SetUp(req.Iface); err != nil {
		res.Steps = append(res.Steps, fmt.Sprintf("set %s up failed: %v", req.Iface, err))
	} else {
		res.Steps = append(res.Steps, "set "+req.Iface+" up")
	}
	b, err := bonding.ReadBond(req.Roots, req.Bond)
	switch {
	case err != nil:
		res.Outcome, res.Err = Failed, fmt.Errorf("actions: read back %s: %w", req.Bond, err)
	case !slices.ContainsFunc(b.Slaves, func(s bonding.Slave) bool { return s.Name == req.Iface }):
		res.Outcome, res.Err = Failed, fmt.Errorf("actions: %s is not a slave of %s after the change (slaves: %s)", req.Iface, req.Bond, slaveNames(b))
	default:
		res.Outcome = Done
	}
	return res
}

// writeTree is the change on a captured tree: the slaves file's write.
func writeTree(req Request, res Result) Result {
	path := SlavesPath(req.Roots.Sys, req.Bond)
	if req.DryRun {
		res.Outcome, res.Steps = DryRun, append(res.Steps, fmt.Sprintf("write +%s to %s", req.Iface, path))
		return res
	}
	if err := WriteSlaves(req.Roots.Sys, req.Bond, req.Iface); err != nil {
		res.Outcome, res.Err = Failed, err
		return res
	}
	res.Outcome, res.Method = Done, "sysfs"
	res.Steps = append(res.Steps, fmt.Sprintf("wrote +%s to %s (a captured tree: no kernel reads it back)", req.Iface, path))
	return res
}

// restore sets a probed interface down again.
func restore(links Links, iface string, res *Result) error {
	if err := links.SetDown(iface); err != nil {
		return err
	}
	res.Steps = append(res.Steps, "set "+iface+" down again")
	return nil
}

// read reads what CheckEnslave decides on.
func read(req Request) (bonding.EnslaveCheck, error) {
	c := bonding.EnslaveCheck{ExpectedBy: req.ExpectedBy}
	var err error
	if c.BondLink, err = bonding.ReadIface(req.Roots, req.Bond); err != nil {
		return c, err
	}
	if c.BondLink.Exists {
		b, err := bonding.ReadBond(req.Roots, req.Bond)
		if err != nil {
			return c, err
		}
		c.Bond = &b
	}
	c.Iface, err = bonding.ReadIface(req.Roots, req.Iface)
	return c, err
}

// waitCarrier reads the probed interface until it has a carrier or
// CarrierWait has passed, and returns what it read last.
func waitCarrier(ctx context.Context, req Request, clk clock.Clock) (bonding.EnslaveCheck, error) {
	deadline := clk.Now().Add(req.CarrierWait)
	for {
		c, err := read(req)
		if err != nil || c.Iface.Carrier == 1 || !clk.Now().Before(deadline) {
			return c, err
		}
		t := clk.NewTimer(pollEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return c, ctx.Err()
		case <-t.C():
		}
	}
}

func slaveNames(b bonding.Bond) string {
	var names []string
	for _, s := range b.Slaves {
		names = append(names, s.Name)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
