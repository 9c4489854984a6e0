package rules

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/testtree"
)

// linkHwmonClass links every hwmonN directory under root/sys/devices as
// root/sys/class/hwmon/hwmonN, as the kernel does: the corpus's hwmon trees
// keep only the device directories.
func linkHwmonClass(t *testing.T, root string) {
	t.Helper()
	class := filepath.Join(root, "sys", "class", "hwmon")
	if err := os.MkdirAll(class, 0o755); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(filepath.Join(root, "sys", "devices"), func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() || filepath.Base(filepath.Dir(p)) != "hwmon" {
			return err
		}
		rel, err := filepath.Rel(class, p)
		if err != nil {
			return err
		}
		return os.Symlink(rel, filepath.Join(class, d.Name()))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// hwmonTreeFromGrep builds an hwmon tree from `grep . *` run inside
// /sys/class/hwmon/hwmonN (one "attr:value" per line, "grep: X: Is a
// directory" noise, uevent's lines each prefixed), the supply at I2C
// address addr of bus 0.
func hwmonTreeFromGrep(t *testing.T, data []byte, addr string) string {
	t.Helper()
	root := t.TempDir()
	dev := filepath.Join(root, "sys", "devices", "platform", "i2c-0", "0-00"+addr)
	hw := filepath.Join(dev, "hwmon", "hwmon0")
	if err := os.MkdirAll(hw, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k == "grep" {
			continue
		}
		files[k] += v + "\n"
	}
	for k, v := range files {
		if err := os.WriteFile(filepath.Join(hw, k), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../../../0-00"+addr, filepath.Join(hw, "device")); err != nil {
		t.Fatal(err)
	}
	linkHwmonClass(t, root)
	return root
}

// manifestRow is one sample of the corpus's MANIFEST.tsv.
type manifestRow struct {
	sample, place string
	expect        []string
}

// manifestRows are the samples of the corpus's MANIFEST.tsv whose name
// starts with prefix ("hwmon/").
func manifestRows(t *testing.T, corpus, prefix string) []manifestRow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpus, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []manifestRow
	for _, line := range strings.Split(string(data), "\n") {
		cols := strings.Split(line, "\t")
		if len(cols) >= 3 && strings.HasPrefix(cols[0], prefix) {
			rows = append(rows, manifestRow{cols[0], cols[1], strings.Split(cols[2], ",")})
		}
	}
	return rows
}

// TestHwmonCorpus runs every hwmon sample of the real-world corpus through
// collect + evaluate and checks the verdict against MANIFEST.tsv and the
// power findings each must give. The power_supply samples are
// TestPowerCorpus's.
func TestHwmonCorpus(t *testing.T) {
	corpus := testtree.Corpus(t)
	want := map[string][]string{
		// A CPU, a NIC and an NVMe temperature sensor: no supply, whatever
		// their alarms say.
		"hwmon/node_exporter_coretemp":   nil,
		"hwmon/node_exporter_i350bb_nic": nil,
		"hwmon/node_exporter_nvme_hwmon": nil,
		// The Delta DPS-920AB delivers power; its fan2/fan3 alarms are
		// channels it does not have (-1 rpm). Seen alone it is one supply.
		"hwmon/dps920ab_pmbus_psu_grep.txt": {"psu_single warning power/dps920ab@0-005a"},
	}
	rows := manifestRows(t, corpus, "hwmon/")
	for _, row := range rows {
		sample, place, expect := row.sample, row.place, row.expect
		t.Run(sample, func(t *testing.T) {
			wantFindings, ok := want[sample]
			if !ok {
				t.Fatalf("no expected findings for %s", sample)
			}
			src := filepath.Join(corpus, sample)
			var root string
			switch place {
			case "tree":
				root = t.TempDir()
				if err := os.CopyFS(root, os.DirFS(src)); err != nil {
					t.Fatal(err)
				}
				linkHwmonClass(t, root)
			case "reference":
				data, err := os.ReadFile(src)
				if err != nil {
					t.Fatal(err)
				}
				root = hwmonTreeFromGrep(t, data, "5a")
			default:
				t.Fatalf("place %q", place)
			}
			res := Evaluate(collectors.Collect(context.Background(), collectors.TreeRoots(root), clock.NewFake(psuNow())))
			if !slices.Contains(expect, res.Status.String()) {
				t.Errorf("status %s, manifest allows %v (findings %v, errors %v)", res.Status, expect, psuFindings(res), res.Errors)
			}
			if got := psuFindings(res); !slices.Equal(got, wantFindings) {
				t.Errorf("findings = %v, want %v", got, wantFindings)
			}
			if len(res.Errors) > 0 {
				t.Errorf("errors: %v", res.Errors)
			}
			checkFindingShape(t, res)
		})
	}
	if len(rows) != len(want) {
		t.Errorf("%d hwmon samples in the manifest, %d expected here", len(rows), len(want))
	}
}
