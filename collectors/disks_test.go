package collectors

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// diskTreeFile writes content at rel under root.
func diskTreeFile(t testing.TB, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// diskTreeLink makes rel under root a symlink to target.
func diskTreeLink(t testing.TB, root, rel, target string) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

// diskTreeDisk lays out a whole disk as the kernel does: the block
// directory at devices/<blockDir>, /sys/block and /sys/class/block links,
// the device link to devices/<devDir> (relative), files in each.
func diskTreeDisk(t testing.TB, root, name, blockDir, devDir string, blockFiles, devFiles map[string]string, parts ...string) {
	t.Helper()
	bd := "sys/devices/" + blockDir
	for k, v := range blockFiles {
		diskTreeFile(t, root, bd+"/"+k, v+"\n")
	}
	diskTreeFile(t, root, bd+"/dev", "8:0\n")
	diskTreeLink(t, root, "sys/block/"+name, "../devices/"+blockDir)
	diskTreeLink(t, root, "sys/class/block/"+name, "../../devices/"+blockDir)
	if devDir != "" {
		rel, err := filepath.Rel(filepath.Join(root, bd), filepath.Join(root, "sys/devices", devDir))
		if err != nil {
			t.Fatal(err)
		}
		diskTreeLink(t, root, bd+"/device", rel)
		for k, v := range devFiles {
			diskTreeFile(t, root, "sys/devices/"+devDir+"/"+k, v+"\n")
		}
	}
	for _, p := range parts {
		diskTreeFile(t, root, bd+"/"+p+"/partition", "1\n")
		diskTreeLink(t, root, "sys/class/block/"+p, "../../devices/"+blockDir+"/"+p)
	}
}

// vpd80 is a VPD page 0x80 holding serial.
func vpd80(serial string) string {
	return string([]byte{0, 0x80, 0, byte(len(serial))}) + serial
}

// writeDiskTree writes a host with one disk of each kind.
func writeDiskTree(t testing.TB, root string) {
	t.Helper()
	sata := "pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0"
	diskTreeDisk(t, root, "sda", sata+"/block/sda", sata,
		map[string]string{"size": "1953525168"},
		map[string]string{"vendor": "ATA     ", "model": "ST1000NM0033-9ZM", "state": "running", "wwid": "t10.ATA     ST1000NM0033", "vpd_pg80": vpd80("  Z1W0ABCD")}, "sda1", "sda2")
	diskTreeLink(t, root, "sys/devices/pci0000:00/0000:00:17.0/driver", "../../../bus/pci/drivers/ahci")
	nvme := "pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0"
	diskTreeDisk(t, root, "nvme0n1", nvme+"/nvme0n1", nvme,
		map[string]string{"size": "1000215216", "wwid": "eui.0025388b91b2c3d4"},
		map[string]string{"model": "SAMSUNG MZQLB960HAJR-00007", "serial": "S437NA0M123456", "state": "dead"}, "nvme0n1p1")
	vblk := "pci0000:00/0000:00:08.0/virtio6"
	diskTreeDisk(t, root, "vda", vblk+"/block/vda", vblk, map[string]string{"size": "2097152", "serial": "lab-vda"}, nil)
	vscsi := "pci0000:00/0000:00:05.0/virtio2/host2/target2:0:1/2:0:1:0"
	diskTreeDisk(t, root, "sdb", vscsi+"/block/sdb", vscsi,
		map[string]string{"size": "2097152"},
		map[string]string{"vendor": "QEMU", "model": "QEMU HARDDISK", "state": "offline"}, "sdb1")
	diskTreeDisk(t, root, "nvme1n1", "virtual/nvme-subsystem/nvme-subsys1/nvme1n1", "", map[string]string{"size": "8", "wwid": "eui.1"}, nil)
	diskTreeDisk(t, root, "loop0", "virtual/block/loop0", "", map[string]string{"size": "0"}, nil)
	diskTreeDisk(t, root, "md0", "virtual/block/md0", "", map[string]string{"size": "100"}, nil)
	cd := "pci0000:00/0000:00:17.0/ata2/host1/target1:0:0/1:0:0:0"
	diskTreeDisk(t, root, "sr0", cd+"/block/sr0", cd, map[string]string{"size": "0"}, map[string]string{"state": "running"})
}

func TestCollectBlockDisks(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeDiskTree(t, root)
	disks, errs := collectBlockDisks(filepath.Join(root, "sys"))
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	want := []BlockDisk{
		{Name: "nvme0n1", Model: "SAMSUNG MZQLB960HAJR-00007", Serial: "S437NA0M123456", WWID: "eui.0025388b91b2c3d4",
			SizeBytes: 1000215216 * 512, Transport: TransportNVMe, Controller: "0000:3d:00.0", Host: "nvme0", State: "dead",
			Partitions: []string{"nvme0n1p1"}},
		{Name: "nvme1n1", WWID: "eui.1", SizeBytes: 8 * 512, Transport: TransportNVMe},
		{Name: "sda", Vendor: "ATA", Model: "ST1000NM0033-9ZM", Serial: "Z1W0ABCD", WWID: "t10.ATA     ST1000NM0033",
			SizeBytes: 1953525168 * 512, Transport: TransportSATA, Controller: "0000:00:17.0", ControllerDriver: "ahci",
			Host: "host0", SCSIAddress: "0:0:0:0", State: "running", Partitions: []string{"sda1", "sda2"}},
		{Name: "sdb", Vendor: "QEMU", Model: "QEMU HARDDISK", SizeBytes: 2097152 * 512, Transport: TransportVirtioSCSI,
			Controller: "0000:00:05.0", Host: "host2", SCSIAddress: "2:0:1:0", State: "offline", Partitions: []string{"sdb1"}},
		{Name: "vda", Serial: "lab-vda", SizeBytes: 2097152 * 512, Transport: TransportVirtio, Controller: "0000:00:08.0"},
	}
	if !reflect.DeepEqual(disks, want) {
		t.Errorf("disks:\n got %+v\nwant %+v", disks, want)
	}
	s := &Snapshot{BlockDisks: disks}
	for dev, want := range map[string]map[string]string{
		"sda2":      {"disk": "sda", "controller": "0000:00:17.0", "controller_driver": "ahci"},
		"sdb":       {"disk": "sdb", "controller": "0000:00:05.0"},
		"nvme0n1p1": {"disk": "nvme0n1", "controller": "0000:3d:00.0"},
		"sdz3":      {"disk": "sdz"},
		"":          nil,
	} {
		if got := s.BlockResources(dev); !reflect.DeepEqual(got, want) {
			t.Errorf("BlockResources(%q) = %v, want %v", dev, got, want)
		}
	}
	if !disks[0].Down() || disks[1].Down() || disks[2].Down() || !disks[3].Down() || disks[4].Down() {
		t.Errorf("Down: %v %v %v %v %v", disks[0].Down(), disks[1].Down(), disks[2].Down(), disks[3].Down(), disks[4].Down())
	}
}

// TestCollectBlockDisksUnreadableState: a state that cannot be read is an
// error naming the file, and the disk's state is "unknown", never running.
func TestCollectBlockDisksUnreadableState(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeDiskTree(t, root)
	st := filepath.Join(root, "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/state")
	if err := os.Remove(st); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(st, 0o755); err != nil { // reading a directory fails with EISDIR
		t.Fatal(err)
	}
	disks, errs := collectBlockDisks(filepath.Join(root, "sys"))
	if len(errs) != 1 || errs[0].Path != st || errs[0].Collector != DiskCollector {
		t.Fatalf("errors: %v", errs)
	}
	if d := (&Snapshot{BlockDisks: disks}).BlockDisk("sda"); d == nil || d.State != "unknown" {
		t.Errorf("sda: %+v", d)
	}
}

func TestCollectBlockDisksNoSysBlock(t *testing.T) {
	t.Parallel()
	disks, errs := collectBlockDisks(t.TempDir())
	if disks != nil || errs != nil {
		t.Errorf("got %v %v", disks, errs)
	}
}

func TestDiskTransport(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda":                                 TransportSATA,
		"/sys/devices/pci0000:00/0000:00:03.0/0000:02:00.0/host0/port-0:0/end_device-0:0/target0:0:0/0:0:0:0/block/sda": TransportSAS,
		"/sys/devices/pci0000:00/0000:00:02.0/0000:03:00.0/host0/target0:2:0/0:2:0:0/block/sda":                         TransportSCSI,
		"/sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sdc":                     TransportUSB,
		"/sys/devices/pci0000:00/0000:00:05.0/virtio2/host2/target2:0:1/2:0:1:0/block/sdb":                              TransportVirtioSCSI,
		"/sys/devices/pci0000:00/0000:00:08.0/virtio6/block/vda":                                                        TransportVirtio,
		"/sys/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0/nvme0n1":                                          TransportNVMe,
		"/sys/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1":                                                      TransportNVMe,
		"/sys/devices/platform/soc/fe340000.mmc/mmc_host/mmc0/mmc0:0001/block/mmcblk0":                                  TransportMMC,
		"/sys/devices/vbd-51712/block/xvda":                                                                             TransportXen,
		"/sys/devices/platform/foo/block/bar":                                                                           TransportOther,
	} {
		if got := diskTransport(in); got != want {
			t.Errorf("diskTransport(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseVPDSerial(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		vpd80("  Z1W0ABCD"):                "Z1W0ABCD",
		vpd80("S3Z8NB0K123456    ") + "xx": "S3Z8NB0K123456",
		"\x00\x83\x00\x02ab":               "",
		"\x00\x80":                         "",
		"\x00\x80\x00\x09ab\x00c":          "abc",
	} {
		if got := parseVPDSerial([]byte(in)); got != want {
			t.Errorf("parseVPDSerial(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzDiskSysfsParsers(f *testing.F) {
	f.Add([]byte(vpd80("Z1W0ABCD")), "/sys/devices/pci0000:00/0000:00:05.0/virtio2/host2/target2:0:1/2:0:1:0/block/sdb")
	f.Add([]byte{0, 0x80, 0xff, 0xff}, "/nvme/nvme0/nvme0n1")
	f.Fuzz(func(t *testing.T, vpd []byte, path string) {
		s := parseVPDSerial(vpd)
		if strings.ContainsAny(s, "\x00\n") {
			t.Errorf("serial %q holds control characters", s)
		}
		if diskTransport(path) == "" {
			t.Error("empty transport")
		}
		diskHostOnPath(path)
	})
}

// BenchmarkDisks128WarmCache measures the disk part of a live pass on a
// host with 128 disks once the SMART cache is warm: the /sys/block
// inventory (each disk's link, listing, size, model, vendor, serial,
// state) and the SMART source serving 128 cached smartctl outputs. No
// smartctl runs in it: a pass never starts one.
func BenchmarkDisks128WarmCache(b *testing.B) {
	root := b.TempDir()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "disk_smart_realloc", "smartctl", "sda.json"))
	if err != nil {
		b.Fatal(err)
	}
	c := &SmartCache{done: true}
	for i := range 128 {
		name := "sd" + string(rune('a'+i/26)) + string(rune('a'+i%26))
		dev := fmt.Sprintf("pci0000:00/0000:00:%02x.0/host%d/port-%d:0/end_device-%d:0/target%d:0:0/%d:0:0:0", 0x11+i/16, i, i, i, i, i)
		diskTreeDisk(b, root, name, dev+"/block/"+name, dev, map[string]string{"size": "7814037168"},
			map[string]string{"vendor": "SEAGATE", "model": "ST4000NM0043", "state": "running", "wwid": "naa.5000c500" + name, "vpd_pg80": vpd80("Z1Z0" + name)}, name+"1")
		d, e := smartDisk(name, "smartctl /dev/"+name, data)
		if e != nil {
			b.Fatal(e)
		}
		c.reads = append(c.reads, smartRead{target: smartTarget{name: name, device: "/dev/" + name}, raw: data, disk: d})
	}
	r := Roots{Sys: filepath.Join(root, "sys"), Live: true}
	src := smartSource{cache: c}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		disks, errs := collectBlockDisks(r.Sys)
		part, err := src.Collect(context.Background(), r)
		if len(disks) != 128 || errs != nil || err != nil || len(part.Errors) != 0 {
			b.Fatalf("%d disks, errors %v %v", len(disks), errs, err)
		}
		var s Snapshot
		part.Set(&s)
		if len(s.Disks) != 128 {
			b.Fatalf("%d smart disks", len(s.Disks))
		}
	}
}
