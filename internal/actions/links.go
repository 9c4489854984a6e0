package actions

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/vishvananda/netlink"

	"github.com/redwatch/redwatch/bonding"
)

// Links changes interfaces: the system-changing half of re-enslaving.
// NetlinkLinks is the host's; tests use a fake.
type Links interface {
	// SetUp and SetDown set the interface administratively up or down
	// (`ip link set NAME up|down`).
	SetUp(name string) error
	SetDown(name string) error
	// SetMaster enslaves name to master (`ip link set NAME master MASTER`);
	// the bonding driver refuses a slave that is up.
	SetMaster(name, master string) error
}

// NetlinkLinks changes the running host's interfaces over rtnetlink, as
// iproute2 does. It needs CAP_NET_ADMIN.
type NetlinkLinks struct{}

func link(name string) (netlink.Link, error) {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return nil, fmt.Errorf("actions: netlink: %s: %w", name, err)
	}
	return l, nil
}

// SetUp sets name up.
func (NetlinkLinks) SetUp(name string) error {
	l, err := link(name)
	if err != nil {
		return err
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return fmt.Errorf("actions: netlink: set %s up: %w", name, err)
	}
	return nil
}

// SetDown sets name down.
func (NetlinkLinks) SetDown(name string) error {
	l, err := link(name)
	if err != nil {
		return err
	}
	if err := netlink.LinkSetDown(l); err != nil {
		return fmt.Errorf("actions: netlink: set %s down: %w", name, err)
	}
	return nil
}

// SetMaster enslaves name to master (IFLA_MASTER).
func (NetlinkLinks) SetMaster(name, master string) error {
	l, err := link(name)
	if err != nil {
		return err
	}
	m, err := link(master)
	if err != nil {
		return err
	}
	if err := netlink.LinkSetMaster(l, m); err != nil {
		return fmt.Errorf("actions: netlink: set %s master %s: %w", name, master, err)
	}
	return nil
}

// SlavesPath is the bonding driver's slaves attribute of bond under the
// sysfs root sys: writing "+IFACE" enslaves IFACE.
func SlavesPath(sys, bond string) string {
	return filepath.Join(sys, "class", "net", bond, "bonding", "slaves")
}

// WriteSlaves writes "+iface" to the bond's bonding/slaves attribute under
// the sysfs root sys: the bonding driver's own interface for enslaving
// (bond_option_slaves_set), the fallback when netlink fails, and on a
// captured tree the only write (the tree's file then holds the command).
// The attribute must exist: it is never created, and never followed
// through a final symlink.
func WriteSlaves(sys, bond, iface string) error {
	if !bonding.ValidName(bond) || !bonding.ValidName(iface) {
		return fmt.Errorf("actions: %q, %q: not interface names", bond, iface)
	}
	path := SlavesPath(sys, bond)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("actions: %w", err)
	}
	_, werr := f.Write([]byte("+" + iface + "\n"))
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return fmt.Errorf("actions: write +%s to %s: %w", iface, path, err)
	}
	return nil
}
