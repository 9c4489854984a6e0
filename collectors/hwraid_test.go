package collectors

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/hostfs"
	"github.com/redwatch/redwatch/internal/testtree"
)

// corpusFile reads one file of the real-world corpus's hwraid folder.
func corpusFile(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(testtree.Corpus(t, "hwraid", rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseHWRaidCorpus checks the facts each parser takes from real
// outputs: controller status, VD level and state, members, drive states,
// cache backup and foreign configurations.
func TestParseHWRaidCorpus(t *testing.T) {
	tests := []struct {
		tool, file, name string
		check            func(t *testing.T, cs []RAIDController)
		wantErr          error
	}{
		{tool: "storcli", file: "storcli/promcomm_cALL_show_all_optimal.json", name: "call-show-all.json", check: func(t *testing.T, cs []RAIDController) {
			c := one(t, cs)
			want(t, c.ID+" "+c.Model+" "+c.PCIAddress+" "+c.Status, "c0 PRAID EP420i 0000:02:00.0 Optimal")
			want(t, c.Cache.Backup+" "+c.Cache.BackupStatus+" "+strconv.FormatBool(c.Cache.BackupOK), "cachevault Optimal true")
			v := c.Volume("v0")
			want(t, v.Level+" "+v.State+" "+strings.Join(v.Members, ","), "RAID6 optimal 252:0,252:1,252:5,252:4")
		}},
		{tool: "storcli", file: "storcli/promcomm_cALL_eALL_sALL_show_all_optimal.json", name: "call-eall-sall-show-all.json", check: func(t *testing.T, cs []RAIDController) {
			d := one(t, cs).Drive("252:4")
			want(t, d.State+" "+d.Serial+" "+strconv.Itoa(d.MediaErrors)+" "+strconv.Itoa(d.PredictiveFailures), "online 20032656D649 0 0")
		}},
		{tool: "perccli", file: "perccli/canonical_PERC-H345_cALL_show_all.json", name: "call-show-all.json", check: func(t *testing.T, cs []RAIDController) {
			c := one(t, cs)
			want(t, c.Model+" "+c.Cache.Backup, "PERC H345 Front ") // BBU Status "NA": no backup fitted, not a fault
		}},
		{tool: "perccli", file: "perccli/canonical_no_controller.json", name: "call-show-all.json", wantErr: ErrNoController},
		{tool: "storcli", file: "storcli/canonical_HPE-MR216i_cALL_show_all.json", name: "call-show-all.json", check: func(t *testing.T, cs []RAIDController) {
			v := one(t, cs).Volume("v239")
			want(t, v.Level+" "+strconv.Itoa(v.Target)+" "+v.Name, "RAID1 239 NVMe-RAID-1")
		}},
		{tool: "storcli", file: "storcli/megaraid-dashboard_bbu_show_all.json", name: "c0-bbu-show-all.json", check: func(t *testing.T, cs []RAIDController) {
			if len(cs) != 0 {
				t.Errorf("a CacheVault card asked for /bbu describes %d controllers, want none (and no error)", len(cs))
			}
		}},
		{tool: "storcli", file: "storcli/megaraid-dashboard_cv_show_all.json", name: "c0-cv-show-all.json", check: func(t *testing.T, cs []RAIDController) {
			want(t, one(t, cs).Cache.BackupStatus, "Optimal")
		}},
		{tool: "storcli", file: "storcli/megaraid-dashboard_vall_show_all.json", name: "c0-vall-show-all.json", check: func(t *testing.T, cs []RAIDController) {
			v := one(t, cs).Volume("v0")
			want(t, v.OSDevice+" "+strconv.Itoa(len(v.Members)), "/dev/sda 8")
		}},
		{tool: "storcli", file: "storcli/pystorcli2_c0_e35_s12_show_pd_offline.json", name: "c0-e35-s12-show.json", check: func(t *testing.T, cs []RAIDController) {
			d := one(t, cs).Drive("35:12")
			want(t, d.State+" "+d.RawState+" "+d.Group, "down Offln 2")
		}},
		{tool: "storcli", file: "storcli/pystorcli2_c0_fall_show_foreign.json", name: "c0-fall-show.json", check: func(t *testing.T, cs []RAIDController) {
			want(t, strconv.Itoa(one(t, cs).Foreign), "1")
		}},
		{tool: "storcli", file: "storcli_text/mator-misc_c0_vall_show_dgrd.txt", name: "c0-vall-show.txt", check: func(t *testing.T, cs []RAIDController) {
			c := one(t, cs)
			want(t, c.Volume("v0").State+" "+c.Volume("v1").State+" "+c.Volume("v3").State, "degraded optimal degraded")
		}},
		{tool: "storcli2", file: "storcli2/raidmgmt_MR9660-16i_c0_show_all_ugood.json", name: "c0-show-all.json", check: func(t *testing.T, cs []RAIDController) {
			c := one(t, cs)
			want(t, c.Drive("320:11").State+" "+c.Cache.Backup+" "+c.Cache.BackupStatus+" "+strconv.Itoa(len(c.VDs)), "unconfigured energy_pack Optimal 23")
		}},
		{tool: "storcli2", file: "storcli2/raidmgmt_MR9660-16i_c0_vall_show_all.json", name: "c0-vall-show-all.json", check: func(t *testing.T, cs []RAIDController) {
			want(t, one(t, cs).Volume("v1").OSDevice, "/dev/sdb")
		}},
		{tool: "ssacli", file: "ssacli/proliantutils_HPSSA_ONE_DRIVE_config_detail.txt", name: "ctrl-all-show-config-detail.txt", check: func(t *testing.T, cs []RAIDController) {
			c := one(t, cs)
			v := c.Volume("ld1")
			want(t, c.ID+" "+c.Cache.Backup+" "+v.Level+" "+v.State+" "+v.OSDevice+" "+strings.Join(v.Members, ","), "slot2 capacitor RAID1 optimal /dev/sda 5I:1:1,5I:1:2")
			want(t, c.Drive("5I:1:3").Group, "") // unassigned
		}},
		{tool: "ssacli", file: "ssacli/proliantutils_HPSSA_HBA_MODE_config_detail.txt", name: "ctrl-all-show-config-detail.txt", check: func(t *testing.T, cs []RAIDController) {
			c := one(t, cs)
			want(t, c.Cache.Status+" "+strconv.FormatBool(c.Cache.Disabled)+" "+strconv.Itoa(len(c.VDs)), "Not Configured false 0")
		}},
		{tool: "ssacli", file: "ssacli/checkraid_issue98_array_failed_ld_show.txt", name: "ld-show.txt", check: func(t *testing.T, cs []RAIDController) {
			c := one(t, cs)
			want(t, c.Volume("ld1").State+" "+c.Volume("ld2").State+" "+c.Volume("ld2").RawState, "optimal degraded OK (array B Failed)")
		}},
		{tool: "ssacli", file: "ssacli/checkraid_hpacucli_interim_recovery_ld_show.txt", name: "ld-show.txt", check: func(t *testing.T, cs []RAIDController) {
			want(t, one(t, cs).Volume("ld1").State, "degraded")
		}},
		{tool: "ssacli", file: "ssacli/checkraid_PR193_cache_disabled_battery_recharging_ctrl_status.txt", name: "ctrl-status.txt", check: func(t *testing.T, cs []RAIDController) {
			c := one(t, cs)
			want(t, strconv.FormatBool(c.Cache.Disabled)+" "+strconv.FormatBool(c.Cache.BackupOK)+" "+c.Cache.BackupStatus, "true false Recharging")
		}},
		{tool: "arcconf", file: "arcconf/checkraid_issue47_degraded_rebuilding_getconfig.txt", name: "getconfig-1-al.txt", check: func(t *testing.T, cs []RAIDController) {
			c := one(t, cs)
			v := c.Volume("ld0")
			want(t, v.Level+" "+v.State+" "+strings.Join(v.Members, ",")+" "+c.Drive("0:3").State, "RAID10 degraded 0:0,0:1,0:2,0:3 rebuilding")
		}},
		{tool: "arcconf", file: "arcconf/checkraid_issue90_ld_offline_defunct_getconfig.txt", name: "getconfig-1-al.txt", check: func(t *testing.T, cs []RAIDController) {
			c := one(t, cs)
			want(t, c.Volume("ld0").State+" "+c.Drive("0:5").State+" "+c.Cache.Backup+" "+strings.Join(c.Volume("ld0").Members, ","), "offline failed  0:0,0:1,0:2,0:3,0:4,0:5")
		}},
		{tool: "arcconf", file: "arcconf/checkraid_issue105_battery_failed_getconfig.txt", name: "getconfig-1-al.txt", check: func(t *testing.T, cs []RAIDController) {
			c := one(t, cs)
			want(t, c.Cache.Backup+" "+c.Cache.BackupStatus+" "+strconv.FormatBool(c.Cache.BackupOK)+" "+c.Volume("ld0").State, "battery Failed false optimal")
		}},
		{tool: "megacli", file: "megacli/checkraid_3_ubad_pdlist.txt", name: "pdlist.txt", check: func(t *testing.T, cs []RAIDController) {
			bad := 0
			for _, d := range one(t, cs).Drives {
				if d.State == DriveUnconfBad {
					bad++
				}
			}
			want(t, strconv.Itoa(bad), "1")
		}},
		{tool: "megacli", file: "megacli/checkraid_3_ldinfo.txt", name: "ldinfo.txt", check: func(t *testing.T, cs []RAIDController) {
			v := one(t, cs).Volume("v0")
			want(t, v.Level+" "+v.State+" "+strconv.FormatBool(v.CacheWTFallback), "RAID5 optimal false")
		}},
		{tool: "megacli", file: "megacli/checkraid_3_bbu_faulty.txt", name: "bbu.txt", check: func(t *testing.T, cs []RAIDController) {
			want(t, one(t, cs).Cache.Backup, "bbu")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			cs, errs := parseToolOutputs(tc.tool, []toolOutput{{name: "hwraid/" + tc.tool + "/" + tc.name, data: corpusFile(t, tc.file)}})
			if tc.wantErr != nil {
				if len(errs) != 1 || !errors.Is(errs[0].Err, tc.wantErr) {
					t.Fatalf("errors %v, want one wrapping %v", errs, tc.wantErr)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			tc.check(t, cs)
		})
	}
}

func one(t *testing.T, cs []RAIDController) *RAIDController {
	t.Helper()
	if len(cs) != 1 {
		t.Fatalf("%d controllers, want 1: %+v", len(cs), cs)
	}
	return &cs[0]
}

func want(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestArcconfStatusRebuild: GETSTATUS's rebuild task marks the VD's
// progress, and an optimal VD with a rebuild running as rebuilding.
func TestArcconfStatusRebuild(t *testing.T) {
	cs, errs := parseToolOutputs("arcconf", []toolOutput{
		{name: "hwraid/arcconf/getconfig-1-al.txt", data: corpusFile(t, "arcconf/checkraid_issue47_degraded_rebuilding_getconfig.txt")},
		{name: "hwraid/arcconf/getstatus-1.txt", data: corpusFile(t, "arcconf/checkraid_issue47_degraded_rebuilding_getstatus.txt")},
	})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	v := one(t, cs).Volume("ld0")
	want(t, v.State+" "+strconv.Itoa(v.Progress), "degraded 1")
}

// TestHWRaidUnparsable: output that is no tool's is UNKNOWN with the
// output's name and the reason, for every family.
func TestHWRaidUnparsable(t *testing.T) {
	for _, tool := range []string{"storcli", "storcli2", "ssacli", "arcconf", "megacli"} {
		for _, data := range []string{"Segmentation fault\n", "{\"Controllers\": []}", "\x00\x01garbage"} {
			_, errs := parseToolOutputs(tool, []toolOutput{{name: "hwraid/" + tool + "/x.txt", data: []byte(data)}})
			if tool == "storcli" || tool == "storcli2" {
				_, errs2 := parseToolOutputs(tool, []toolOutput{{name: "hwraid/" + tool + "/x.json", data: []byte(data)}})
				errs = append(errs, errs2...)
			}
			if len(errs) == 0 {
				t.Errorf("%s: %q parsed without an error", tool, data)
				continue
			}
			if errs[0].Path == "" || errs[0].Collector != HWRaidCollector {
				t.Errorf("%s: error %+v does not name the output", tool, errs[0])
			}
		}
	}
}

// TestHWRaidTree reads a captured tree's T/hwraid/<tool>/ outputs and
// records them again for a capture of the tree.
func TestHWRaidTree(t *testing.T) {
	root := t.TempDir()
	put := func(rel string, data []byte) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	put("hwraid/storcli/call-show-all.json", corpusFile(t, "storcli/promcomm_cALL_show_all_optimal.json"))
	put("hwraid/storcli/call-eall-sall-show-all.json", corpusFile(t, "storcli/promcomm_cALL_eALL_sALL_show_all_optimal.json"))
	put("sys/.keep", nil)
	rec := hostfs.StartRecording()
	defer rec.Stop()
	h, errs := readHWRaidTree(TreeRoots(root))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if h == nil || len(h.Controllers) != 1 {
		t.Fatalf("got %+v, want one controller", h)
	}
	c := h.Controllers[0]
	if d := c.Drive("252:0"); d == nil || d.Serial != "20032656D641" || d.State != DriveOnline {
		t.Errorf("drive 252:0 %+v: the two outputs were not merged", d)
	}
	if v := c.Volume("v0"); v == nil || len(v.Members) != 4 {
		t.Errorf("VD v0 %+v", v)
	}
	var names []string
	for _, o := range rec.Outputs() {
		names = append(names, o.Name)
	}
	want(t, strings.Join(names, " "), "hwraid/storcli/call-eall-sall-show-all.json hwraid/storcli/call-show-all.json")
}

// fakeTool writes a stand-in executable, a FAKE of a vendor RAID tool (no
// controller can run here): a shell script that prints, per first
// argument, the captured output named in cases and exits with the given
// code; an argument it does not know hangs (exec sleep), so a timeout can
// be tested. Every run appends a line to the returned counter file.
func fakeTool(t *testing.T, name string, cases map[string]fakeCase) (prog, counter string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "fake")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	counter = filepath.Join(dir, "runs")
	var b strings.Builder
	b.WriteString("#!/bin/sh\necho run >> '" + counter + "'\ncase \"$1\" in\n")
	i := 0
	for arg, c := range cases {
		out := filepath.Join(dir, "out"+strconv.Itoa(i))
		i++
		if err := os.WriteFile(out, c.out, 0o644); err != nil {
			t.Fatal(err)
		}
		if c.hang {
			b.WriteString("'" + arg + "') exec sleep 30 ;;\n")
			continue
		}
		b.WriteString("'" + arg + "') cat '" + out + "'; exit " + strconv.Itoa(c.exit) + " ;;\n")
	}
	b.WriteString("*) echo \"unknown command $*\" >&2; exit 1 ;;\nesac\n")
	prog = filepath.Join(dir, name)
	if err := os.WriteFile(prog, []byte(b.String()), 0o755); err != nil {
		t.Fatal(err)
	}
	return prog, counter
}

type fakeCase struct {
	out  []byte
	exit int
	hang bool
}

func runs(t *testing.T, counter string) int {
	t.Helper()
	b, err := os.ReadFile(counter)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "run")
}

// TestHWRaidExecFakeStorcli runs the stand-in storcli64 (a fake: prints the
// captured healthy outputs, exits 0 as storcli does on success) through the
// runner: the controller is read, both outputs are recorded under the
// capture names, and a second Read within the interval runs nothing.
func TestHWRaidExecFakeStorcli(t *testing.T) {
	prog, counter := fakeTool(t, "storcli64", map[string]fakeCase{
		"/call":           {out: corpusFile(t, "storcli/promcomm_cALL_show_all_optimal.json")},
		"/call/eall/sall": {out: corpusFile(t, "storcli/promcomm_cALL_eALL_sALL_show_all_optimal.json")},
	})
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	rn := &HWRaidRunner{Clock: clk}
	rn.Configure(HWRaidOptions{Paths: onlyTool("storcli", prog), Timeout: 20 * time.Second})
	rec := hostfs.StartRecording()
	defer rec.Stop()
	h, errs := rn.Read(context.Background())
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if h == nil || len(h.Controllers) != 1 || h.Controllers[0].Drive("252:1").Serial != "20032656D63C" {
		t.Fatalf("got %+v", h)
	}
	var names []string
	for _, o := range rec.Outputs() {
		names = append(names, o.Name)
	}
	want(t, strings.Join(names, " "), "hwraid/storcli/call-eall-sall-show-all.json hwraid/storcli/call-show-all.json")
	if n := runs(t, counter); n != 2 {
		t.Fatalf("%d runs, want 2 (one per command)", n)
	}
	rn.Read(context.Background())
	clk.Add(DefaultHWRaidInterval - time.Second)
	rn.Read(context.Background())
	if n := runs(t, counter); n != 2 {
		t.Errorf("%d runs after two more reads within the interval, want still 2 (cached)", n)
	}
	clk.Add(2 * time.Second)
	rn.Read(context.Background())
	if n := runs(t, counter); n != 4 {
		t.Errorf("%d runs after the interval, want 4", n)
	}
}

// onlyTool configures prog for family and turns the other families off, so
// that a tool installed on the test machine is never run.
func onlyTool(family, prog string) map[string]string {
	m := map[string]string{}
	for _, f := range HWRaidFamilies() {
		m[f] = "none"
	}
	m[family] = prog
	return m
}

// TestHWRaidExecFailures: a tool that hangs is cut off after the timeout,
// one that prints garbage or finds no controller is UNKNOWN with the
// reason; never a silent OK.
func TestHWRaidExecFailures(t *testing.T) {
	tests := []struct {
		name string
		fam  string
		prog string
		c    map[string]fakeCase
		want string
	}{
		{name: "hang", fam: "ssacli", prog: "ssacli", c: map[string]fakeCase{"ctrl": {hang: true}}, want: "timed out after"},
		{name: "garbage", fam: "storcli", prog: "storcli64", c: map[string]fakeCase{
			"/call": {out: []byte("Segmentation fault\n")}, "/call/eall/sall": {out: []byte("Segmentation fault\n")}}, want: "storcli json: invalid character"},
		{name: "no controller", fam: "storcli", prog: "perccli64", c: map[string]fakeCase{
			"/call":           {out: corpusFile(t, "perccli/canonical_no_controller.json")},
			"/call/eall/sall": {out: corpusFile(t, "perccli/canonical_no_controller.json")}}, want: "No Controller found"},
		{name: "exit status without output", fam: "arcconf", prog: "arcconf", c: map[string]fakeCase{"GETCONFIG": {exit: 2}, "GETSTATUS": {exit: 2}}, want: "exit status 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prog, _ := fakeTool(t, tc.prog, tc.c)
			rn := &HWRaidRunner{Clock: clock.NewFake(time.Unix(1_700_000_000, 0))}
			// Only the hanging tool needs a short timeout: the others get a
			// long one, so a loaded machine cannot turn their error into a
			// timeout.
			timeout := 30 * time.Second
			if tc.name == "hang" {
				timeout = 300 * time.Millisecond
			}
			rn.Configure(HWRaidOptions{Paths: onlyTool(tc.fam, prog), Timeout: timeout})
			_, errs := rn.Read(context.Background())
			if len(errs) == 0 {
				t.Fatal("no error")
			}
			if !strings.Contains(errs[0].Error(), tc.want) || !strings.Contains(errs[0].Path, prog) {
				t.Errorf("error %q (path %q), want it to say %q and name %s", errs[0].Error(), errs[0].Path, tc.want, prog)
			}
		})
	}
}

// TestHWRaidAbsentTool: no tool found is absent hardware: nothing, no error.
func TestHWRaidAbsentTool(t *testing.T) {
	m := map[string]string{}
	for _, f := range HWRaidFamilies() {
		m[f] = "none"
	}
	h, errs := runRaidTools(context.Background(), HWRaidOptions{Paths: m, Timeout: time.Second}, raidTools)
	if h != nil || len(errs) > 0 {
		t.Errorf("got %+v, %v; want nothing", h, errs)
	}
	if p := findTool(raidTool{family: "x", programs: []string{"redwatch-no-such-tool"}, paths: []string{"/nonexistent/tool"}}, ""); p != "" {
		t.Errorf("found %q", p)
	}
}

// TestHWRaidBackground: with the daemon's schedule running, a pass reads
// the last read and never runs a tool itself; the schedule runs again
// after the interval.
func TestHWRaidBackground(t *testing.T) {
	prog, counter := fakeTool(t, "ssacli", map[string]fakeCase{
		"ctrl": {out: corpusFile(t, "ssacli/proliantutils_HPSSA_ONE_DRIVE_config_detail.txt")}})
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	rn := &HWRaidRunner{Clock: clk}
	rn.Configure(HWRaidOptions{Paths: onlyTool("ssacli", prog), Interval: time.Minute, Timeout: 20 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rn.Background(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	h, errs := rn.Read(ctx) // waits for the first background read
	if len(errs) > 0 || h == nil || len(h.Controllers) != 1 {
		t.Fatalf("got %+v, %v", h, errs)
	}
	for range 5 {
		rn.Read(ctx)
	}
	if n := runs(t, counter); n != 1 {
		t.Errorf("%d runs after six reads, want 1: a pass must not run the tool", n)
	}
}

// TestReadKernelRAID reads the drivers' sysfs attributes from the fixture
// trees laid out as the kernel lays them out.
func TestReadKernelRAID(t *testing.T) {
	tests := []struct {
		tree string
		want string
	}{
		{"hwraid_kernel_mpt3sas_degraded", "raid_class 0:1:0:0 state=degraded bad=true raid1"},
		{"hwraid_kernel_megaraid_fw_crash", "megaraid_sas host0 fw_crash_state=1 bad=true "},
		{"hwraid_kernel_hpsa_lockup", "hpsa host2 lockup_detected=ld=0 bad=false "},
	}
	for _, tc := range tests {
		t.Run(tc.tree, func(t *testing.T) {
			ks, errs := readKernelRAID(TreeRoots(filepath.Join("testdata", tc.tree)))
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if len(ks) != 1 {
				t.Fatalf("got %+v", ks)
			}
			k := ks[0]
			want(t, k.Driver+" "+k.Name+" "+k.Attr+"="+k.Value+" bad="+strconv.FormatBool(k.Bad)+" "+k.Level, tc.want)
		})
	}
}

func FuzzParseStorcli(f *testing.F) {
	f.Add([]byte(`{"Controllers":[{"Command Status":{"Controller":0,"Status":"Success"},"Response Data":{"VD LIST":[{"DG/VD":"0/0","TYPE":"RAID1","State":"Dgrd"}],"TOPOLOGY":[{"DG":0,"EID:Slot":"-","Type":"DRIVE","State":"Msng"}]}}]}`))
	f.Add([]byte(`{"Controllers":[{"Command Status":{"Status":"Failure","Description":"No Controller found"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := parseStorcli(data)
		if err == nil {
			for _, c := range out.Controllers {
				_ = c.Name()
			}
		}
	})
}

func FuzzParseStorcliText(f *testing.F) {
	f.Add([]byte("Controller = 0\nStatus = Success\n0/0   RAID1 Dgrd  RW     Yes     NRWBC -   ON  557.861 GB\n"))
	f.Fuzz(func(t *testing.T, data []byte) { _, _ = parseStorcliText(data) })
}

func FuzzParseSsacli(f *testing.F) {
	f.Add([]byte("Smart Array P410 in Slot 1\n   Controller Status: OK\n   array B (Failed)\n      logicaldrive 2 (2.2 TB, RAID 5, OK)\n      physicaldrive 1I:1:1 (port 1I:box 1:bay 1, SAS, 300 GB, Failed)\n"))
	f.Add([]byte("Smart Array P822 in Slot 2\n   Array: A\n      Status: Failed\n      Logical Drive: 1\n         Status: OK\n      physicaldrive 5I:1:1\n         Status: OK\n"))
	f.Fuzz(func(t *testing.T, data []byte) { _, _ = parseSsacli(data) })
}

func FuzzParseArcconfConfig(f *testing.F) {
	f.Add([]byte("Controllers found: 1\nController information\n   Controller Status : Optimal\nLogical device number 0\n   RAID level : 1\n   Status of logical device : Degraded\n   Segment 0 : Present (0,0)\n   Group 0, Segment 1 : Rebuilding (Controller:1,Enclosure:0,Slot:3) X\nPhysical Device information\n      Device #0\n         Device is a Hard drive\n         State : Online\n         Reported Channel,Device : 0,0\n         Reported Location : Enclosure 0, Slot 0\nCommand completed successfully.\n"))
	f.Fuzz(func(t *testing.T, data []byte) { _, _ = parseArcconfConfig(data, 1) })
}

func FuzzParseArcconfStatus(f *testing.F) {
	f.Add([]byte("Controllers found: 1\nLogical device Task:\n   Logical device : 0\n   Current operation : Rebuild\n   Percentage complete : 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) { _, _ = parseArcconfStatus(data) })
}

func FuzzParseMegacli(f *testing.F) {
	f.Add([]byte("Adapter #0\nEnclosure Device ID: 15\nSlot Number: 1\nFirmware state: Unconfigured(bad)\nVirtual Drive: 0 (Target Id: 0)\nRAID Level : Primary-1, Secondary-0, RAID Level Qualifier-0\nState : Degraded\nBBU status for Adapter: 0\nBattery Replacement required : Yes\nExit Code: 0x00\n"))
	f.Fuzz(func(t *testing.T, data []byte) { _, _ = parseMegacli(data) })
}

func FuzzParseHostFault(f *testing.F) {
	f.Add([]byte("ld=0\n"))
	f.Add([]byte("1\n"))
	f.Fuzz(func(t *testing.T, data []byte) { _, _, _ = parseHostFault(data) })
}

// TestHWRaidNeverConcurrent: passes that ask at the same time share one
// run; the stand-in tool (a fake ssacli) notes any overlap of its runs.
func TestHWRaidNeverConcurrent(t *testing.T) {
	prog, counter := fakeTool(t, "ssacli", map[string]fakeCase{
		"ctrl": {out: corpusFile(t, "ssacli/proliantutils_HPSSA_ONE_DRIVE_config_detail.txt")}})
	// Wrap the fake: a lock directory held for the run marks an overlap.
	lock, overlap := prog+".lock", prog+".overlap"
	wrapped := prog + "-wrapped"
	script := "#!/bin/sh\nmkdir '" + lock + "' 2>/dev/null || echo overlap >> '" + overlap + "'\n'" + prog + "' \"$@\"\nrc=$?\nrmdir '" + lock + "' 2>/dev/null\nexit $rc\n"
	if err := os.WriteFile(wrapped, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "x")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "ssacli")
	if err := os.Symlink(wrapped, link); err != nil {
		t.Fatal(err)
	}
	rn := &HWRaidRunner{Clock: clock.NewFake(time.Unix(1_700_000_000, 0))}
	rn.Configure(HWRaidOptions{Paths: onlyTool("ssacli", link), Timeout: 20 * time.Second})
	done := make(chan []Error, 8)
	for range 8 {
		go func() { _, errs := rn.Read(context.Background()); done <- errs }()
	}
	for range 8 {
		if errs := <-done; len(errs) > 0 {
			t.Fatal(errs)
		}
	}
	if _, err := os.Stat(overlap); err == nil {
		t.Error("two runs of the tool overlapped")
	}
	if n := runs(t, counter); n < 1 || n > 2 {
		t.Errorf("%d runs for 8 concurrent reads, want 1 (2 at most if one read came after the first run)", n)
	}
}

// BenchmarkParseStorcli2 parses the largest real output of the corpus
// (storcli2 `/c0 show all J`, 24 VDs, 26 drives, 47 KB).
func BenchmarkParseStorcli2(b *testing.B) {
	data := corpusFile(b, "storcli2/raidmgmt_MR9660-16i_c0_show_all.json")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, errs := parseToolOutputs("storcli2", []toolOutput{{name: "hwraid/storcli2/c0-show-all.json", data: data}}); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}

// BenchmarkParseSsacli parses a real `ctrl all show config detail` (7 KB).
func BenchmarkParseSsacli(b *testing.B) {
	data := corpusFile(b, "ssacli/proliantutils_HPSSA_ONE_DRIVE_config_detail.txt")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parseSsacli(data); err != nil {
			b.Fatal(err)
		}
	}
}
