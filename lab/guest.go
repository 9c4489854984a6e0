package lab

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Defaults for Spec and Guest.
const (
	// DefaultBootTimeout bounds the boot up to the first answered command.
	DefaultBootTimeout = 90 * time.Second
	// DefaultCommandTimeout bounds each guest command (a context with an
	// earlier deadline bounds it more).
	DefaultCommandTimeout = 60 * time.Second
	// KeepEnv, when set to a non-empty value, keeps each guest's directory
	// (console log, disk images, sockets) after the guest is closed.
	KeepEnv = "REDWATCH_LAB_KEEP"
)

// NIC is a virtio-net NIC of the guest. The guest names them eth0, eth1, ...
// in the order of Spec.NICs; QMP knows them as nic0, nic1, ...
type NIC struct {
	// Hub is the QEMU hub the NIC's port is on: NICs on one hub hear each
	// other (a guest wired to itself, e.g. as an 802.3ad partner). 0 puts
	// the NIC on a hub of its own.
	Hub int
	// Card puts NICs on one multi-function PCI card: the NICs with the same
	// non-zero Card share one slot as functions 0, 1, ... (a dual-port NIC).
	// They must be adjacent in Spec.NICs.
	Card int
	// NoSpeed leaves out speed=10000,duplex=full: the bonding driver then
	// cannot compute an 802.3ad port key.
	NoSpeed bool
}

// Spec is the hardware of a guest.
type Spec struct {
	NICs  []NIC
	Disks []Disk
	// NVMe are NVMe controllers with one namespace each: the guest's
	// nvme0, nvme1, ... (namespaces nvme0n1, ...); QMP knows them as nvme0,
	// ... (e.g. /machine/peripheral/nvme0 for qom-set).
	NVMe []Disk
	// SCSI are disks on virtio-scsi controllers: the guest's sda, sdb, ...
	// in probe order; controller c is QEMU's scsi<c>, in a slot of its own
	// after the virtio disks' (SCSIDisk.Controller).
	SCSI []SCSIDisk
	// IPMIPort, when not 0, gives the guest a BMC: QEMU's ipmi-bmc-extern
	// connects to 127.0.0.1:IPMIPort (an ipmi_sim serving "codec VM" there,
	// internal/ipmisimtest) behind an ISA KCS interface, and /init loads
	// the kernel's IPMI stack, so the guest has /dev/ipmi0.
	IPMIPort int
	// MemoryMiB is the guest's memory; 0 means 256.
	MemoryMiB int
	// BootTimeout bounds the boot; 0 means DefaultBootTimeout.
	BootTimeout time.Duration
	// CommandTimeout bounds each command; 0 means DefaultCommandTimeout.
	CommandTimeout time.Duration
	// Log, when set, is told about the guest's life (boot time, faults).
	Log func(format string, args ...any)
}

// SCSIDisk is a scsi-hd disk on virtio-scsi controller Controller (0, 1, ...).
type SCSIDisk struct {
	Disk
	Controller int
}

// scsiControllers is how many virtio-scsi controllers s needs.
func scsiControllers(s Spec) int {
	n := 0
	for _, d := range s.SCSI {
		n = max(n, d.Controller+1)
	}
	return n
}

// PCI slots the lab assigns: NICs from slot 3 on, virtio disks from slot 16
// on, NVMe controllers in slots 28 to 30, the virtio-serial controller in
// slot 31.
const (
	firstNICSlot  = 3
	firstDiskSlot = 16
	firstNVMeSlot = 28
	serialSlot    = 31
)

// pciAddr is a slot and function on bus 0.
type pciAddr struct{ slot, fn int }

// String is the address as sysfs names it, e.g. 0000:00:03.1.
func (p pciAddr) String() string { return fmt.Sprintf("0000:00:%02x.%d", p.slot, p.fn) }

