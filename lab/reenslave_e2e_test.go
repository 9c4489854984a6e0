//go:build e2e

package lab

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// reenslaveConfig is the daemon's configuration head for the re-enslave
// scenarios: bond0 declares eth0 and eth1, the baseline is recorded at
// once, and re-enslaving is on for bond0 with short cooldowns.
func reenslaveConfig(extra string) string {
	return "baseline:\n  settle: 0s\nexpect:\n  bonds:\n    - {name: bond0, members: [eth0, eth1]}\n" +
		"actions:\n  reenslave:\n    - {bond: bond0, cooldown: 1s, max_per_hour: 4, carrier_wait: 3s" + extra + "}\n"
}

// inBond and notInBond are guest conditions on bond0's slaves.
func inBond(iface string) string {
	return fmt.Sprintf("grep -qw %s /sys/class/net/bond0/bonding/slaves", iface)
}

func notInBond(iface string) string { return "! " + inBond(iface) }

// removeSlave takes a healthy slave out of bond0 as a half-failed network
// reload does.
func removeSlave(iface string) Action {
	return Shell(fmt.Sprintf("echo -%s > /sys/class/net/bond0/bonding/slaves && %s", iface, notInBond(iface)))
}

// health waits until the daemon's /health matches an extended regexp.
func health(what, pattern string) Action {
	return Action{Name: "health: " + what, Run: func(ctx context.Context, g *Guest) error {
		_, err := g.MustRun(ctx, pollHealth(pattern, 3000))
		return err
	}}
}

// hook waits until the webhook receiver got an action_reenslave
// notification of that severity.
func hook(severity string) Action {
	return WaitFor("an action_reenslave "+severity+" notification",
		fmt.Sprintf(`grep '"alertname":"action_reenslave"' /tmp/hooks.log | grep -q '"severity":"%s"'`, severity), 30*time.Second)
}

// logged waits until the daemon's log has a line matching pattern (grep -E).
func logged(what, pattern string) Action {
	return WaitFor("the daemon to log "+what, fmt.Sprintf("grep -Eq '%s' /tmp/rwd.log", pattern), 30*time.Second)
}

// check fails unless cond holds in the guest now.
func check(what, cond string) Action {
	return Action{Name: "check " + what, Run: func(ctx context.Context, g *Guest) error {
		r, err := g.Exec(ctx, cond)
		if err == nil && r.Exit != 0 {
			err = fmt.Errorf("lab: %s: %s exited %d", what, quote(cond), r.Exit)
		}
		return err
	}}
}

