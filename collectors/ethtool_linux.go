//go:build linux

package collectors

import "github.com/safchain/ethtool"

// ethtoolProber is the nicProber of a live Linux host: one ethtool socket per pass.
type ethtoolProber struct{ e *ethtool.Ethtool }

// openEthtool opens the ethtool socket. It fails where the socket cannot be
// opened (seccomp, no AF_INET); callers then skip ethtool quietly.
func openEthtool() (nicProber, error) {
	e, err := ethtool.NewEthtool()
	if err != nil {
		return nil, err
	}
	return ethtoolProber{e}, nil
}

// probe asks ETHTOOL_GLINK, ETHTOOL_GDRVINFO and, of i40e and ice,
// ETHTOOL_GPFLAGS; an ioctl that fails
// (EOPNOTSUPP, ENODEV: the interface went away) leaves its facts out.
func (p ethtoolProber) probe(name string) ethtoolInfo {
	var in ethtoolInfo
	if len(name) >= 16 { // IFNAMSIZ: the ioctl would ask about a truncated name
		return in
	}
	if v, err := p.e.LinkState(name); err == nil {
		in.linkKnown, in.link = true, v != 0
	}
	if d, err := p.e.DriverInfo(name); err == nil {
		in.driver, in.busInfo = d.Driver, d.BusInfo
	}
	// ETHTOOL_GPFLAGS (read only) of the Intel drivers whose firmware may
	// run its own LLDP agent; other drivers are not asked.
	if in.driver == "i40e" || in.driver == "ice" {
		if f, err := p.e.PrivFlags(name); err == nil {
			in.privFlags = f
		}
	}
	return in
}

// close closes the ethtool socket.
func (p ethtoolProber) close() { p.e.Close() }