// layout assigns PCI addresses: every NIC its own slot, except that NICs of
// one Card share a slot; every disk and NVMe controller its own slot.
func layout(s Spec) (nics, disks, nvmes []pciAddr, err error) {
	slot := firstNICSlot - 1
	seen := map[int]bool{}
	for i, n := range s.NICs {
		switch {
		case n.Card != 0 && i > 0 && s.NICs[i-1].Card == n.Card:
			prev := nics[i-1]
			if prev.fn+1 > 7 {
				return nil, nil, nil, fmt.Errorf("lab: card %d has more than 8 NICs", n.Card)
			}
			nics = append(nics, pciAddr{prev.slot, prev.fn + 1})
			continue
		case n.Card != 0 && seen[n.Card]:
			return nil, nil, nil, fmt.Errorf("lab: the NICs of card %d are not adjacent", n.Card)
		}
		seen[n.Card] = n.Card != 0
		slot++
		nics = append(nics, pciAddr{slot, 0})
	}
	if slot >= firstDiskSlot {
		return nil, nil, nil, fmt.Errorf("lab: %d NIC slots, at most %d", slot-firstNICSlot+1, firstDiskSlot-firstNICSlot)
	}
	if len(s.Disks)+scsiControllers(s) > firstNVMeSlot-firstDiskSlot {
		return nil, nil, nil, fmt.Errorf("lab: %d disks and SCSI controllers, at most %d", len(s.Disks)+scsiControllers(s), firstNVMeSlot-firstDiskSlot)
	}
	for i := range s.Disks {
		disks = append(disks, pciAddr{firstDiskSlot + i, 0})
	}
	if len(s.NVMe) > serialSlot-firstNVMeSlot {
		return nil, nil, nil, fmt.Errorf("lab: %d NVMe controllers, at most %d", len(s.NVMe), serialSlot-firstNVMeSlot)
	}
	for i := range s.NVMe {
		nvmes = append(nvmes, pciAddr{firstNVMeSlot + i, 0})
	}
	return nics, disks, nvmes, nil
}

// qemuArgs is the QEMU command line for a spec, with the files in dir.
func qemuArgs(a *Assets, s Spec, dir string) ([]string, error) {
	nics, disks, nvmes, err := layout(s)
	if err != nil {
		return nil, err
	}
	// lab.ipmi tells /init to load the IPMI stack (an ISA device, so no
	// PCI class to find it by).
	cmdline := "console=ttyS0 quiet panic=-1 oops=panic"
	if s.IPMIPort != 0 {
		cmdline += " lab.ipmi"
	}
	mem := s.MemoryMiB
	if mem == 0 {
		mem = 256
	}
	args := []string{
		"-accel", "tcg", "-machine", "pc", "-m", strconv.Itoa(mem), "-smp", "1",
		"-nodefaults", "-display", "none", "-no-reboot",
		"-kernel", a.Kernel, "-initrd", a.Initrd,
		"-append", cmdline,
		"-serial", "file:" + filepath.Join(dir, "console.log"),
		"-qmp", "unix:" + filepath.Join(dir, "qmp.sock") + ",server=on,wait=off",
		"-device", fmt.Sprintf("virtio-serial-pci,id=vser0,addr=0x%x", serialSlot),
		"-chardev", "socket,id=lab0,path=" + filepath.Join(dir, "lab.sock") + ",server=on,wait=off",
		"-device", "virtserialport,bus=vser0.0,chardev=lab0,name=redwatch.lab",
	}
	for i, n := range s.NICs {
		hub := n.Hub
		if hub == 0 {
			hub = 1000 + i
		}
		dev := fmt.Sprintf("virtio-net-pci,netdev=n%d,id=nic%d,romfile=,mac=52:54:00:00:00:%02x,addr=0x%x.%d", i, i, i+1, nics[i].slot, nics[i].fn)
		if nics[i].fn == 0 && i+1 < len(s.NICs) && n.Card != 0 && s.NICs[i+1].Card == n.Card {
			dev += ",multifunction=on"
		}
		if !n.NoSpeed {
			dev += ",speed=10000,duplex=full"
		}
		args = append(args, "-netdev", fmt.Sprintf("hubport,id=n%d,hubid=%d", i, hub), "-device", dev)
	}
	for i := range s.Disks {
		img := filepath.Join(dir, fmt.Sprintf("d%d.img", i))
		args = append(args,
			"-drive", fmt.Sprintf("file=%s,format=raw,if=none,id=d%d,cache=unsafe", img, i),
			"-device", fmt.Sprintf("virtio-blk-pci,drive=d%d,id=disk%d,addr=0x%x", i, i, disks[i].slot))
	}
	for c := range scsiControllers(s) {
		args = append(args, "-device", fmt.Sprintf("virtio-scsi-pci,id=scsi%d,addr=0x%x", c, firstDiskSlot+len(s.Disks)+c))
	}
	for i, d := range s.SCSI {
		img := filepath.Join(dir, fmt.Sprintf("sc%d.img", i))
		args = append(args,
			"-drive", fmt.Sprintf("file=%s,format=raw,if=none,id=sc%d,cache=unsafe", img, i),
			"-device", fmt.Sprintf("scsi-hd,bus=scsi%d.0,drive=sc%d,id=sdisk%d,serial=lab-sd%d", d.Controller, i, i, i))
	}
	for i := range s.NVMe {
		img := filepath.Join(dir, fmt.Sprintf("nv%d.img", i))
		args = append(args,
			"-drive", fmt.Sprintf("file=%s,format=raw,if=none,id=nv%d,cache=unsafe", img, i),
			"-device", fmt.Sprintf("nvme,serial=lab-nvme%d,drive=nv%d,id=nvme%d,addr=0x%x", i, i, i, nvmes[i].slot))
	}
	if s.IPMIPort != 0 {
		args = append(args,
			"-chardev", fmt.Sprintf("socket,id=ipmi0,host=127.0.0.1,port=%d,reconnect=10", s.IPMIPort),
			"-device", "ipmi-bmc-extern,chardev=ipmi0,id=bmc0",
			"-device", "isa-ipmi-kcs,bmc=bmc0")
	}
	return args, nil
}

