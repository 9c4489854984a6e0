package collectors

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/procfs"
)

// TestParseMDStatAgainstProcfs cross-checks parseMDStat with
// github.com/prometheus/procfs's mdstat parser (what node_exporter uses) on
// every corpus sample procfs can parse: the same arrays, levels, [n/m],
// descriptor numbers, faulty/spare flags and sync percentages. The samples
// procfs rejects are exactly why redwatch has its own parser (mdstat.go).
func TestParseMDStatAgainstProcfs(t *testing.T) {
	t.Parallel()
	dir, names := mdCorpusSamples(t)
	compared := 0
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		proc := t.TempDir()
		mdWriteFile(t, filepath.Join(proc, "mdstat"), string(data))
		fs, err := procfs.NewFS(proc)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := fs.MDStat()
		if err != nil {
			t.Logf("%s: procfs cannot parse it: %v", name, err)
			continue
		}
		ours, err := parseMDStat(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		compared++
		if len(ours) != len(theirs) {
			t.Errorf("%s: %d arrays, procfs %d", name, len(ours), len(theirs))
			continue
		}
		for _, p := range theirs {
			a := mdFind(ours, p.Name)
			if a == nil {
				t.Errorf("%s: procfs has %s, we do not", name, p.Name)
				continue
			}
			if p.Type != "unknown" && p.Type != a.Level {
				t.Errorf("%s/%s: level %q, procfs %q", name, a.Name, a.Level, p.Type)
			}
			if a.RaidDisks != Unknown && (int64(a.RaidDisks) != p.DisksTotal || int64(a.ActiveDisks) != p.DisksActive) {
				t.Errorf("%s/%s: [%d/%d], procfs [%d/%d]", name, a.Name, a.RaidDisks, a.ActiveDisks, p.DisksTotal, p.DisksActive)
			}
			if a.SyncProgress != Unknown && a.SyncProgress != p.BlocksSyncedPct {
				t.Errorf("%s/%s: progress %v, procfs %v", name, a.Name, a.SyncProgress, p.BlocksSyncedPct)
			}
			if len(p.Devices) != len(a.Members) {
				t.Errorf("%s/%s: %d members, procfs %d", name, a.Name, len(a.Members), len(p.Devices))
				continue
			}
			for _, d := range p.Devices {
				var m *MDMember
				for i := range a.Members {
					if a.Members[i].Name == d.Name {
						m = &a.Members[i]
					}
				}
				if m == nil || int32(m.DescNr) != d.DescriptorIndex || (m.State == MemberFaulty) != d.Faulty ||
					(m.State == MemberSpare) != d.Spare || m.WriteMostly != d.WriteMostly {
					t.Errorf("%s/%s: member %+v, procfs %+v", name, a.Name, m, d)
				}
			}
		}
	}
	if compared < 10 {
		t.Errorf("only %d samples compared", compared)
	}
	t.Logf("compared %d of %d samples with procfs", compared, len(names))
}
