package bonding

import (
	"os"
	"path/filepath"
	"testing"
)

// benchProc is the lab's 802.3ad bond (the largest format: aggregator info
// and per-slave LACP pdu details), or the hand-written equivalent.
func benchProc(b *testing.B) []byte {
	if data, err := os.ReadFile(filepath.Join(corpusDir, "lab", "kernel61_faults", "proc", "net", "bonding", "bond0")); err == nil {
		return data
	}
	return []byte(lacpHeader + lacpAggInfo("\t") + lacpSlave)
}

func BenchmarkParseProc(b *testing.B) {
	data := benchProc(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseProc("bond0", data); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRead(b *testing.B, f reader, name string) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.ReadBond(name); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadBond reads one bond from the fixture tree: /proc alone,
// /proc completed by sysfs (unprivileged: aggregator and port states from
// sysfs), and sysfs alone.
func BenchmarkReadBond(b *testing.B) {
	sys, proc := filepath.Join(fixture, "sys"), filepath.Join(fixture, "proc")
	b.Run("proc", func(b *testing.B) { benchRead(b, reader{Proc: proc}, "bond0") })
	b.Run("proc+sysfs", func(b *testing.B) { benchRead(b, reader{Sys: sys, Proc: proc}, "bond0") })
	b.Run("sysfs", func(b *testing.B) { benchRead(b, reader{Sys: sys}, "bond1") })
}

// BenchmarkReadAllLab reads the three bonds of a real-kernel capture.
func BenchmarkReadAllLab(b *testing.B) {
	dir := filepath.Join(corpusDir, "lab", "kernel61_healthy")
	if _, err := os.Stat(dir); err != nil {
		b.Skipf("corpus not present: %v", err)
	}
	sys, proc := filepath.Join(dir, "sys"), filepath.Join(dir, "proc")
	for _, c := range []struct {
		name string
		fs   reader
	}{{"proc", reader{Proc: proc}}, {"proc+sysfs", reader{Sys: sys, Proc: proc}}, {"sysfs", reader{Sys: sys}}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if bonds, errs := c.fs.ReadAll(); len(errs) != 0 || len(bonds) != 3 {
					b.Fatal(errs)
				}
			}
		})
	}
}
