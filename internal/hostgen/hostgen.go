// Package hostgen writes a large synthetic host tree (sys/, proc/) laid out as
// the kernel lays it out, for benchmarks and load tests of a whole pass.
package hostgen

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Spec sizes the generated host.
type Spec struct {
	// Bonds, each with SlavesPerBond slaves; slaves are NICs, each on its own card.
	Bonds, SlavesPerBond int
	// ExtraNICs are NICs that belong to no bond.
	ExtraNICs int
	// Arrays are RAID6 md arrays of MembersPerArray whole-disk members.
	Arrays, MembersPerArray int
	// Complete adds the files a real host has that redwatch does not read
	// but other agents do, so that node_exporter's bonding, mdadm and
	// netclass collectors read a whole host too (`make bench`): each bond's
	// bonding/slaves and lower_<slave> links with bonding_slave/mii_status,
	// the common /sys/class/net attributes, and md's uuid,
	// metadata_version, chunk_size and sync_completed.
	Complete bool
}

// Scaled is s with f times the bonds, extra NICs and arrays (at least one
// of each that s has); the slaves per bond and members per array stay.
func (s Spec) Scaled(f float64) Spec {
	scale := func(n int) int {
		if n == 0 {
			return 0
		}
		return max(1, int(float64(n)*f+0.5))
	}
	s.Bonds, s.ExtraNICs, s.Arrays = scale(s.Bonds), scale(s.ExtraNICs), scale(s.Arrays)
	return s
}

// Large is the benchmark host of the audit issue: 32 bonds of 4 slaves
// (128 NICs), 16 md arrays of 8 members.
var Large = Spec{Bonds: 32, SlavesPerBond: 4, Arrays: 16, MembersPerArray: 8}

// Generate writes the host tree under dir (dir/sys, dir/proc). It holds only
// what a pass reads (plus the directories the links point at), so that
// reading every file and link of it is the I/O floor under a pass.
func Generate(dir string, s Spec) error {
	g := &gen{root: dir, complete: s.Complete}
	var masters []string
	nic := 0
	for b := 0; b < s.Bonds; b++ {
		name := fmt.Sprintf("bond%d", b)
		masters = append(masters, name)
		var slaves []string
		for i := 0; i < s.SlavesPerBond; i++ {
			slaves = append(slaves, g.nic(nic, name))
			nic++
		}
		g.bond(name, slaves)
	}
	for i := 0; i < s.ExtraNICs; i++ {
		g.nic(nic, "")
		nic++
	}
	g.file("sys/class/net/bonding_masters", strings.Join(masters, " "))
	g.mdstat(s)
	g.file("proc/net/route", "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\nbond0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n")
	return g.err
}

type gen struct {
	root     string
	complete bool
	ifindex  int // interfaces given attributes so far
	err      error
}

func (g *gen) file(rel, content string) {
	if g.err != nil {
		return
	}
	p := filepath.Join(g.root, rel)
	if g.err = os.MkdirAll(filepath.Dir(p), 0o755); g.err == nil {
		g.err = os.WriteFile(p, []byte(content+"\n"), 0o644)
	}
}

func (g *gen) link(rel, target string) {
	if g.err != nil {
		return
	}
	p := filepath.Join(g.root, rel)
	if g.err = os.MkdirAll(filepath.Dir(p), 0o755); g.err == nil {
		g.err = os.Symlink(target, p)
	}
}

func (g *gen) dir(rel string) {
	if g.err == nil {
		g.err = os.MkdirAll(filepath.Join(g.root, rel), 0o755)
	}
}

