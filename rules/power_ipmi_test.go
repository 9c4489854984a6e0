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

// TestIPMICorpus reads every ipmitool listing of the real-world corpus as a
// captured tree's T/ipmi/sdr.txt and checks that the decoder says what those
// machines said: the supplies, their states, the redundancy sensor's state,
// and the verdict MANIFEST.tsv allows.
func TestIPMICorpus(t *testing.T) {
	corpus := testtree.Corpus(t)
	want := map[string]struct{ members, redundancy string }{
		// `sensor list`: PS1/PS2 Status 0x0100 (Presence detected).
		"ipmi/beanli_supermicro_sensor_list.txt": {"PS1 Status=online PS2 Status=online", ""},
		// `sdr`: PS1/PS2 Status 0x01 (presence), no redundancy sensor.
		"ipmi/collectd735_supermicro_sdr.txt": {"PS1 Status=online PS2 Status=online", ""},
		// `sdr list`: three supplies, Pwr Unit Redund 0x01 (Fully Redundant);
		// Fan Redundancy is not power.
		"ipmi/lkml2004_intel_3psu_sdr_list.txt": {"Power Supply 1=online Power Supply 2=online Power Supply 3=online", "full"},
		// IBM `sdr`: Power Supply 1/2 0x00 (nothing asserted), the PS fan and
		// fault sensors are not supply status sensors.
		"ipmi/telegraf_ibm_sdr_v1.txt": {"Power Supply 1=online Power Supply 2=online", ""},
	}
	f, err := os.Open(filepath.Join(corpus, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 || !strings.HasPrefix(cols[0], "ipmi/") {
			continue
		}
		n++
		sample, expect := cols[0], strings.Split(cols[2], ",")
		t.Run(sample, func(t *testing.T) {
			w, ok := want[sample]
			if !ok {
				t.Fatalf("no expectation for %s", sample)
			}
			data, err := os.ReadFile(filepath.Join(corpus, sample))
			if err != nil {
				t.Fatal(err)
			}
			root := t.TempDir()
			dst := filepath.Join(root, filepath.FromSlash(collectors.IPMIListingPath))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, data, 0o644); err != nil {
				t.Fatal(err)
			}
			res := Evaluate(collectors.Collect(context.Background(), collectors.TreeRoots(root), clock.NewFake(psuNow())))
			if !slices.Contains(expect, res.Status.String()) {
				t.Errorf("status %s, manifest allows %v (findings %v, errors %v)", res.Status, expect, res.Findings, res.Errors)
			}
			g := psuGroup(res)
			if g == nil {
				t.Fatalf("no power group (errors %v)", res.Errors)
			}
			var ms []string
			for _, m := range g.Members {
				ms = append(ms, m.Name+"="+m.State)
			}
			if strings.Join(ms, " ") != w.members || g.Redundancy != w.redundancy {
				t.Errorf("members %v redundancy %q, want %s redundancy %q", ms, g.Redundancy, w.members, w.redundancy)
			}
		})
	}
	if n != len(want) {
		t.Errorf("%d ipmi samples in MANIFEST.tsv, %d expected", n, len(want))
	}
}

// TestIPMIListingStates reads a captured `sdr elist` with a failed, an
// absent-by-no-reading and an AC-lost supply and Redundancy Lost.
func TestIPMIListingStates(t *testing.T) {
	root := t.TempDir()
	dst := filepath.Join(root, filepath.FromSlash(collectors.IPMIListingPath))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	listing := "PS1 Status       | C8h | ok  | 10.1 | Presence detected, Failure detected\n" +
		"PS2 Status       | C9h | ok  | 10.2 | Presence detected, Power Supply AC lost\n" +
		"PS3 Status       | CAh | ok  | 10.3 | Presence detected\n" +
		"PSU Redundancy   | CBh | ok  | 19.1 | Redundancy Lost\n"
	if err := os.WriteFile(dst, []byte(listing), 0o644); err != nil {
		t.Fatal(err)
	}
	res := Evaluate(collectors.Collect(context.Background(), collectors.TreeRoots(root), clock.NewFake(psuNow())))
	got := slices.Concat(prefixFindings(res, "psu_"), prefixFindings(res, "power_"))
	slices.Sort(got)
	want := []string{"power_redundancy_lost warning power", "psu_health warning power/PS1 Status", "psu_offline warning power/PS2 Status"}
	if !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	if res.Status != StatusWarning {
		t.Errorf("status %s, want warning (errors %v)", res.Status, res.Errors)
	}
	for _, f := range res.Findings {
		if f.Rule == "psu_health" && !strings.Contains(f.Message, "Power Supply Failure detected") {
			t.Errorf("psu_health message %q lacks the reason", f.Message)
		}
	}
}
