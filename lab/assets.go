package lab

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// GuestModules are the kernel modules every lab guest loads, by name; their
// dependencies are added and ordered by ResolveModules.
var GuestModules = []string{
	"virtio_pci", "virtio_console", "virtio_blk", "virtio_net", "virtio_scsi", "sd_mod",
	"bonding", "md_mod", "raid1",
	// raid456 needs libcrc32c, whose crc32c algorithm (a soft dependency,
	// not in .modinfo depends) must be loaded first.
	"crc32c_generic", "raid456",
	// ext4 (after crc32c_generic, its checksum) for a root filesystem on a
	// real block device (lab/disks_e2e_test.go).
	"ext4",
	// btrfs, and dm-multipath with its round-robin selector, for the
	// storage stacks beyond md (lab/storage_e2e_test.go).
	"btrfs", "dm_multipath", "dm_round_robin",
}

// NVMeModules are loaded by /init only when the guest has an NVMe
// controller (PCI class 0x010802), so that other guests do not pay for them.
var NVMeModules = []string{"nvme"}

// IPMIModules are loaded by /init only when the guest has a BMC (Spec.IPMIPort:
// an IPMI KCS interface, which the kernel finds in the ACPI tables),
// giving /dev/ipmi0.
var IPMIModules = []string{"ipmi_msghandler", "ipmi_si", "ipmi_devintf"}

// ModuleParams are the insmod parameters of GuestModules. bonding gets
// max_bonds=0 so that no bond0 appears in round-robin mode before a
// scenario sets its mode.
var ModuleParams = map[string]string{"bonding": "max_bonds=0"}

// GuestPackages are the Debian packages besides the kernel that the guest
// needs: busybox-static is the guest's userland, mdadm manages md arrays,
// smartmontools' smartctl reads SMART and NVMe health.
// btrfs-progs makes and inspects btrfs filesystems, dmsetup loads a
// multipath table (multipath-tools needs udev, which the guest lacks).
var GuestPackages = []string{"busybox-static", "mdadm", "smartmontools", "btrfs-progs", "dmsetup"}

// guestTools are the dynamically linked programs copied into the guest, with
// the libraries ldd lists: package, path in the package and in the guest.
var guestTools = []struct{ pkg, path string }{
	{"mdadm", "sbin/mdadm"},
	{"smartmontools", "usr/sbin/smartctl"},
	{"btrfs-progs", "bin/btrfs"},
	{"btrfs-progs", "sbin/mkfs.btrfs"},
	{"dmsetup", "sbin/dmsetup"},
}

// Assets are what a guest boots: the kernel and an initramfs holding
// busybox, /init, the modules, mdadm, smartctl and redwatch.
type Assets struct {
	// Kernel is the vmlinuz file; KernelRelease its release (6.1.0-NN-amd64).
	Kernel        string
	KernelRelease string
	// Initrd is the gzip'd cpio initramfs.
	Initrd string
	// Packages are the Debian packages used, the kernel first.
	Packages []*Package
	// Modules are the modules /init loads, in order; NVMe those it loads
	// when the guest has an NVMe controller.
	Modules []Module
	NVMe    []Module
	// IPMI are the modules /init loads when the guest has a BMC.
	IPMI []Module
	// Notes are what the preparation could not do the fast way.
	Notes []string
	// Timings say how long each preparation step took.
	Timings map[string]time.Duration
}

// AssetOptions configure BuildAssets.
type AssetOptions struct {
	// Cache holds the Debian packages.
	Cache *Cache
	// ModuleRoot is the redwatch module's root (where go.mod is).
	ModuleRoot string
	// WorkDir receives the redwatch binary and the initramfs.
	WorkDir string
	// Binary, when set, is a redwatch binary to use instead of building one.
	Binary string
}

// BinaryEnv names a prebuilt (static) redwatch binary for the guest instead
// of building ./cmd/redwatch.
const BinaryEnv = "REDWATCH_LAB_BINARY"

