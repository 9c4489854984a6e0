// Package bonding is the Linux NIC bonding domain: it parses what the bonding
// driver prints in /proc/net/bonding/<bond> and exposes in sysfs
// (/sys/class/net/bonding_masters, <bond>/bonding/*, <slave>/bonding_slave/*),
// and merges the two into one typed Bond. The parsers (ParseProc,
// ParseMasters, ParseSys*) are pure functions of bytes; ReadAll does the reading
// from injected roots, so the package is usable as a library.
package bonding

import "slices"

// Bonding modes as the kernel names them in /sys/class/net/<bond>/bonding/mode.
const (
	ModeRoundRobin   = "balance-rr"
	ModeActiveBackup = "active-backup"
	ModeXOR          = "balance-xor"
	ModeBroadcast    = "broadcast"
	Mode8023AD       = "802.3ad"
	ModeTLB          = "balance-tlb"
	ModeALB          = "balance-alb"
)

// Source names where a Bond's facts came from.
const (
	SourceProc = "procfs"
	SourceSys  = "sysfs"
)

// Unknown marks an integer fact the source did not print (e.g. "Speed: Unknown").
const Unknown = -1

// Bond is one bonding master and its slaves.
type Bond struct {
	// Name is the bond interface, e.g. "bond0".
	Name string `json:"name"`
	// Sources lists where the facts came from (SourceProc, SourceSys).
	Sources []string `json:"sources"`
	// Mode is the kernel short mode name (ModeActiveBackup, ...); from
	// "Bonding Mode:" in /proc/net/bonding/<bond> or <bond>/bonding/mode.
	Mode string `json:"mode"`
	// ModeText is the mode line as printed, e.g. "fault-tolerance (active-backup) (fail_over_mac active)".
	ModeText string `json:"mode_text,omitempty"`
	// DriverVersion is the version on the "Ethernet Channel Bonding Driver:" line.
	DriverVersion string `json:"driver_version,omitempty"`
	// TransmitHashPolicy is "Transmit Hash Policy:" / <bond>/bonding/xmit_hash_policy.
	TransmitHashPolicy string `json:"xmit_hash_policy,omitempty"`
	// MIIStatus is "up" or "down" ("MII Status:" / <bond>/bonding/mii_status).
	MIIStatus string `json:"mii_status"`
	// ActiveSlave is "Currently Active Slave:" / <bond>/bonding/active_slave; "" when none.
	ActiveSlave string `json:"active_slave,omitempty"`
	// Primary is "Primary Slave:" / <bond>/bonding/primary; "" when none.
	Primary string `json:"primary,omitempty"`
	// PrimaryReselect is the policy in brackets after the primary, or <bond>/bonding/primary_reselect.
	PrimaryReselect string `json:"primary_reselect,omitempty"`
	// MIIMon is "MII Polling Interval (ms):" / <bond>/bonding/miimon, in ms; Unknown when not printed.
	MIIMon int `json:"miimon"`
	// UpDelay and DownDelay are in ms ("Up Delay (ms):" / <bond>/bonding/updelay,
	// "Down Delay (ms):" / downdelay); Unknown when not printed.
	UpDelay   int `json:"updelay"`
	DownDelay int `json:"downdelay"`
	// ARPInterval is "ARP Polling Interval (ms):" / <bond>/bonding/arp_interval;
	// 0 when ARP monitoring is off. The kernel prints the /proc line only when
	// it is > 0, so a complete /proc file without it means 0; Unknown only
	// from a sysfs tree that lacks the attribute.
	ARPInterval int `json:"arp_interval"`
	// ARPTargets is "ARP IP target/s (n.n.n.n form):" / <bond>/bonding/arp_ip_target.
	ARPTargets []string `json:"arp_targets,omitempty"`
	// LACP holds the 802.3ad facts; nil for other modes.
	LACP *LACP `json:"lacp,omitempty"`
	// Slaves are the enslaved interfaces in driver order.
	Slaves []Slave `json:"slaves"`
}

// LACP is the bond-level 802.3ad information ("802.3ad info" and
// "Active Aggregator Info" in /proc/net/bonding/<bond>, or <bond>/bonding/ad_*).
type LACP struct {
	// Rate is "slow" or "fast" ("LACP rate:" / lacp_rate).
	Rate string `json:"rate,omitempty"`
	// AggSelect is "stable", "bandwidth" or "count" (ad_select).
	AggSelect string `json:"ad_select,omitempty"`
	// ActiveAggregatorID is the active aggregator ("Aggregator ID:" under
	// "Active Aggregator Info:" / <bond>/bonding/ad_aggregator); 0 when the
	// bond has no active aggregator (NoActiveAggregator); Unknown when neither
	// source told (unprivileged readers of kernels >= 5.x get no aggregator
	// info in /proc and sysfs fills it when present).
	ActiveAggregatorID int `json:"active_aggregator_id"`
	// NumPorts is the number of ports in the active aggregator (ad_num_ports);
	// 0 with NoActiveAggregator; Unknown when not printed.
	NumPorts int `json:"num_ports"`
	// ActorKey and PartnerKey are the aggregator keys (ad_actor_key, ad_partner_key);
	// 0 with NoActiveAggregator; Unknown when not printed.
	ActorKey   int `json:"actor_key"`
	PartnerKey int `json:"partner_key"`
	// PartnerMAC is the partner system MAC ("Partner Mac Address:" /
	// ad_partner_mac); all zeros means no partner; "" when not printed.
	PartnerMAC string `json:"partner_mac,omitempty"`
	// NoActiveAggregator is true when the driver says the bond has no active
	// aggregator ("bond bond0 has no active aggregator" in /proc, or
	// ad_aggregator 0 in sysfs): no LACP aggregate carries traffic.
	NoActiveAggregator bool `json:"no_active_aggregator,omitempty"`
	// SystemMAC is the actor system MAC ("System MAC address:").
	SystemMAC string `json:"system_mac,omitempty"`
}

