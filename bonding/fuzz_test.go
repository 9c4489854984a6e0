package bonding

import (
	"path/filepath"
	"strings"
	"testing"
)

// procSeeds are the hand-written inputs of proc_test.go.
var procSeeds = []string{
	abHeader + slaveEth0 + slaveEth1Down,
	lacpHeader + lacpAggInfo("\t") + lacpSlave,
	lacpHeader + lacpAggInfo("  ") + lacpSlave + strings.Replace(lacpSlave, "eth0", "eth1", 1),
	lacpHeader + "bond bond0 has no active aggregator\n",
	"Ethernet Channel Bonding Driver: 2.6.1 (October 29, 2004)\nBonding Mode: load balancing (round-robin)\n" +
		"MII Status: up\nMII Polling Interval (ms): 1000\nUp Delay (ms): 0\nDown Delay (ms): 0\n\n" +
		"Slave Interface: eth1\nMII Status: up\nLink Failure Count: 1\n",
	"", "\n", "Bonding Mode:", "Slave Interface:\n", "port state: 1\n",
}

func FuzzParseProc(f *testing.F) {
	for _, s := range procSeeds {
		f.Add([]byte(s))
	}
	for _, glob := range []string{"bonding/*", "bonding/*/proc/net/bonding/*", "lab/*/proc/net/bonding/*"} {
		for _, data := range corpusFiles(f, glob) {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseProc("bond0", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "bonding: /proc/net/bonding/bond0: ") || b.Name != "" || b.Slaves != nil {
				t.Fatalf("error %q with bond %+v", err, b)
			}
			return
		}
		if b.Name != "bond0" || ModeFromProc(b.Mode) != b.Mode || b.Mode == "" || b.MIIStatus == "" || b.MIIMon < 0 || b.UpDelay < 0 || b.DownDelay < 0 {
			t.Fatalf("accepted a bond without the required header facts: %+v", b)
		}
		if (b.Mode == Mode8023AD) != (b.LACP != nil) {
			t.Fatalf("mode %q with LACP %v", b.Mode, b.LACP)
		}
		names := map[string]bool{}
		for _, s := range b.Slaves {
			if s.Name == "" || s.MIIStatus == "" || s.LinkFailures < 0 || names[s.Name] {
				t.Fatalf("accepted a bad slave %+v", s)
			}
			names[s.Name] = true
			for _, v := range []int{s.Speed, s.QueueID, s.AggregatorID, s.ActorChurnedCount, s.PartnerChurnedCount, s.ActorPortState, s.PartnerPortState} {
				if v < Unknown {
					t.Fatalf("slave %+v: value below Unknown", s)
				}
			}
		}
		// Deterministic, and the same for the same text with CRLF lines.
		b2, err := ParseProc("bond0", []byte(strings.ReplaceAll(string(data), "\n", "\r\n")))
		if err != nil || len(b2.Slaves) != len(b.Slaves) || b2.Mode != b.Mode {
			t.Fatalf("CRLF variant: %v, %d slaves, want %d", err, len(b2.Slaves), len(b.Slaves))
		}
	})
}

func FuzzParseMasters(f *testing.F) {
	for _, s := range []string{"bond0 bond1\n", "bond0 dmz int\n", "", "../x .. a/b bond0 bond0"} {
		f.Add([]byte(s))
	}
	for _, data := range corpusFiles(f, filepath.Join("*", "*", "sys", "class", "net", "bonding_masters")) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		seen := map[string]bool{}
		for _, n := range ParseMasters(data) {
			if !ValidName(n) || seen[n] || filepath.Base(n) != n || strings.Contains(n, "..") && len(n) <= 2 {
				t.Fatalf("ParseMasters(%q) gave %q", data, n)
			}
			seen[n] = true
		}
	})
}

// sysSeeds are sysfs attribute values of the fixture tree and the lab captures.
func sysSeeds(f *testing.F) [][]byte {
	seeds := [][]byte{[]byte("active-backup 1\n"), []byte("802.3ad 4\n"), []byte("100\n"), []byte("N/A\n"), []byte(""),
		[]byte("fast 1\n"), []byte("layer2+3 2\n"), []byte("eth0 eth1\n"), []byte("-1\n"), []byte("unknown\n")}
	for _, glob := range []string{"lab/kernel61_faults/sys/devices/virtual/net/bond*/bonding/*", "lab/kernel61_faults/sys/devices/*/*/*/net/*/bonding_slave/*"} {
		for _, data := range corpusFiles(f, glob) {
			seeds = append(seeds, data)
		}
	}
	return seeds
}

func FuzzParseSysMode(f *testing.F) {
	for _, s := range sysSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseSysMode(data)
		if (err == nil) == (m == "") || err == nil && ModeFromProc(m) != m {
			t.Fatalf("ParseSysMode(%q) = %q, %v", data, m, err)
		}
	})
}

func FuzzParseSysInt(f *testing.F) {
	for _, s := range sysSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseSysInt(data)
		if v < Unknown || err != nil && v != Unknown {
			t.Fatalf("ParseSysInt(%q) = %d, %v", data, v, err)
		}
	})
}

func FuzzParseSysOption(f *testing.F) {
	for _, s := range sysSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseSysOption(data)
		if err != nil && v != "" || strings.ContainsAny(v, " \t\n") {
			t.Fatalf("ParseSysOption(%q) = %q, %v", data, v, err)
		}
	})
}

// FuzzParseSysText covers the parsers that cannot fail: text, list, speed, duplex.
func FuzzParseSysText(f *testing.F) {
	for _, s := range sysSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if v := ParseSysText(data); strings.TrimSpace(v) != v {
			t.Fatalf("ParseSysText(%q) = %q", data, v)
		}
		for _, v := range ParseSysList(data) {
			if v == "" || strings.ContainsAny(v, " \t\n") {
				t.Fatalf("ParseSysList(%q) has %q", data, v)
			}
		}
		if v := ParseSysSpeed(data); v < Unknown || v == 65535 {
			t.Fatalf("ParseSysSpeed(%q) = %d", data, v)
		}
		if v := ParseSysDuplex(data); v != "" && v != "full" && v != "half" {
			t.Fatalf("ParseSysDuplex(%q) = %q", data, v)
		}
	})
}

// FuzzParseFlags covers /sys/class/net/<name>/flags and uevent's DEVTYPE.
func FuzzParseFlags(f *testing.F) {
	for _, s := range []string{"0x1003\n", "0x0", "", "0x", "1003", "DEVTYPE=vlan\nINTERFACE=eth0.100\n", "INTERFACE=eth0\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if v, err := ParseFlags(data); err != nil && v != 0 || v > 0xffffffff {
			t.Fatalf("ParseFlags(%q) = %#x, %v", data, v, err)
		}
		if v := ParseDevType(data); strings.ContainsAny(v, "\n") {
			t.Fatalf("ParseDevType(%q) = %q", data, v)
		}
	})
}