// BuildAssets fetches the kernel and GuestPackages through the cache,
// builds redwatch statically, and packs the initramfs.
func BuildAssets(ctx context.Context, o AssetOptions) (*Assets, error) {
	a := &Assets{Timings: map[string]time.Duration{}}
	var mu sync.Mutex
	timed := func(name string, start time.Time) {
		mu.Lock()
		a.Timings[name] = time.Since(start)
		mu.Unlock()
	}

	kernelName, err := KernelPackage(ctx)
	if err != nil {
		return nil, err
	}
	names := append([]string{kernelName}, GuestPackages...)
	versions, err := CandidateVersions(ctx, names...)
	if err != nil {
		return nil, err
	}
	pkgs := make([]*Package, len(names))
	errs := make([]error, len(names)+1)
	redwatch := filepath.Join(o.WorkDir, "redwatch")
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer timed("fetch "+n, time.Now())
			pkgs[i], errs[i] = o.Cache.FetchVersion(ctx, n, versions[n])
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer timed("build redwatch", time.Now())
		if o.Binary != "" {
			redwatch = o.Binary
		} else {
			errs[len(names)] = BuildRedwatch(ctx, o.ModuleRoot, redwatch)
		}
		if errs[len(names)] == nil {
			errs[len(names)] = checkStatic(redwatch)
		}
	}()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	a.Packages = pkgs
	kernel, busybox := pkgs[0], pkgs[1]
	byName := map[string]*Package{}
	for _, p := range pkgs {
		byName[p.Name] = p
	}

	start := time.Now()
	vmlinuz, _ := filepath.Glob(filepath.Join(kernel.Root, "boot", "vmlinuz-*"))
	if len(vmlinuz) != 1 {
		return nil, fmt.Errorf("lab: %s has %d boot/vmlinuz-* files, want 1", kernel.Name, len(vmlinuz))
	}
	a.Kernel = vmlinuz[0]
	a.KernelRelease = strings.TrimPrefix(filepath.Base(vmlinuz[0]), "vmlinuz-")
	// The vmlinux is cached beside the package it came from, so it is keyed
	// by the kernel's version too.
	if pvh, err := PVHKernel(ctx, vmlinuz[0], filepath.Join(filepath.Dir(kernel.Root), "vmlinux")); err == nil {
		a.Kernel = pvh
	} else {
		a.Notes = append(a.Notes, fmt.Sprintf("booting the bzImage (slower): %v", err))
	}
	timed("kernel", start)
	start = time.Now()
	modDir := filepath.Join(kernel.Root, "lib", "modules", a.KernelRelease, "kernel")
	a.Modules, err = ResolveModules(modDir, GuestModules, ModuleParams)
	if err != nil {
		return nil, err
	}
	core := map[string]bool{}
	for _, m := range a.Modules {
		core[m.Name] = true
	}
	// extra resolves an optional stack beyond the core modules.
	extra := func(names []string) ([]Module, error) {
		all, err := ResolveModules(modDir, append(append([]string(nil), GuestModules...), names...), ModuleParams)
		if err != nil {
			return nil, err
		}
		var out []Module
		for _, m := range all {
			if !core[m.Name] {
				out = append(out, m)
			}
		}
		return out, nil
	}
	if a.NVMe, err = extra(NVMeModules); err != nil {
		return nil, err
	}
	if a.IPMI, err = extra(IPMIModules); err != nil {
		return nil, err
	}

	ar := NewArchive()
	for _, d := range []string{"proc", "sys", "dev", "tmp", "run", "root", "etc", "var/lib", "sbin", "usr/bin", "usr/sbin", "mnt"} {
		ar.Dir(d)
	}
	ar.CharDev("dev/console", 0o600, 5, 1)
	// Enough of /etc for static busybox's glibc to resolve localhost and root.
	ar.Bytes("etc/hosts", 0o644, []byte("127.0.0.1 localhost lab\n::1 localhost\n"))
	ar.Bytes("etc/nsswitch.conf", 0o644, []byte("passwd: files\ngroup: files\nhosts: files\nservices: files\n"))
	ar.Bytes("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\n"))
	ar.Bytes("etc/group", 0o644, []byte("root:x:0:\n"))
	if err := addFileFrom(ar, "bin/busybox", filepath.Join(busybox.Root, "bin", "busybox"), busybox.Name); err != nil {
		return nil, err
	}
	ar.Symlink("bin/sh", "busybox")
	ar.Bytes("init", 0o755, []byte(initScript))
	for _, set := range []struct {
		file string
		mods []Module
	}{{"etc/lab/modules", a.Modules}, {"etc/lab/modules.nvme", a.NVMe}, {"etc/lab/modules.ipmi", a.IPMI}} {
		var load strings.Builder
		for _, m := range set.mods {
			ar.File("lib/modules/"+m.Name+".ko", 0o644, m.Path)
			fmt.Fprintf(&load, "%s %s\n", m.Name, m.Params)
		}
		ar.Bytes(set.file, 0o644, []byte(load.String()))
	}
	for _, tool := range guestTools {
		p := byName[tool.pkg]
		bin := filepath.Join(p.Root, tool.path)
		if err := addFileFrom(ar, tool.path, bin, p.Name); err != nil {
			return nil, err
		}
		libs, err := sharedLibs(ctx, bin)
		if err != nil {
			return nil, err
		}
		for _, l := range libs {
			ar.File(l, 0o755, l)
		}
	}
	ar.File("bin/redwatch", 0o755, redwatch)

	a.Initrd = filepath.Join(o.WorkDir, "initrd.gz")
	f, err := os.Create(a.Initrd)
	if err != nil {
		return nil, fmt.Errorf("lab: initramfs: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := ar.WriteGzip(w); err != nil {
		f.Close()
		return nil, err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return nil, fmt.Errorf("lab: initramfs: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("lab: initramfs: %w", err)
	}
	timed("pack initramfs", start)
	return a, nil
}

// Describe is a one-line summary of the assets: package versions and timings.
func (a *Assets) Describe() string {
	var parts []string
	for _, p := range a.Packages {
		parts = append(parts, p.Name+"="+p.Version)
	}
	var ts []string
	for k, v := range a.Timings {
		ts = append(ts, fmt.Sprintf("%s %.1fs", k, v.Seconds()))
	}
	sort.Strings(ts)
	s := strings.Join(parts, " ") + " (" + strings.Join(ts, ", ") + "); kernel " + a.Kernel
	for _, n := range a.Notes {
		s += "; " + n
	}
	return s
}

func addFileFrom(ar *Archive, dst, src, pkg string) error {
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("lab: package %s has no %s: %w", pkg, strings.TrimPrefix(dst, "/"), err)
	}
	ar.File(dst, 0o755, src)
	return nil
}