// Slave is one enslaved interface ("Slave Interface:" sections, or
// /sys/class/net/<slave>/bonding_slave/*).
type Slave struct {
	// Name is the interface, e.g. "eth1".
	Name string `json:"name"`
	// MIIStatus is "up", "down", "going down" or "going back" (mii_status).
	MIIStatus string `json:"mii_status"`
	// State is "active" or "backup" where the source tells
	// (/sys/class/net/<slave>/bonding_slave/state; /proc never prints it,
	// and it is not guessed from the mode); "" otherwise.
	State string `json:"state,omitempty"`
	// Speed in Mbps ("Speed:" / /sys/class/net/<slave>/speed); Unknown when
	// "Unknown", not printed, or the old kernels' 65535 / -1.
	Speed int `json:"speed"`
	// Duplex is "full", "half" or "" when unknown ("Duplex:" / /sys/class/net/<slave>/duplex).
	Duplex string `json:"duplex,omitempty"`
	// LinkFailures is "Link Failure Count:" / bonding_slave/link_failure_count
	// (always printed in /proc; Unknown only from a sysfs tree that lacks it).
	LinkFailures int `json:"link_failure_count"`
	// PermHWAddr is "Permanent HW addr:" / bonding_slave/perm_hwaddr.
	PermHWAddr string `json:"perm_hwaddr,omitempty"`
	// QueueID is "Slave queue ID:" / bonding_slave/queue_id; Unknown when not printed.
	QueueID int `json:"queue_id"`
	// AggregatorID is "Aggregator ID:" / bonding_slave/ad_aggregator_id; Unknown outside 802.3ad.
	AggregatorID int `json:"aggregator_id"`
	// ActorChurnState and PartnerChurnState are "monitoring", "churned" or "none".
	ActorChurnState   string `json:"actor_churn_state,omitempty"`
	PartnerChurnState string `json:"partner_churn_state,omitempty"`
	// ActorChurnedCount and PartnerChurnedCount count churn events; Unknown when not printed.
	ActorChurnedCount   int `json:"actor_churned_count"`
	PartnerChurnedCount int `json:"partner_churned_count"`
	// PartnerMAC is this slave's own LACP partner system MAC ("system mac
	// address:" under "details partner lacp pdu:" in /proc/net/bonding/<bond>,
	// printed to CAP_NET_ADMIN readers only; sysfs has no per-slave partner):
	// all zeros when no partner answers on this link; "" when not printed.
	PartnerMAC string `json:"partner_mac,omitempty"`
	// ActorPortState and PartnerPortState are the LACP port state bytes
	// ("port state:" under "details actor/partner lacp pdu:" /
	// bonding_slave/ad_actor_oper_port_state, ad_partner_oper_port_state); Unknown when not printed.
	ActorPortState   int `json:"actor_port_state"`
	PartnerPortState int `json:"partner_port_state"`
}

// CarriesTraffic reports whether slave s can carry the bond's traffic as
// far as the bonding driver's aggregation goes: outside 802.3ad always; in
// 802.3ad only when s belongs to the bond's active aggregator (bond_3ad.c
// ad_agg_selection_logic enables the ports of that aggregator alone). A bond
// with no active aggregator carries no traffic on any slave. When the
// active aggregator is not known (an unprivileged reader's /proc with no
// sysfs) it reports true: the MII status then decides alone. A bond whose
// own MII status in /proc/net/bonding is down (bond_info_show_master prints
// its carrier, which bond_3ad_set_carrier turns off when the active
// aggregator has fewer ports than min_links, or none) carries no traffic on
// any slave, in every mode. The sysfs mii_status is not used for that: for
// years (bonding_show_mii_status before it read the carrier) it said "down"
// whenever the bond had no curr_active_slave, as every healthy 802.3ad,
// balance-xor or broadcast bond has none.
func (b *Bond) CarriesTraffic(s *Slave) bool {
	if b.MIIStatus == "down" && slices.Contains(b.Sources, SourceProc) {
		return false
	}
	if b.Mode != Mode8023AD || b.LACP == nil {
		return true
	}
	switch l := b.LACP; {
	case l.NoActiveAggregator:
		return false
	case l.ActiveAggregatorID > 0:
		return s.AggregatorID == l.ActiveAggregatorID
	}
	return true
}

// Redundant reports whether the bond mode keeps traffic flowing when a slave
// fails. Every Linux bonding mode fails over, so this is true for all known modes.
func (b *Bond) Redundant() bool { return b.Mode != "" }

// Monitored reports whether the bond watches its links at all: MII
// monitoring (miimon > 0) or ARP monitoring (arp_interval > 0 with at least
// one ARP target: without targets the ARP monitor has nothing to probe).
// An unmonitored bond never fails over. When the source did not tell
// (MIIMon Unknown, or miimon 0 and ARPInterval Unknown) it reports true:
// an unknown setting is not evidence of a misconfiguration.
func (b *Bond) Monitored() bool {
	switch {
	case b.MIIMon > 0 || b.MIIMon == Unknown:
		return true
	case b.ARPInterval == Unknown:
		return true
	default:
		return b.ARPInterval > 0 && len(b.ARPTargets) > 0
	}
}
