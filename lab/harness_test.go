package lab

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseCandidates(t *testing.T) {
	out := "mdadm:\n  Installed: (none)\n  Candidate: 4.2-5\n  Version table:\n     4.2-5 500\n" +
		"busybox-static:\n  Installed: (none)\n  Candidate: 1:1.35.0-4+deb12u1+b1\n" +
		"gone:\n  Installed: (none)\n  Candidate: (none)\n"
	got := parseCandidates([]byte(out))
	want := map[string]string{"mdadm": "4.2-5", "busybox-static": "1:1.35.0-4+deb12u1+b1"}
	if len(got) != len(want) || got["mdadm"] != want["mdadm"] || got["busybox-static"] != want["busybox-static"] {
		t.Errorf("parseCandidates = %v, want %v", got, want)
	}
	if got := parseCandidates(nil); len(got) != 0 {
		t.Errorf("parseCandidates of nothing = %v", got)
	}
	if safeVersion("1:1.35") != "1%3a1.35" {
		t.Errorf("safeVersion kept the epoch's colon: %q", safeVersion("1:1.35"))
	}
}

func TestParseKernelDepends(t *testing.T) {
	out := "linux-image-amd64\n  Depends: <linux-image-virtual>\n  Depends: linux-image-6.1.0-56-amd64\n  Depends: linux-image-6.1.0-57-amd64\n"
	if got := parseKernelDepends([]byte(out)); got != "linux-image-6.1.0-56-amd64" {
		t.Errorf("parseKernelDepends = %q", got)
	}
	if got := parseKernelDepends([]byte("linux-image-amd64\n  Recommends: firmware\n")); got != "" {
		t.Errorf("parseKernelDepends without a kernel = %q, want empty", got)
	}
}