// Guest is a booted lab guest.
type Guest struct {
	// Dir holds the console log, the disk images and the sockets.
	Dir string
	// BootTime is how long the boot took, up to the first answered command.
	BootTime time.Duration

	spec   Spec
	cmd    *exec.Cmd
	qmp    *QMP
	ch     net.Conn
	stderr lockedBuffer

	exited  chan struct{} // closed when QEMU exits
	waitErr error
	closed  chan struct{} // closed by Close

	mu      sync.Mutex // serialises commands
	nextID  int
	replies chan frame
	broken  error // set when a command timed out: the guest's loop is stuck
}

// Boot starts a guest with the assets and the spec's hardware and waits
// until its command loop answers (at most Spec.BootTimeout). ctx bounds
// only the boot; Close ends the guest.
func Boot(ctx context.Context, a *Assets, s Spec) (*Guest, error) {
	dir, err := os.MkdirTemp("", "rwlab-")
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	g := &Guest{Dir: dir, spec: s, exited: make(chan struct{}), closed: make(chan struct{}), replies: make(chan frame, 16)}
	for i, d := range s.Disks {
		if err := createImage(filepath.Join(dir, fmt.Sprintf("d%d.img", i)), d); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	for i, d := range s.SCSI {
		if err := createImage(filepath.Join(dir, fmt.Sprintf("sc%d.img", i)), d.Disk); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	for i, d := range s.NVMe {
		if err := createImage(filepath.Join(dir, fmt.Sprintf("nv%d.img", i)), d); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	args, err := qemuArgs(a, s, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("lab: qemu-system-x86_64 is not installed (run lab/deps.sh, package qemu-system-x86): %w", err)
	}
	timeout := s.BootTimeout
	if timeout == 0 {
		timeout = DefaultBootTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	start := time.Now()
	g.cmd = exec.Command(qemu, args...)
	g.cmd.Stdout = &g.stderr
	g.cmd.Stderr = &g.stderr
	// QEMU must not outlive a test binary killed by its timeout.
	g.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := g.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("lab: start qemu: %w", err)
	}
	go func() {
		g.waitErr = g.cmd.Wait()
		close(g.exited)
	}()
	fail := func(what string, err error) (*Guest, error) {
		err = g.failure(fmt.Sprintf("boot: %s", what), err)
		g.Close()
		return nil, err
	}
	dctx, dcancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-g.exited:
			dcancel()
		case <-dctx.Done():
		}
	}()
	g.qmp, err = DialQMP(dctx, filepath.Join(dir, "qmp.sock"))
	if err != nil {
		dcancel()
		return fail("qmp", err)
	}
	g.ch, err = dialUnix(dctx, filepath.Join(dir, "lab.sock"))
	dcancel()
	if err != nil {
		return fail("command channel", err)
	}
	go g.readReplies()

	out, err := g.MustRun(ctx, "uname -r")
	if err != nil {
		return fail(fmt.Sprintf("no answer within %s", timeout), err)
	}
	if strings.TrimSpace(out) != a.KernelRelease {
		return fail("kernel", fmt.Errorf("guest runs %q, want %q", strings.TrimSpace(out), a.KernelRelease))
	}
	g.BootTime = time.Since(start)
	if err := g.checkNames(ctx, s); err != nil {
		return fail("device names", err)
	}
	g.logf("lab: guest booted in %.1fs (%d NICs, %d disks, %d NVMe) in %s", g.BootTime.Seconds(), len(s.NICs), len(s.Disks), len(s.NVMe), dir)
	return g, nil
}

func (g *Guest) logf(format string, args ...any) {
	if g.spec.Log != nil {
		g.spec.Log(format, args...)
	}
}

// checkNames verifies that the guest named the NICs eth0.. and the disks
// vda.. in the order of the spec, by their PCI addresses, so that a
// scenario's "eth1" is QMP's "nic1".
func (g *Guest) checkNames(ctx context.Context, s Spec) error {
	nics, disks, nvmes, err := layout(s)
	if err != nil {
		return err
	}
	want := map[string]string{}
	for i, a := range nics {
		want[fmt.Sprintf("eth%d", i)] = a.String()
	}
	for i, a := range disks {
		want[fmt.Sprintf("vd%c", 'a'+i)] = a.String()
	}
	for i, a := range nvmes {
		want[fmt.Sprintf("nvme%d", i)] = a.String()
	}
	// With virtio the PCI function is the parent of the device link's
	// target; an NVMe controller's device link is the PCI function itself.
	out, err := g.MustRun(ctx, `for d in /sys/class/net/eth* /sys/class/block/vd* /sys/class/nvme/nvme*; do
	[ -e "$d/device" ] || continue
	case $d in
	*/nvme/*) echo "${d##*/} $(basename "$(readlink -f "$d/device")")" ;;
	*) echo "${d##*/} $(basename "$(dirname "$(readlink -f "$d/device")")")" ;;
	esac
done`)
	if err != nil {
		return err
	}
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if name, addr, ok := strings.Cut(l, " "); ok {
			got[name] = addr
		}
	}
	if !maps.Equal(got, want) {
		return fmt.Errorf("lab: the guest named its devices (name PCI-function)\n%s\nwant %v", out, want)
	}
	return nil
}

