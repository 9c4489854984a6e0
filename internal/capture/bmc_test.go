package capture

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/config"
	"github.com/redwatch/redwatch/internal/engine"
	"github.com/redwatch/redwatch/internal/ipmisimtest"
	"github.com/redwatch/redwatch/internal/testtree"
	"github.com/redwatch/redwatch/redfish/redfishtest"
	"github.com/redwatch/redwatch/rules"
)

// extract writes an archive's regular files under dir and returns their
// names.
func extract(t *testing.T, archive []byte, dir string) []string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var files []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
		case tar.TypeSymlink:
			err = os.Symlink(h.Linkname, p)
		case tar.TypeReg:
			var data []byte
			if data, err = io.ReadAll(tr); err == nil {
				err = os.WriteFile(p, data, 0o644)
			}
			files = append(files, h.Name)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// powerVerdict is what a pass says about power: the status, the power
// group (members, states, redundancy) and the power findings.
func powerVerdict(t *testing.T, p *engine.Pass) string {
	t.Helper()
	var out []string
	out = append(out, "status "+p.Result.Status.String())
	for _, g := range p.Result.Groups {
		if g.Kind == rules.KindPSU {
			b, err := json.Marshal(g)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(b))
		}
	}
	for _, f := range p.Result.Findings {
		if strings.HasPrefix(f.Subject, rules.PowerGroup) {
			out = append(out, fmt.Sprintf("%s %s %s: %s", f.Severity, f.Rule, f.Subject, f.Message))
		}
	}
	for _, e := range p.Result.Errors {
		out = append(out, "error "+e.Error())
	}
	return strings.Join(out, "\n")
}

// TestCaptureReadsConfiguredBMC: a capture of a live host whose
// configuration names a BMC over IPMI LAN (a real ipmi_sim, Redundancy
// Lost) and a Redfish service (the loopback test server over the DMTF tower
// mockup, Bay 1 predicting its failure) reads both once and archives what they sent, as ipmi/sdr.json and
// redfish/<URL path>.json, with neither password anywhere in the archive;
// the audit of the extracted capture (--root) gives the live pass's power
// verdict.
func TestCaptureReadsConfiguredBMC(t *testing.T) {
	sim := ipmisimtest.Start(t, ipmisimtest.Options{})
	sim.Do(t, ipmisimtest.Healthy...)
	sim.Do(t, "sensor_set_bit_clr_rest 0x20 0 0x50 1 1 0") // Redundancy Lost
	srv := redfishtest.ServeMockup(t, testtree.Corpus(t, "redfish", "tower_Power.json"))
	rfPass, ca := srv.Files(t, srv.Password)
	ipmiPass := filepath.Join(t.TempDir(), "bmc.password")
	if err := os.WriteFile(ipmiPass, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("redwatch.yaml", []byte(fmt.Sprintf(`power:
  ipmi:
    address: %s
    username: monitor
    password_file: %s
  redfish:
    endpoint: %s
    username: %s
    password_file: %s
    ca_file: %s
`, sim.Addr, ipmiPass, srv.URL, srv.Username, rfPass, ca)))
	if err != nil {
		t.Fatal(err)
	}
	// A live host with nothing under its roots but a NIC directory: only
	// the BMC has power facts.
	host := testtree.Bare(t)
	roots := collectors.TreeRoots(host)
	roots.Live = true
	clk := clock.NewFake(fixedNow())
	live := (&engine.Engine{Roots: roots, Clock: clk, Config: cfg}).Run(context.Background())
	sources := map[string]int{}
	for _, p := range live.Snapshot.PSUs {
		sources[p.Source]++
	}
	if sources[collectors.PSUSourceIPMI] != 2 || sources[collectors.PSUSourceRedfish] != 2 || len(live.Result.Errors) > 0 {
		t.Fatalf("live pass: supplies by source %v, errors %v; want 2 from IPMI and 2 from Redfish", sources, live.Result.Errors)
	}
	if v := powerVerdict(t, live); !strings.Contains(v, `ipmi "PSU Redundancy": Redundancy Lost`) || !strings.Contains(v, "Health Warning") {
		t.Fatalf("live pass:\n%s\nwant IPMI's Redundancy Lost and Redfish's warning", v)
	}

	var buf bytes.Buffer
	m, err := Capture(context.Background(), &buf, Options{Roots: roots, Clock: clk, BMC: collectors.SourceOptions{
		IPMI:    collectors.NewIPMIReader(cfg.IPMIOptions(), clk),
		Redfish: collectors.NewRedfishReader(cfg.RedfishOptions(), clk)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.CollectorErrors) > 0 {
		t.Errorf("collector errors: %+v", m.CollectorErrors)
	}
	tree := t.TempDir()
	files := extract(t, buf.Bytes(), tree)
	for _, want := range []string{collectors.IPMIDumpPath, "redfish/redfish/v1.json", "redfish/redfish/v1/Chassis.json"} {
		if !strings.Contains(strings.Join(files, " "), want) {
			t.Errorf("archive files %q lack %s", files, want)
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(tree, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte("s3cret")) || bytes.Contains(data, []byte(srv.Password)) || strings.Contains(f, "password") {
			t.Errorf("%s holds a password", f)
		}
	}
	fromCapture := (&engine.Engine{Roots: collectors.TreeRoots(tree), Clock: clk}).Run(context.Background())
	if got, want := powerVerdict(t, fromCapture), powerVerdict(t, live); got != want {
		t.Errorf("audit --root of the capture:\n%s\nthe live pass:\n%s", got, want)
	}
}