func TestParseLdd(t *testing.T) {
	out := "\tlinux-vdso.so.1 (0x00007ffc)\n\tlibudev.so.1 => /lib/x86_64-linux-gnu/libudev.so.1 (0x00007f)\n" +
		"\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n\tlibfoo.so.2 => not found\n"
	want := []string{"/lib/x86_64-linux-gnu/libudev.so.1", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"}
	if got := parseLdd([]byte(out)); !slices.Equal(got, want) {
		t.Errorf("parseLdd = %q, want %q", got, want)
	}
	if got := lddMissing([]byte(out)); !slices.Equal(got, []string{"libfoo.so.2"}) {
		t.Errorf("lddMissing = %q, want [libfoo.so.2]", got)
	}
}

func TestParseModinfoDepends(t *testing.T) {
	data := []byte("license=GPL\x00depends=md-mod,foo_bar\x00retpoline=Y\x00")
	if got := parseModinfoDepends(data); !slices.Equal(got, []string{"md-mod", "foo_bar"}) {
		t.Errorf("parseModinfoDepends = %q", got)
	}
	if got := parseModinfoDepends([]byte("depends=\x00")); len(got) != 0 {
		t.Errorf("parseModinfoDepends of an empty list = %q", got)
	}
	if got := modName("/x/md-mod.ko"); got != "md_mod" {
		t.Errorf("modName = %q", got)
	}
}

// readCpio is a minimal newc reader for the round trip.
func readCpio(t *testing.T, b []byte) map[string][2]string {
	t.Helper()
	out := map[string][2]string{}
	for len(b) > 0 {
		if len(b) < 110 || string(b[:6]) != "070701" {
			t.Fatalf("bad cpio header at %q", b[:min(len(b), 16)])
		}
		field := func(i int) int {
			v, err := strconv.ParseUint(string(b[6+8*i:14+8*i]), 16, 32)
			if err != nil {
				t.Fatal(err)
			}
			return int(v)
		}
		mode, size, namesize := field(1), field(6), field(11)
		name := string(b[110 : 110+namesize-1])
		off := (110 + namesize + 3) &^ 3
		data := string(b[off : off+size])
		b = b[(off+size+3)&^3:]
		if name == "TRAILER!!!" {
			if len(bytes.Trim(b, "\x00")) != 0 {
				t.Fatalf("data after the trailer")
			}
			break
		}
		out[name] = [2]string{strconv.FormatInt(int64(mode), 8), data}
	}
	return out
}

func TestArchiveRoundTrip(t *testing.T) {
	build := func() []byte {
		a := NewArchive()
		a.Bytes("/init", 0o755, []byte("#!/bin/sh\n"))
		a.Bytes("lib/modules/x.ko", 0o644, []byte("abcde"))
		a.Symlink("bin/sh", "busybox")
		a.CharDev("dev/console", 0o600, 5, 1)
		var buf bytes.Buffer
		if err := a.WriteGzip(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	gz := build()
	if !bytes.Equal(gz, build()) {
		t.Fatal("the same archive packed twice differs: not deterministic")
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	got := readCpio(t, raw)
	want := map[string][2]string{
		"init":             {"100755", "#!/bin/sh\n"},
		"lib":              {"40755", ""},
		"lib/modules":      {"40755", ""},
		"lib/modules/x.ko": {"100644", "abcde"},
		"bin":              {"40755", ""},
		"bin/sh":           {"120777", "busybox"},
		"dev":              {"40755", ""},
		"dev/console":      {"20600", ""},
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s = %q, want %q", name, got[name], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("archive has %d entries, want %d: %v", len(got), len(want), got)
	}
	paths := NewArchive()
	paths.Bytes("a/b/c", 0o644, nil)
	if p := paths.Paths(); !slices.Equal(p, []string{"a", "a/b", "a/b/c"}) {
		t.Errorf("Paths = %q: parents must come first", p)
	}
}

func TestMBRTable(t *testing.T) {
	b, err := mbrTable(64, []int{30, 30})
	if err != nil {
		t.Fatal(err)
	}
	if b[510] != 0x55 || b[511] != 0xaa {
		t.Error("no boot signature")
	}
	for i, want := range [][2]uint32{{2048, 30 * 2048}, {2048 + 30*2048, 30 * 2048}} {
		e := b[446+16*i:]
		if e[4] != 0xfd {
			t.Errorf("partition %d type %#x, want 0xfd", i+1, e[4])
		}
		if s, n := binary.LittleEndian.Uint32(e[8:]), binary.LittleEndian.Uint32(e[12:]); s != want[0] || n != want[1] {
			t.Errorf("partition %d at %d+%d, want %d+%d", i+1, s, n, want[0], want[1])
		}
	}
	if b[446+32+4] != 0 {
		t.Error("a third partition entry is set")
	}
	if _, err := mbrTable(64, []int{40, 40}); err == nil {
		t.Error("80 MiB of partitions fit in a 64 MiB disk")
	}
	if b, err := mbrTable(64, nil); b != nil || err != nil {
		t.Errorf("no partitions: %v, %v; want no table", b, err)
	}
}

func TestLayout(t *testing.T) {
	nics, disks, nvmes, err := layout(Spec{NICs: []NIC{{Card: 1}, {Card: 1}, {}, {Card: 2}, {Card: 2}}, Disks: []Disk{{}, {}}, NVMe: []Disk{{}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range slices.Concat(nics, disks, nvmes) {
		got = append(got, a.String())
	}
	want := []string{"0000:00:03.0", "0000:00:03.1", "0000:00:04.0", "0000:00:05.0", "0000:00:05.1", "0000:00:10.0", "0000:00:11.0", "0000:00:1c.0"}
	if !slices.Equal(got, want) {
		t.Errorf("layout = %q, want %q", got, want)
	}
	if _, _, _, err := layout(Spec{NICs: []NIC{{Card: 1}, {}, {Card: 1}}}); err == nil {
		t.Error("the NICs of a card that are not adjacent were accepted")
	}
	if _, _, _, err := layout(Spec{NVMe: make([]Disk, 4)}); err == nil {
		t.Error("4 NVMe controllers were accepted in 3 slots")
	}
	args, err := qemuArgs(&Assets{Kernel: "k", Initrd: "i"}, Spec{NICs: []NIC{{Card: 1, Hub: 3}, {Card: 1, NoSpeed: true}}}, "/d")
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(args, " ")
	for _, w := range []string{
		"hubport,id=n0,hubid=3", "hubport,id=n1,hubid=1001",
		"id=nic0,romfile=,mac=52:54:00:00:00:01,addr=0x3.0,multifunction=on,speed=10000,duplex=full",
		"id=nic1,romfile=,mac=52:54:00:00:00:02,addr=0x3.1 ",
		"-accel tcg",
	} {
		if !strings.Contains(joined+" ", w) {
			t.Errorf("qemu args lack %q:\n%s", w, joined)
		}
	}
	if strings.Contains(joined, "user") || strings.Contains(joined, "slirp") {
		t.Errorf("qemu args give the guest a network route:\n%s", joined)
	}
	if strings.Contains(joined, "ipmi") {
		t.Errorf("a guest without IPMIPort has a BMC:\n%s", joined)
	}
	args, err = qemuArgs(&Assets{Kernel: "k", Initrd: "i"}, Spec{IPMIPort: 4321}, "/d")
	if err != nil {
		t.Fatal(err)
	}
	joined = strings.Join(args, " ")
	for _, w := range []string{
		"-chardev socket,id=ipmi0,host=127.0.0.1,port=4321,reconnect=10",
		"-device ipmi-bmc-extern,chardev=ipmi0,id=bmc0 -device isa-ipmi-kcs,bmc=bmc0",
		"oops=panic lab.ipmi",
	} {
		if !strings.Contains(joined, w) {
			t.Errorf("qemu args lack %q:\n%s", w, joined)
		}
	}
}

func TestFrameParser(t *testing.T) {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	out := enc("hello\n@@RW-END 7 0@@\n")
	lines := []string{
		"noise before",
		"@@RW-BEGIN 7@@", out[:8], out[8:],
		"@@RW-STDERR 7@@", enc("oops"),
		"@@RW-END 7 3@@",
		"@@RW-BEGIN 8@@", "@@RW-STDERR 8@@", "@@RW-END 8 0@@\r",
	}
	var p frameParser
	var got []frame
	for _, l := range lines {
		if f, ok := p.feed(l); ok {
			got = append(got, f)
		}
	}
	if len(got) != 2 {
		t.Fatalf("got %d frames, want 2: %+v", len(got), got)
	}
	if f := got[0]; f.id != "7" || f.stdout != "hello\n@@RW-END 7 0@@\n" || f.stderr != "oops" || f.exit != 3 || f.err != nil {
		t.Errorf("frame 7 = %+v", f)
	}
	if f := got[1]; f.id != "8" || f.stdout != "" || f.exit != 0 || f.err != nil {
		t.Errorf("frame 8 = %+v", f)
	}
	var q frameParser
	q.feed("@@RW-BEGIN 9@@")
	q.feed("!!notbase64")
	if f, ok := q.feed("@@RW-END 9 0@@"); !ok || f.err == nil {
		t.Errorf("a frame with bad base64: %+v, %v; want an error", f, ok)
	}
}

const sampleVerdict = `{"status":"warning","findings":[
 {"rule":"bond_member_down","severity":"warning","subject":"bond0/eth1","message":"bond0: slave eth1 is down (link failures: 1)","remediation":"x"},
 {"rule":"md_rebuilding","severity":"warning","subject":"md0","message":"md0: recover in progress (12.5% done)","remediation":"y"}],
 "groups":[{"kind":"bond","name":"bond0","needed":2,"healthy":1,"total":2,"members":[{"name":"eth0","state":"up"},{"name":"eth1","state":"down"}]}],
 "errors":[]}`

func TestParseVerdict(t *testing.T) {
	v, err := ParseVerdict([]byte(sampleVerdict), 1, "")
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != "warning" || len(v.Findings) != 2 || len(v.Groups) != 1 || v.Groups[0].Members[1].State != "down" {
		t.Errorf("ParseVerdict = %+v", v)
	}
	if _, err := ParseVerdict([]byte(sampleVerdict), 0, ""); err == nil {
		t.Error("exit 0 with status warning was accepted")
	}
	if _, err := ParseVerdict([]byte(`{"status":"fine"}`), 0, ""); err == nil {
		t.Error("status fine was accepted")
	}
	if _, err := ParseVerdict([]byte("panic: boom"), 2, "goroutine 1"); err == nil || !strings.Contains(err.Error(), "goroutine 1") {
		t.Errorf("non-JSON output: %v; want an error with stderr", err)
	}
}

func TestExpectCheck(t *testing.T) {
	v, err := ParseVerdict([]byte(sampleVerdict), 1, "")
	if err != nil {
		t.Fatal(err)
	}
	pass := []Expect{
		Status("warning", "critical").Finding("bond_member_down", "bond0/eth1"),
		Status("warning").FindingMessage("md_rebuilding", "md0", `[0-9.]+%`).Group("bond", "bond0", 1, 2),
		{Findings: []Want{{Rule: "md_rebuilding", Subject: "md0", Severity: "warning"}}},
		Status("warning").Without("bond_single_member", "bond0"),
	}
	for i, e := range pass {
		if err := e.Check(v); err != nil {
			t.Errorf("expectation %d: %v", i, err)
		}
	}
	fail := map[string]Expect{
		"status":        OK(),
		"only":          Status("warning").Finding("bond_member_down", "bond0/eth1").only(),
		"subject":       Status("warning").Finding("bond_member_down", "bond0/eth0"),
		"message":       Status("warning").FindingMessage("md_rebuilding", "md0", `finished`),
		"group counts":  Status("warning").Group("bond", "bond0", 2, 2),
		"missing group": Status("warning").Group("md", "md0", 2, 2),
		"absent":        Status("warning").Without("bond_member_down", "bond0/eth1"),
		"severity":      {Findings: []Want{{Rule: "md_rebuilding", Subject: "md0", Severity: "critical"}}},
	}
	for name, e := range fail {
		if err := e.Check(v); err == nil {
			t.Errorf("expectation %q passed, want a failure", name)
		}
	}
	// OK tolerates power_not_observable (info) and nothing else: a guest
	// has no power supply.
	ok := &Verdict{Status: "ok", Findings: []Finding{{Rule: "power_not_observable", Severity: "info", Subject: "power"}}}
	if err := OK().Check(ok); err != nil {
		t.Errorf("OK() with power_not_observable: %v", err)
	}
	if err := OK().Check(&Verdict{Status: "ok"}); err != nil {
		t.Errorf("OK() without it: %v", err)
	}
	for _, f := range []Finding{{Rule: "no_redundancy_groups", Severity: "info", Subject: "host"},
		{Rule: "power_not_observable", Severity: "warning", Subject: "power"}} {
		if err := OK().Check(&Verdict{Status: "ok", Findings: append(slices.Clone(ok.Findings), f)}); err == nil {
			t.Errorf("OK() accepted %+v", f)
		}
	}
	withErr := *v
	withErr.Errors = []CollectorError{{Collector: "md", Path: "/proc/mdstat", Error: "boom"}}
	if err := Status("warning").Check(&withErr); err == nil || !strings.Contains(err.Error(), "/proc/mdstat") {
		t.Errorf("a collector error: %v; want a failure naming the path", err)
	}
	if err := (Expect{AllowErrors: true}).Check(&withErr); err != nil {
		t.Errorf("AllowErrors: %v", err)
	}
}

// only is Expect with Only set, for the test.
func (e Expect) only() Expect { e.Only = true; return e }

func TestBzPayloadAndNotes(t *testing.T) {
	img := make([]byte, 4096)
	copy(img[0x202:], "HdrS")
	binary.LittleEndian.PutUint16(img[0x206:], 0x20f)
	img[0x1f1] = 1 // setup sectors: the protected-mode code starts at 1024
	binary.LittleEndian.PutUint32(img[0x248:], 100)
	binary.LittleEndian.PutUint32(img[0x24c:], 6)
	copy(img[1124:], "\xfd7zXZ\x00")
	p, err := bzPayload(img)
	if err != nil || string(p) != "\xfd7zXZ\x00" {
		t.Errorf("bzPayload = %q, %v", p, err)
	}
	if _, err := bzPayload(make([]byte, 4096)); err == nil {
		t.Error("an image without HdrS was accepted")
	}
	binary.LittleEndian.PutUint32(img[0x24c:], 1<<20)
	if _, err := bzPayload(img); err == nil {
		t.Error("a payload past the end was accepted")
	}

	note := func(name string, typ uint32, desc []byte) []byte {
		var b bytes.Buffer
		binary.Write(&b, binary.LittleEndian, [3]uint32{uint32(len(name) + 1), uint32(len(desc)), typ})
		b.WriteString(name + "\x00")
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
		b.Write(desc)
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
		return b.Bytes()
	}
	notes := append(note("GNU", 3, []byte("buildid!")), note("Xen", 18, []byte{0, 0, 0, 1})...)
	if !hasNote(notes, "Xen", 18) {
		t.Error("the PVH note was not found")
	}
	if hasNote(notes, "Xen", 17) || hasNote(notes[:20], "Xen", 18) {
		t.Error("a note that is not there was found")
	}
}