// runSteps boots a guest and runs the actions in order, failing t with
// the daemon's log at the first that fails.
func runSteps(t *testing.T, a *Assets, spec Spec, acts []Action) {
	t.Parallel()
	guestSlots() <- struct{}{}
	defer func() { <-guestSlots() }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	spec.Log = t.Logf
	g, err := Boot(ctx, a, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	start := time.Now()
	for _, act := range acts {
		if err := act.Run(ctx, g); err != nil {
			out, _, _ := g.Run(context.Background(), "echo '== slaves'; cat /sys/class/net/bond*/bonding/slaves; echo '== daemon log'; tail -n 400 /tmp/rwd.log; echo '== hooks'; tail -c 3000 /tmp/hooks.log")
			t.Fatalf("lab: %s: %v\n%s%s", act.Name, err, out, g.diagnose())
		}
	}
	t.Logf("lab: steps took %.1fs", time.Since(start).Seconds())
}

// TestLabReenslave is the re-enslave action on the real bonding driver,
// with `redwatch daemon` in the guest (interval 1h: only netlink events and
// the policy's own cooldown timers drive it) and a webhook receiver:
//
//   - active-backup: a healthy slave removed is back within seconds, the
//     verdict OK and an info notification sent; an interface neither
//     declared nor in the baseline is never added; a slave whose cable was
//     pulled first is left out (no_carrier) until the cable is back;
//     nothing happens during maintenance; removed again and again, it is
//     given up at the cap (reenslave_gave_up, a warning notification).
//   - 802.3ad: a removed slave is back and rejoins the partner's
//     aggregator; in dry-run mode nothing changes and the log says what
//     would have been done.
func TestLabReenslave(t *testing.T) {
	a := PrepareAssets(t)
	t.Run("active_backup", func(t *testing.T) {
		runSteps(t, a, Spec{NICs: []NIC{{}, {}, {}}}, []Action{
			Bond("bond0", "active-backup", "eth0", "eth1"), SlaveMII("bond0", "eth1", "up"),
			Shell(webhookGuestSetup("1h", reenslaveConfig(""))),
			health("ok", `"status":"ok"`),

			// 1: a healthy slave removed comes back.
			removeSlave("eth1"),
			WaitFor("eth1 back in bond0", inBond("eth1"), 20*time.Second), SlaveMII("bond0", "eth1", "up"),
			health("ok again", `"status":"ok"`), hook("info"),
			logged("the attempt", `msg=reenslave .*iface=eth1 result=done`),

			// 2: eth2 is neither declared nor in the baseline: enslaved and
			// removed by hand, it stays out while eth1, removed with it, is
			// put back by the same round.
			Shell("ip link set eth2 down && echo +eth2 > /sys/class/net/bond0/bonding/slaves"), Slaves("bond0", "eth0", "eth1", "eth2"),
			Shell("echo -eth2 > /sys/class/net/bond0/bonding/slaves && echo -eth1 > /sys/class/net/bond0/bonding/slaves"),
			WaitFor("eth1 back in bond0", inBond("eth1"), 20*time.Second),
			check("eth2 never added", notInBond("eth2")),

			// 3: cable pulled first, then removed: left out, finding stays.
			SetLink("nic1", false), SlaveMII("bond0", "eth1", "down"), removeSlave("eth1"),
			logged("the refusal", `msg=reenslave .*iface=eth1 result=refused .*reason=no_carrier`),
			check("eth1 left out", notInBond("eth1")),
			health("the missing member", `expect_member_missing`),
			// The cable back: the next round (after the cooldown) puts it back.
			SetLink("nic1", true),
			WaitFor("eth1 back in bond0", inBond("eth1"), 30*time.Second), SlaveMII("bond0", "eth1", "up"),

			// 4: maintenance: nothing happens until it ends.
			Shell("redwatch maintenance on --for 10m --reason lab --state-dir /tmp/rw --config /tmp/rw.yaml"),
			removeSlave("eth1"),
			logged("the wait", `not during maintenance.*iface=eth1`),
			check("eth1 left out", notInBond("eth1")),
			// Ending it is no link event: eth2 going up makes one.
			Shell("redwatch maintenance off --state-dir /tmp/rw --config /tmp/rw.yaml && ip link set eth2 up"),
			WaitFor("eth1 back in bond0", inBond("eth1"), 30*time.Second), SlaveMII("bond0", "eth1", "up"),

			// 5: four attempts this hour (max_per_hour 4): removed again, given up.
			removeSlave("eth1"),
			health("reenslave_gave_up", `reenslave_gave_up`),
			check("eth1 left out", notInBond("eth1")),
			hook("warning"),
			logged("giving up", `msg=reenslave .*iface=eth1 result=gave_up`),
		})
	})
	t.Run("8023ad_and_dry_run", func(t *testing.T) {
		runSteps(t, a, Spec{NICs: []NIC{{Hub: 1}, {Hub: 2}, {Hub: 1}, {Hub: 2}}}, []Action{
			Bond("bond0", "802.3ad", "eth0", "eth1"), Bond("bond1", "802.3ad", "eth2", "eth3"),
			WaitLACP("bond0", 2), WaitLACP("bond1", 2),
			Shell(webhookGuestSetup("1h", reenslaveConfig(""))),
			health("ok", `"status":"ok"`),

			// A removed slave is back and rejoins the partner's aggregator.
			removeSlave("eth1"),
			WaitFor("eth1 back in bond0", inBond("eth1"), 20*time.Second),
			WaitLACP("bond0", 2), WaitLACP("bond1", 2),
			health("ok again", `"status":"ok"`), hook("info"),

			// Dry run: nothing changes, the log says what would have been done.
			Shell(`sed -i 's/carrier_wait: 3s}/carrier_wait: 3s, dry_run: true}/' /tmp/rw.yaml && grep -q dry_run /tmp/rw.yaml && kill -HUP $(pidof redwatch)`),
			logged("the reload", `configuration reloaded`),
			removeSlave("eth1"),
			logged("what it would do", `msg=reenslave .*iface=eth1 result=dry_run .*would=.*set eth1 master bond0`),
			check("eth1 left out", notInBond("eth1")),
		})
	})
}