// Result is what a guest command did.
type Result struct {
	Stdout string
	Stderr string
	Exit   int
}

// Run runs a shell script in the guest (with /bin/sh, as root, in a fresh
// shell) and returns its stdout and exit code. A non-zero exit is not an
// error; err is set when the command could not be run or answered in time.
func (g *Guest) Run(ctx context.Context, script string) (stdout string, exit int, err error) {
	r, err := g.Exec(ctx, script)
	return r.Stdout, r.Exit, err
}

// MustRun runs a script that must succeed: a non-zero exit is an error that
// carries the script's stderr.
func (g *Guest) MustRun(ctx context.Context, script string) (string, error) {
	r, err := g.Exec(ctx, script)
	if err != nil {
		return "", err
	}
	if r.Exit != 0 {
		return r.Stdout, fmt.Errorf("lab: guest command exited %d: %s\nstdout: %s\nstderr: %s", r.Exit, script, r.Stdout, r.Stderr)
	}
	return r.Stdout, nil
}

// Exec runs a shell script in the guest and returns everything it did. The
// command is bounded by Spec.CommandTimeout (DefaultCommandTimeout) and by
// ctx. A guest whose command timed out is broken: later commands fail at
// once, since its command loop is still busy.
func (g *Guest) Exec(ctx context.Context, script string) (Result, error) {
	timeout := g.spec.CommandTimeout
	if timeout == 0 {
		timeout = DefaultCommandTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.broken != nil {
		return Result{}, g.broken
	}
	g.nextID++
	id := strconv.Itoa(g.nextID)
	req := id + " " + base64.StdEncoding.EncodeToString([]byte(script)) + "\n"
	if d, ok := ctx.Deadline(); ok {
		_ = g.ch.SetWriteDeadline(d)
	}
	if _, err := g.ch.Write([]byte(req)); err != nil {
		return Result{}, g.failure("send command", err)
	}
	for {
		select {
		case f, ok := <-g.replies:
			if !ok {
				// QEMU closes the channel as it exits: give it a moment, so
				// that the error can say how it exited.
				select {
				case <-g.exited:
					return Result{}, g.failure("command "+quote(script), errors.New("the guest exited"))
				case <-time.After(3 * time.Second):
				}
				return Result{}, g.failure("command "+quote(script), errors.New("the command channel closed"))
			}
			if f.id != id {
				continue
			}
			return Result{Stdout: f.stdout, Stderr: f.stderr, Exit: f.exit}, f.err
		case <-g.exited:
			return Result{}, g.failure("command "+quote(script), errors.New("the guest exited"))
		case <-ctx.Done():
			g.broken = g.failure("command "+quote(script), ctx.Err())
			return Result{}, g.broken
		}
	}
}

func quote(script string) string {
	if len(script) > 200 {
		script = script[:200] + "..."
	}
	return strconv.Quote(script)
}

// readReplies reads frames from the command channel until it closes.
func (g *Guest) readReplies() {
	defer close(g.replies)
	sc := bufio.NewScanner(g.ch)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var p frameParser
	for sc.Scan() {
		if f, ok := p.feed(sc.Text()); ok {
			select {
			case g.replies <- f:
			case <-g.closed:
				return
			}
		}
	}
}

// QMP executes a QMP command on the guest's QEMU.
func (g *Guest) QMP(ctx context.Context, command string, args any) error {
	_, err := g.qmp.Execute(ctx, command, args)
	if err != nil {
		return g.failure("qmp "+command, err)
	}
	return nil
}

// SetLink pulls (up=false) or plugs back (up=true) the cable of a NIC, by
// its QMP id ("nic1" is the guest's eth1).
func (g *Guest) SetLink(ctx context.Context, nic string, up bool) error {
	g.logf("lab: qmp set_link %s up=%v", nic, up)
	return g.QMP(ctx, "set_link", map[string]any{"name": nic, "up": up})
}

// DeviceDel hot-unplugs a device by its QMP id ("disk1" is the guest's vdb,
// "nic2" its eth2).
func (g *Guest) DeviceDel(ctx context.Context, id string) error {
	g.logf("lab: qmp device_del %s", id)
	return g.QMP(ctx, "device_del", map[string]any{"id": id})
}

// QOMSet sets a QOM property of a device, e.g. an NVMe controller's
// smart_critical_warning.
func (g *Guest) QOMSet(ctx context.Context, path, property string, value any) error {
	g.logf("lab: qmp qom-set %s %s=%v", path, property, value)
	return g.QMP(ctx, "qom-set", map[string]any{"path": path, "property": property, "value": value})
}

// ConsoleTail is the last n lines of the guest's serial console.
func (g *Guest) ConsoleTail(n int) string {
	b, err := os.ReadFile(filepath.Join(g.Dir, "console.log"))
	if err != nil {
		return "(no console log: " + err.Error() + ")"
	}
	b = bytes.ReplaceAll(b, []byte("\r"), nil)
	return tail(b, n)
}

// panicLine is the console's first "Kernel panic" line, "" when there is none.
func (g *Guest) panicLine() string {
	b, err := os.ReadFile(filepath.Join(g.Dir, "console.log"))
	if err != nil {
		return ""
	}
	i := bytes.Index(b, []byte("Kernel panic"))
	if i < 0 {
		return ""
	}
	line := b[i:]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	return strings.TrimSpace(string(bytes.ReplaceAll(line, []byte("\r"), nil)))
}

// failure wraps err with what failed, the console's tail and, when QEMU
// has exited, its exit status and output.
func (g *Guest) failure(what string, err error) error {
	var b strings.Builder
	fmt.Fprintf(&b, "lab: guest %s: %v", what, err)
	select {
	case <-g.exited:
		fmt.Fprintf(&b, "\nqemu exited: %v", g.waitErr)
	default:
	}
	if s := strings.TrimSpace(g.stderr.String()); s != "" {
		fmt.Fprintf(&b, "\n--- qemu output ---\n%s", tail([]byte(s), 10))
	}
	if line := g.panicLine(); line != "" {
		// A panic's stack trace can push the panic itself out of the tail.
		fmt.Fprintf(&b, "\nguest kernel: %s", line)
	}
	fmt.Fprintf(&b, "\n--- console (last 40 lines of %s) ---\n%s", filepath.Join(g.Dir, "console.log"), g.ConsoleTail(40))
	return &guestError{msg: b.String(), err: err}
}

type guestError struct {
	msg string
	err error
}

func (e *guestError) Error() string { return e.msg }
func (e *guestError) Unwrap() error { return e.err }

// Close stops QEMU and removes the guest's directory (unless
// REDWATCH_LAB_KEEP is set).
func (g *Guest) Close() error {
	select {
	case <-g.closed:
		return nil // closed already
	default:
		close(g.closed)
	}
	if g.qmp != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, _ = g.qmp.Execute(ctx, "quit", nil)
		cancel()
		g.qmp.Close()
	}
	select {
	case <-g.exited:
	case <-time.After(3 * time.Second):
		_ = g.cmd.Process.Kill()
		<-g.exited
	}
	if g.ch != nil {
		g.ch.Close()
	}
	if os.Getenv(KeepEnv) == "" {
		return os.RemoveAll(g.Dir)
	}
	return nil
}