// sharedLibs are the absolute paths of the shared libraries (and the
// dynamic loader) that `ldd` lists for a binary.
func sharedLibs(ctx context.Context, bin string) ([]string, error) {
	out, err := run(ctx, "", "ldd", bin)
	if err != nil {
		return nil, fmt.Errorf("lab: ldd %s: %w\n%s", bin, err, tail(out, 5))
	}
	if missing := lddMissing(out); len(missing) > 0 {
		return nil, fmt.Errorf("lab: ldd %s: libraries not found on this host: %s", bin, strings.Join(missing, ", "))
	}
	libs := parseLdd(out)
	if len(libs) == 0 {
		return nil, fmt.Errorf("lab: ldd %s lists no libraries", bin)
	}
	return libs, nil
}

// parseLdd reads ldd's output: "libc.so.6 => /lib/.../libc.so.6 (0x...)" and
// "/lib64/ld-linux-x86-64.so.2 (0x...)"; the vDSO has no file and is left out.
func parseLdd(out []byte) []string {
	var libs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		for i, tok := range f {
			if strings.HasPrefix(tok, "/") && (i == 0 || f[i-1] == "=>") {
				libs = append(libs, tok)
				break
			}
		}
	}
	return libs
}

// lddMissing are the libraries ldd reports as "not found".
func lddMissing(out []byte) []string {
	var missing []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if lib, rest, ok := strings.Cut(strings.TrimSpace(sc.Text()), " => "); ok && strings.TrimSpace(rest) == "not found" {
			missing = append(missing, lib)
		}
	}
	return missing
}