// nic writes NIC number i on its own PCI card, enslaved to master if set.
func (g *gen) nic(i int, master string) string {
	name := fmt.Sprintf("eth%d", i)
	fn := fmt.Sprintf("0000:%02x:00.0", 0x10+i%200)
	bridge := fmt.Sprintf("0000:%02x:01.0", i/200)
	dev := fmt.Sprintf("sys/devices/pci0000:%02x/%s/%s/net/%s", i/200, bridge, fn, name)
	for k, v := range map[string]string{"carrier": "1", "operstate": "up", "speed": "25000", "duplex": "full"} {
		g.file(dev+"/"+k, v)
	}
	g.link(dev+"/device", "../../../"+fn)
	g.link("sys/class/net/"+name, "../../"+strings.TrimPrefix(dev, "sys/"))
	if master != "" {
		g.link(dev+"/master", "../../../../../virtual/net/"+master)
		g.file(dev+"/bonding_slave/state", "active")
	}
	if g.complete {
		g.netAttrs(dev, fmt.Sprintf("3c:ec:ef:%02x:%02x:%02x", i>>16&0xff, i>>8&0xff, i&0xff))
		if master != "" {
			g.file(dev+"/bonding_slave/mii_status", "up")
			g.link("sys/devices/virtual/net/"+master+"/lower_"+name, "../../../"+strings.TrimPrefix(dev, "sys/devices/"))
		}
	}
	return name
}

// netAttrs writes the /sys/class/net attributes every interface has that
// redwatch does not read (netclass reads them all).
func (g *gen) netAttrs(dev, mac string) {
	g.ifindex++
	ifindex := g.ifindex + 1 // 1 is lo
	for k, v := range map[string]string{
		"address": mac, "broadcast": "ff:ff:ff:ff:ff:ff", "addr_assign_type": "0", "addr_len": "6",
		"mtu": "9000", "ifindex": fmt.Sprint(ifindex), "iflink": fmt.Sprint(ifindex), "type": "1",
		"flags": "0x1003", "tx_queue_len": "1000", "dormant": "0", "carrier_changes": "2",
		"carrier_up_count": "1", "carrier_down_count": "1", "dev_id": "0x0", "link_mode": "0",
		"name_assign_type": "4", "netdev_group": "0",
	} {
		g.file(dev+"/"+k, v)
	}
}

// bond writes /proc/net/bonding/<name> for an 802.3ad bond whose slaves are all up.
func (g *gen) bond(name string, slaves []string) {
	var b strings.Builder
	fmt.Fprintf(&b, "Ethernet Channel Bonding Driver: v6.1.0-28-amd64\n\nBonding Mode: IEEE 802.3ad Dynamic link aggregation\nTransmit Hash Policy: layer3+4 (1)\nMII Status: up\nMII Polling Interval (ms): 100\nUp Delay (ms): 0\nDown Delay (ms): 0\nPeer Notification Delay (ms): 0\n\n")
	fmt.Fprintf(&b, "802.3ad info\nLACP active: on\nLACP rate: fast\nMin links: 0\nAggregator selection policy (ad_select): stable\nSystem priority: 65535\nSystem MAC address: 3c:ec:ef:00:00:00\nActive Aggregator Info:\n\tAggregator ID: 1\n\tNumber of ports: %d\n\tActor Key: 21\n\tPartner Key: 32781\n\tPartner Mac Address: 00:1c:73:aa:bb:cc\n", len(slaves))
	for i, s := range slaves {
		fmt.Fprintf(&b, "\nSlave Interface: %s\nMII Status: up\nSpeed: 25000 Mbps\nDuplex: full\nLink Failure Count: 0\nPermanent HW addr: 3c:ec:ef:00:00:%02x\nSlave queue ID: 0\nAggregator ID: 1\nActor Churn State: none\nPartner Churn State: none\nActor Churned Count: 0\nPartner Churned Count: 0\n", s, i)
		fmt.Fprintf(&b, "details actor lacp pdu:\n    system priority: 65535\n    system mac address: 3c:ec:ef:00:00:00\n    port key: 21\n    port priority: 255\n    port number: %d\n    port state: 63\n", i+1)
		fmt.Fprintf(&b, "details partner lacp pdu:\n    system priority: 127\n    system mac address: 00:1c:73:aa:bb:cc\n    oper key: 32781\n    port priority: 127\n    port number: %d\n    port state: 63\n", i+1)
	}
	g.file("proc/net/bonding/"+name, strings.TrimSuffix(b.String(), "\n"))
	g.link("sys/class/net/"+name, "../../devices/virtual/net/"+name)
	vdev := "sys/devices/virtual/net/" + name
	g.file(vdev+"/operstate", "up")
	g.file(vdev+"/carrier", "1")
	if g.complete {
		g.file(vdev+"/bonding/slaves", strings.Join(slaves, " "))
		g.netAttrs(vdev, "3c:ec:ef:00:00:00")
	}
}

