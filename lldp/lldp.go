// Package lldp is the IEEE 802.1AB (LLDP) domain: the neighbour a switch
// announces on each local interface (its chassis, its port, the TTL of the
// announcement). It decodes the two forms redwatch reads: lldpd's stable
// `lldpcli -f json0 show neighbors details` output (ParseJSON0) and a raw
// LLDPDU as received on the wire (DecodePDU). Both are pure functions of
// bytes; no input makes them panic.
package lldp

import "time"

// ID is an LLDP identifier with its subtype: a chassis ID or a port ID.
// Two chassis are the same switch when both the subtype and the value are
// equal.
type ID struct {
	// Subtype is lldpd's name of the ID subtype ("mac", "ifname", "ip",
	// "local", "ifalias", ...); DecodePDU uses the same names.
	Subtype string `json:"subtype"`
	// Value is the ID as lldpd prints it: a MAC as aa:bb:cc:dd:ee:ff, an
	// address in its usual text form, a name as its text.
	Value string `json:"value"`
}

// String returns the ID as "subtype:value".
func (id ID) String() string { return id.Subtype + ":" + id.Value }

// Neighbor is what one LLDP neighbour announces on one local interface.
type Neighbor struct {
	// Interface is the local interface the announcement arrived on
	// (json0: lldp[].interface[].name; empty for a bare LLDPDU).
	Interface string `json:"interface,omitempty"`
	// Chassis is the neighbour's chassis ID (TLV 1; json0 chassis[].id[]).
	Chassis ID `json:"chassis_id"`
	// SystemName is the neighbour's system name (TLV 5; json0 chassis[].name[]).
	SystemName string `json:"system_name,omitempty"`
	// Port is the neighbour's port ID (TLV 2; json0 port[].id[]).
	Port ID `json:"port_id"`
	// PortDescription is the neighbour's port description (TLV 4; json0
	// port[].descr[]).
	PortDescription string `json:"port_description,omitempty"`
	// TTL is the time to live of the announcement in seconds (TLV 3; json0
	// port[].ttl[], chassis[].ttl[] in older lldpd); 0 means withdrawn.
	TTL int `json:"ttl"`
	// ManagementAddresses are the neighbour's management addresses (TLV 8;
	// json0 chassis[].mgmt-ip[]).
	ManagementAddresses []string `json:"management_addresses,omitempty"`
}

// Port is a receiver's state on one local interface.
type Port struct {
	// Interface is the local interface.
	Interface string `json:"interface"`
	// Since is when the receiver began listening on it; zero while it
	// cannot.
	Since time.Time `json:"since,omitzero"`
	// Error is why the receiver cannot listen on it ("" when it listens),
	// e.g. a raw packet socket refused for want of CAP_NET_RAW.
	Error string `json:"error,omitempty"`
	// Frames counts the LLDPDUs decoded on it; Invalid those that were not
	// (each is dropped, the last reason in LastInvalid).
	Frames      uint64 `json:"frames"`
	Invalid     uint64 `json:"invalid"`
	LastInvalid string `json:"last_invalid,omitempty"`
}