// ModuleRoot finds the root of the redwatch module (the directory holding
// its go.mod) from the working directory upwards.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("lab: %w", err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/redwatch/redwatch\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("lab: no go.mod of github.com/redwatch/redwatch above the working directory")
		}
		dir = parent
	}
}

// checkStatic fails unless bin is a statically linked ELF executable: the
// guest has no libc for redwatch.
func checkStatic(bin string) error {
	f, err := elf.Open(bin)
	if err != nil {
		return fmt.Errorf("lab: redwatch binary: %w", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("lab: redwatch binary %s is dynamically linked: build it with CGO_ENABLED=0", bin)
		}
	}
	return nil
}

// BuildRedwatch builds the redwatch binary statically (CGO_ENABLED=0) from
// the module root into out.
func BuildRedwatch(ctx context.Context, moduleRoot, out string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
		if _, err := os.Stat(goBin); err != nil {
			return fmt.Errorf("lab: no go command on PATH or in /usr/local/go/bin: %w", err)
		}
	}
	cmd := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-o", out, "./cmd/redwatch")
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("lab: go build ./cmd/redwatch: %w\n%s", err, tail(b, 20))
	}
	return nil
}

// initScript is the guest's /init: it mounts the kernel filesystems, loads
// the modules, then serves commands from the host on the virtio-serial port
// named "redwatch.lab". Each request is one line, "<id> <base64 script>";
// each reply is framed by markers carrying the id, with stdout and stderr
// base64-encoded, so no output can be mistaken for a marker:
//
//	@@RW-BEGIN <id>@@
//	<base64 stdout>
//	@@RW-STDERR <id>@@
//	<base64 stderr>
//	@@RW-END <id> <exit code>@@
const initScript = `#!/bin/busybox sh
# /init of the redwatch fault lab guest (generated by lab/assets.go).
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mkdir -p /run/mdadm /var/lib/redwatch /etc/redwatch /tmp/lab
hostname lab
ip link set lo up
echo "lab: init on $(uname -r)"
load() {
	while read -r name params; do
		insmod /lib/modules/$name.ko $params || { echo "lab: insmod $name $params failed"; poweroff -f; }
	done < "$1"
}
load /etc/lab/modules
grep -qx 0x010802 /sys/bus/pci/devices/*/class && load /etc/lab/modules.nvme
grep -qw lab.ipmi /proc/cmdline && load /etc/lab/modules.ipmi
port=
for i in $(seq 1 100); do
	for d in /sys/class/virtio-ports/*; do
		[ "$(cat $d/name 2>/dev/null)" = redwatch.lab ] && port=/dev/${d##*/}
	done
	[ -n "$port" ] && [ -c "$port" ] && break
	port=
	sleep 0.1
done
[ -n "$port" ] || { echo "lab: no virtio-serial port named redwatch.lab"; poweroff -f; }
echo "lab: serving commands on $port"
while :; do
	exec 3<>"$port"
	while read -r id b64 <&3; do
		echo "$b64" | base64 -d > /tmp/lab/cmd.sh
		sh /tmp/lab/cmd.sh </dev/null >/tmp/lab/out 2>/tmp/lab/err
		rc=$?
		{ echo "@@RW-BEGIN $id@@"; base64 /tmp/lab/out; echo "@@RW-STDERR $id@@"; base64 /tmp/lab/err; echo "@@RW-END $id $rc@@"; } >&3
	done
	exec 3<&-
	# read returns EOF while the host side is not connected: wait for it.
	sleep 0.2
done
`