// mdstat writes /proc/mdstat and /sys/block/md*/md for healthy RAID6 arrays.
func (g *gen) mdstat(s Spec) {
	var b strings.Builder
	b.WriteString("Personalities : [raid6] [raid5] [raid4] \n")
	disk := 0
	for a := 0; a < s.Arrays; a++ {
		md := fmt.Sprintf("md%d", a)
		var members []string
		for m := s.MembersPerArray - 1; m >= 0; m-- {
			members = append(members, fmt.Sprintf("%s[%d]", diskName(disk+m), m))
		}
		fmt.Fprintf(&b, "%s : active raid6 %s\n      %d blocks super 1.2 level 6, 512k chunk, algorithm 2 [%d/%d] [%s]\n      bitmap: 0/15 pages [0KB], 65536KB chunk\n\n",
			md, strings.Join(members, " "), 1953382400*(s.MembersPerArray-2), s.MembersPerArray, s.MembersPerArray, strings.Repeat("U", s.MembersPerArray))
		mdDir := "sys/devices/virtual/block/" + md
		g.link("sys/block/"+md, "../devices/virtual/block/"+md)
		g.link("sys/class/block/"+md, "../../devices/virtual/block/"+md)
		for k, v := range map[string]string{"level": "raid6", "raid_disks": fmt.Sprint(s.MembersPerArray), "degraded": "0", "array_state": "clean", "sync_action": "idle", "mismatch_cnt": "0"} {
			g.file(mdDir+"/md/"+k, v)
		}
		if g.complete {
			for k, v := range map[string]string{"uuid": fmt.Sprintf("0a1b2c3d-0000-0000-0000-%012x", a), "metadata_version": "1.2", "chunk_size": "524288", "sync_completed": "none"} {
				g.file(mdDir+"/md/"+k, v)
			}
		}
		for m := 0; m < s.MembersPerArray; m++ {
			d := diskName(disk + m)
			// Member m of every array hangs off controller m: no two members
			// of an array share a controller (group_shared_controller).
			host := fmt.Sprintf("pci0000:00/0000:00:%02x.0/host%d/target%d:0:0/%d:0:0:0/block/%s", 0x11+m, disk+m, disk+m, disk+m, d)
			g.dir("sys/devices/" + host)
			g.link("sys/class/block/"+d, "../../devices/"+host)
			g.link("sys/block/"+d, "../devices/"+host)
			g.file(fmt.Sprintf("%s/md/dev-%s/state", mdDir, d), "in_sync")
			g.file(fmt.Sprintf("%s/md/dev-%s/slot", mdDir, d), fmt.Sprint(m))
			g.link(fmt.Sprintf("%s/md/rd%d", mdDir, m), "dev-"+d)
			g.link(fmt.Sprintf("%s/slaves/%s", mdDir, d), "../../../../"+host)
		}
		disk += s.MembersPerArray
	}
	b.WriteString("unused devices: <none>")
	g.file("proc/mdstat", b.String())
}

// diskName is the kernel's sd name for disk number i: sda..sdz, sdaa...
func diskName(i int) string {
	name := ""
	for i++; i > 0; i = (i - 1) / 26 {
		name = string(rune('a'+(i-1)%26)) + name
	}
	return "sd" + name
}
