package collectors

// NIC is one network interface (/sys/class/net/<name>).
type NIC struct {
	// Name is the interface, e.g. "eth0".
	Name string `json:"name"`
	// Carrier is /sys/class/net/<name>/carrier: 1 link, 0 no link, Unknown (-1) when unreadable (interface down).
	Carrier int `json:"carrier"`
	// OperState is /sys/class/net/<name>/operstate ("up", "down", "lowerlayerdown", ...).
	OperState string `json:"operstate"`
	// Speed is /sys/class/net/<name>/speed in Mbps; Unknown when unreadable or -1.
	Speed int `json:"speed"`
	// Duplex is /sys/class/net/<name>/duplex ("full", "half"), "" when unknown.
	Duplex string `json:"duplex,omitempty"`
	// PCIFunction is the PCI function the interface sits on ("0000:00:05.1"),
	// found by walking up the resolved /sys/class/net/<name>/device path; "" for virtual devices.
	PCIFunction string `json:"pci_function,omitempty"`
	// PCISlot is PCIFunction without the function number ("0000:00:05"): two
	// functions in one slot are one physical card.
	PCISlot string `json:"pci_slot,omitempty"`
	// Master is the bond (or bridge) this interface is enslaved to (/sys/class/net/<name>/master link).
	Master string `json:"master,omitempty"`
	// Virtual is true when the interface has no device link (bonds, bridges, lo, veth).
	Virtual bool `json:"virtual,omitempty"`
	// Driver is the kernel driver (ethtool on a live host, or the device/driver link).
	Driver string `json:"driver,omitempty"`
	// LinkDetected is ethtool's "Link detected" on a live host; nil when not asked.
	LinkDetected *bool `json:"link_detected,omitempty"`
	// BusInfo is ethtool's bus-info on a live host: the PCI address for PCI
	// NICs ("0000:3b:00.1"; virtio_net reports its PCI function too), "" when
	// not asked or the driver does not say.
	BusInfo string `json:"bus_info,omitempty"`
	// FirmwareLLDP is the Intel firmware LLDP agent's private flag (i40e
	// disable-fw-lldp, ice fw-lldp-agent) from ETHTOOL_GPFLAGS on a live host
	// or ethtool/<name>/priv-flags in a tree; nil when the NIC has neither.
	FirmwareLLDP *FirmwareLLDP `json:"firmware_lldp,omitempty"`
}

// Route is one IPv4 default route (/proc/net/route, destination 00000000 and mask 00000000).
type Route struct {
	// Iface is the interface the route leaves through.
	Iface string `json:"iface"`
	// Gateway is the next hop in dotted form.
	Gateway string `json:"gateway"`
	// Metric is the route metric.
	Metric int `json:"metric"`
}

// RootFS is the block stack under the root filesystem.
type RootFS struct {
	// Source is the mount source of "/" in /proc/self/mountinfo (e.g. "/dev/sda2").
	Source string `json:"source"`
	// FSType is the filesystem type of "/".
	FSType string `json:"fstype"`
	// Device is the kernel block device name under "/" (e.g. "sda2", "md0", "dm-0"), "" when not a block device.
	Device string `json:"device,omitempty"`
	// Disks are the whole physical disks at the bottom of the stack
	// (following /sys/class/block/<dev>/slaves and partitions).
	Disks []string `json:"disks,omitempty"`
	// Redundant is true when every path from Device down to the disks goes
	// through an md array with redundancy (raid1/4/5/6/10).
	Redundant bool `json:"redundant"`
	// Stack is the path from Device down to the disks, e.g. ["dm-0", "md0", "sda1", "sda"].
	Stack []string `json:"stack,omitempty"`
	// DiskDevices say what each of Disks is on its bus, so that a disk that
	// is a RAID controller's virtual drive is judged by that drive's level.
	DiskDevices []DiskDevice `json:"disk_devices,omitempty"`
	// Pool is the ZFS pool of a root on ZFS (the first component of the
	// mount source "rpool/ROOT/debian"); "" for other filesystems.
	Pool string `json:"pool,omitempty"`
}

// DiskDevice is a whole disk's SCSI identity.
type DiskDevice struct {
	// Name is the disk ("sda").
	Name string `json:"name"`
	// Vendor and Model are /sys/class/block/<name>/device/{vendor,model}
	// ("DELL", "PERC H730 Mini"; "HP", "LOGICAL VOLUME"), trimmed.
	Vendor string `json:"vendor,omitempty"`
	Model  string `json:"model,omitempty"`
	// SCSIAddress is host:channel:target:lun, the last element of the
	// /sys/class/block/<name>/device link ("0:2:0:0"); "" when not SCSI.
	SCSIAddress string `json:"scsi_address,omitempty"`
	// Controller is the PCI function on the disk's sysfs path (0000:02:00.0).
	Controller string `json:"controller,omitempty"`
}