// lockedBuffer is a bytes.Buffer safe for QEMU's output and readers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 {
		l.b.Reset()
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// frame is one reply of the guest's command loop.
type frame struct {
	id     string
	stdout string
	stderr string
	exit   int
	err    error
}

// frameParser reassembles replies from the lines of the command channel:
//
//	@@RW-BEGIN <id>@@, base64 stdout lines, @@RW-STDERR <id>@@,
//	base64 stderr lines, @@RW-END <id> <exit>@@
//
// Lines outside a frame are ignored.
type frameParser struct {
	id      string
	in      bool
	section int // 0 stdout, 1 stderr
	buf     [2]strings.Builder
}

func (p *frameParser) feed(line string) (frame, bool) {
	line = strings.TrimRight(line, "\r")
	if rest, ok := strings.CutPrefix(line, "@@RW-BEGIN "); ok && strings.HasSuffix(rest, "@@") {
		p.id, p.in, p.section = strings.TrimSuffix(rest, "@@"), true, 0
		p.buf[0].Reset()
		p.buf[1].Reset()
		return frame{}, false
	}
	if !p.in {
		return frame{}, false
	}
	if line == "@@RW-STDERR "+p.id+"@@" {
		p.section = 1
		return frame{}, false
	}
	if rest, ok := strings.CutPrefix(line, "@@RW-END "+p.id+" "); ok && strings.HasSuffix(rest, "@@") {
		p.in = false
		f := frame{id: p.id}
		exit, err := strconv.Atoi(strings.TrimSuffix(rest, "@@"))
		if err != nil {
			f.err = fmt.Errorf("lab: guest reply %s: bad exit code %q", p.id, rest)
			return f, true
		}
		f.exit = exit
		out, err1 := base64.StdEncoding.DecodeString(p.buf[0].String())
		errOut, err2 := base64.StdEncoding.DecodeString(p.buf[1].String())
		if err := errors.Join(err1, err2); err != nil {
			f.err = fmt.Errorf("lab: guest reply %s: %w", p.id, err)
		}
		f.stdout, f.stderr = string(out), string(errOut)
		return f, true
	}
	p.buf[p.section].WriteString(strings.TrimSpace(line))
	return frame{}, false
}
