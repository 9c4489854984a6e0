package collectors

import "github.com/redwatch/redwatch/internal/hostfs"

// ethtoolInfo is what ethtool tells about one interface on a live host.
type ethtoolInfo struct {
	// linkKnown is true when ETHTOOL_GLINK answered; link is its answer ("Link detected").
	linkKnown, link bool
	// driver and busInfo are ETHTOOL_GDRVINFO's driver and bus-info, "" when it did not answer.
	driver, busInfo string
	// privFlags are ETHTOOL_GPFLAGS's private flags (asked of i40e and ice
	// only, for their firmware LLDP agent); nil when not asked.
	privFlags map[string]bool
}

// nicProber asks a live host's kernel about an interface by name (ethtool
// ioctls). Only collectNICs on live roots uses one; captured trees never do.
type nicProber interface {
	// probe returns what ethtool knows about the interface; an interface
	// ethtool cannot answer for (no driver support, gone) gives the zero value.
	probe(name string) ethtoolInfo
	// close releases the prober.
	close()
}

// applyEthtool adds what ethtool knows to a physical NIC read from sysfs:
// LinkDetected, BusInfo, and the driver (ethtool's name wins: it is the
// driver bound to the netdev). When sysfs gave no PCI function but bus-info
// is a PCI address, the function and slot come from bus-info.
func applyEthtool(n *NIC, in ethtoolInfo) {
	if in.linkKnown {
		l := in.link
		n.LinkDetected = &l
	}
	if in.driver != "" {
		n.Driver = in.driver
	}
	n.BusInfo = in.busInfo
	if fw := firmwareLLDP(in.privFlags); fw != nil {
		n.FirmwareLLDP = fw
		hostfs.RecordOutput(PrivFlagsCapturePath(n.Name), formatPrivFlags(n.Name, in.privFlags))
	}
	if n.PCIFunction == "" {
		if slot, ok := parsePCIFunction(in.busInfo); ok {
			n.PCIFunction, n.PCISlot = in.busInfo, slot
		}
	}
}
