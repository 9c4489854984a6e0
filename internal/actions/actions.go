// Package actions is the one package of redwatch that changes the system
// (ARCHITECTURE.md: "one package may change the system, and only through
// its policy"). It holds the mechanics — netlink link setters and writes
// under /sys, nowhere else in the module (TestOnlyActionsChangeTheSystem
// and .golangci.yml enforce it) — and the policy that decides when the
// daemon may use them: opt-in per bond, dry-run, cooldown with exponential
// backoff, a cap per hour, giving up rather than flapping, nothing during
// a maintenance window, every attempt logged, counted and notified.
//
// Its one action today is re-enslaving: a healthy NIC that dropped out of
// its bond is added back (Reenslave, Policy). Whether it may be is decided
// by the bonding domain's pure checks (bonding.CheckEnslave) on what
// bonding.ReadBond and bonding.ReadIface read, before and after each step.
package actions
