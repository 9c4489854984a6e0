package collectors

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redwatch/redwatch/internal/testtree"
)

func i64(n int64) *int64 { return &n }

func TestHwmonPSUState(t *testing.T) {
	vin := func(mv int64, alarms ...string) HwmonChannel {
		return HwmonChannel{Channel: "in1", Label: "vin", Input: i64(mv), Alarms: alarms}
	}
	tests := []struct {
		name   string
		chans  []HwmonChannel
		state  string
		reason string
	}{
		{"healthy", []HwmonChannel{vin(230000), {Channel: "fan1", Input: i64(8000)}}, PSUStateOK, ""},
		{"no channel at all", nil, PSUStateOK, ""},
		{"phantom fan: -1 rpm with alarm and fault (dps920ab)", []HwmonChannel{vin(245250),
			{Channel: "fan2", Input: i64(-1), Alarms: []string{"alarm"}, Fault: true}}, PSUStateOK, ""},
		{"a real fan's fault", []HwmonChannel{vin(230000), {Channel: "fan1", Input: i64(0), Fault: true}},
			PSUStateFailed, "fan1 fault"},
		{"a critical alarm is a failure", []HwmonChannel{vin(230000),
			{Channel: "curr2", Label: "iout1", Input: i64(90000), Alarms: []string{"crit_alarm"}}},
			PSUStateFailed, "iout1 crit alarm"},
		{"a warning alarm predicts a failure", []HwmonChannel{vin(230000),
			{Channel: "temp1", Input: i64(70000), Alarms: []string{"max_alarm"}}},
			PSUStatePredictiveFailure, "temp1 max alarm"},
		{"vin 0 V: input lost", []HwmonChannel{vin(0, "lcrit_alarm")}, PSUStateInputLost,
			"input lost: input voltage 0.0 V, vin lcrit alarm"},
		{"vin under-voltage alarm alone: input lost", []HwmonChannel{vin(180000, "min_alarm")}, PSUStateInputLost,
			"input lost: vin min alarm"},
		{"no vin, pin and iin 0: input lost", []HwmonChannel{
			{Channel: "power1", Label: "pin", Input: i64(0)}, {Channel: "curr1", Label: "iin", Input: i64(0)}},
			PSUStateInputLost, "input lost: input power and current 0"},
		{"pin 0 with vin present is a standby supply, not input lost", []HwmonChannel{vin(230000),
			{Channel: "power1", Label: "pin", Input: i64(0)}, {Channel: "curr1", Label: "iin", Input: i64(0)}}, PSUStateOK, ""},
		{"input lost wins and keeps the other reasons", []HwmonChannel{vin(0), {Channel: "fan1", Input: i64(0), Fault: true}},
			PSUStateInputLost, "input lost: input voltage 0.0 V, fan1 fault"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, why := HwmonPSUState(tt.chans)
			if st != tt.state || why != tt.reason {
				t.Errorf("got %q %q, want %q %q", st, why, tt.state, tt.reason)
			}
		})
	}
}

func TestHwmonAttr(t *testing.T) {
	tests := map[string][2]string{
		"in1_crit_alarm":  {"in1", "crit_alarm"},
		"curr2_label":     {"curr2", "label"},
		"power1_input":    {"power1", "input"},
		"fan3_fault":      {"fan3", "fault"},
		"name":            {},
		"uevent":          {},
		"in_input":        {},
		"pwm1_enable":     {},
		"temp12_":         {},
		"update_interval": {},
	}
	for file, want := range tests {
		ch, attr, ok := hwmonAttr(file)
		if ok != (want[0] != "") || ch != want[0] || attr != want[1] {
			t.Errorf("hwmonAttr(%q) = %q %q %v, want %q %q", file, ch, attr, ok, want[0], want[1])
		}
	}
}

func FuzzHwmonAttr(f *testing.F) {
	for _, s := range []string{"in1_crit_alarm", "fan2_fault", "name", "temp1_input", "_", "1_a"} {
		f.Add(s, []byte("245250\n"))
	}
	f.Fuzz(func(t *testing.T, file string, value []byte) {
		if ch, attr, ok := hwmonAttr(file); ok && (ch == "" || attr == "" || !strings.HasPrefix(file, ch+"_")) {
			t.Fatalf("hwmonAttr(%q) = %q %q", file, ch, attr)
		}
		n, err := parseHwmonValue(value)
		c := HwmonChannel{Channel: "in1", Label: "vin", Alarms: []string{"crit_alarm"}}
		if err == nil {
			c.Input = &n
		}
		if st, _ := HwmonPSUState([]HwmonChannel{c}); st == PSUStateOK {
			t.Fatalf("a crit alarm judged ok")
		}
	})
}

// TestHwmonFixtures reads the PMBus fixture trees: two Delta supplies on
// I2C bus 5 and a CPU temperature sensor whose alarm is no supply's.
func TestHwmonFixtures(t *testing.T) {
	tests := map[string][]string{ // "name state reason" per supply
		"psu_hwmon_healthy": {"dps800@5-0058 ok ", "dps800@5-0059 ok "},
		"psu_hwmon_alarm":   {"dps800@5-0058 ok ", "dps800@5-0059 predictive_failure temp1 max alarm"},
		"psu_hwmon_fault":   {"dps800@5-0058 ok ", "dps800@5-0059 failed fan1 fault, fan1 alarm"},
		"psu_hwmon_one_gone": {"dps800@5-0058 ok ",
			"dps800@5-0059 input_lost input lost: input voltage 0.0 V, vin lcrit alarm, vin min alarm"},
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			psus, errs := collectHwmonPSUs(context.Background(), TreeRoots(filepath.Join("..", "testdata", name)), time.Second)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			var got []string
			for _, p := range psus {
				if p.Source != PSUSourceHwmon || !p.IsMains() || p.Present != 1 {
					t.Errorf("supply %+v: want a present Mains supply of source hwmon", p)
				}
				if online := p.State != PSUStateInputLost; online != (p.Online == 1) {
					t.Errorf("supply %s: state %s, online %d", p.Name, p.State, p.Online)
				}
				got = append(got, p.Name+" "+p.State+" "+p.Reason)
				// Bays by the CRPS convention: 0x58 is bay 1, 0x59 bay 2.
				if want := map[string]string{"dps800@5-0058": "1", "dps800@5-0059": "2"}[p.Name]; p.Slot != want {
					t.Errorf("supply %s: slot %q, want %q", p.Name, p.Slot, want)
				}
			}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("supplies\n got %q\nwant %q", got, want)
			}
		})
	}
}

// TestHwmonSlots: the bay of an hwmon supply, so that the supply the BMC
// also reports is one member: the firmware's label when it names a bay,
// else the CRPS PMBus address when every unlabelled supply has its own in
// 0x58-0x5f, else none; never one bay for two supplies.
func TestHwmonSlots(t *testing.T) {
	tests := []struct {
		name         string
		labels, devs []string
		want         []string
	}{
		{"crps addresses", []string{"", ""}, []string{"5-0058", "5-0059"}, []string{"1", "2"}},
		{"crps, third bay", []string{"", "", ""}, []string{"7-005a", "7-0058", "7-0059"}, []string{"3", "1", "2"}},
		{"labels win", []string{"PSU2", "psu 1"}, []string{"5-0058", "5-0059"}, []string{"2", "1"}},
		{"one label, the other by address", []string{"Power Supply 2", ""}, []string{"5-0059", "5-0058"}, []string{"2", "1"}},
		{"one address on two buses (a mux channel each) says nothing", []string{"", ""}, []string{"10-0058", "11-0058"}, []string{"", ""}},
		{"labels still name them on two buses", []string{"PSU1", "PSU2"}, []string{"10-0058", "11-0058"}, []string{"1", "2"}},
		{"outside the CRPS range", []string{"", ""}, []string{"5-0010", "5-0011"}, []string{"", ""}},
		{"one supply not on I2C", []string{"", ""}, []string{"5-0058", "platform-psu"}, []string{"", ""}},
		{"a label that names no bay", []string{"left", "right"}, []string{"", ""}, []string{"", ""}},
		{"a bay two supplies would share goes to neither", []string{"PSU1", ""}, []string{"5-0059", "5-0058"}, []string{"", ""}},
		{"no supply", nil, nil, []string{}},
	}
	for _, tt := range tests {
		if got := HwmonSlots(tt.labels, tt.devs); !slices.Equal(got, tt.want) {
			t.Errorf("%s: slots %q, want %q", tt.name, got, tt.want)
		}
	}
	// Read from a tree: the firmware labels (swapped against the addresses)
	// win over the CRPS convention.
	root := testtree.Copy(t, "psu_hwmon_healthy")
	for hw, label := range map[string]string{"hwmon0": "PSU2\n", "hwmon1": "PSU1\n"} {
		if err := os.WriteFile(filepath.Join(root, "sys", "class", "hwmon", hw, "label"), []byte(label), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	psus, errs := collectHwmonPSUs(context.Background(), TreeRoots(root), time.Second)
	if len(errs) > 0 || len(psus) != 2 || psus[0].Slot != "2" || psus[1].Slot != "1" {
		t.Errorf("labelled supplies %+v, errors %v: want bays 2 and 1", psus, errs)
	}
	for dev, want := range map[string]int{"5-0058": 0x58, "0-007f": 0x7f, "12-0050": 0x50, "5-0080": -1, "x-0058": -1, "5-58": -1, "-0058": -1, "hwmon3": -1} {
		if a, ok := i2cAddress(dev); ok != (want >= 0) || ok && a != want {
			t.Errorf("i2cAddress(%q) = %#x %v, want %#x", dev, a, ok, want)
		}
	}
}

// TestHwmonReadTimeout: an attribute whose read blocks (a FIFO without a
// writer blocks in open, as a PMBus read on a hung I2C bus blocks) is cut
// off after the per-read timeout; the supply is unknown and the error names
// the file.
func TestHwmonReadTimeout(t *testing.T) {
	root := t.TempDir()
	dev := filepath.Join(root, "sys", "devices", "i2c-5", "5-0058", "hwmon", "hwmon0")
	if err := os.MkdirAll(dev, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "sys", "class", "hwmon"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../devices/i2c-5/5-0058/hwmon/hwmon0", filepath.Join(root, "sys", "class", "hwmon", "hwmon0")); err != nil {
		t.Fatal(err)
	}
	for f, v := range map[string]string{"name": "pmbus\n", "in1_label": "vin\n", "in1_input": "230000\n"} {
		if err := os.WriteFile(filepath.Join(dev, f), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fifo := filepath.Join(dev, "in1_crit_alarm")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	t.Cleanup(func() { // unblock the abandoned open
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
	})
	psus, errs := collectHwmonPSUs(context.Background(), TreeRoots(root), 20*time.Millisecond)
	if len(psus) != 1 || psus[0].State != PSUStateUnknown || psus[0].Online != Unknown {
		t.Fatalf("supplies %+v, want one of unknown state", psus)
	}
	if len(errs) != 1 || !errors.Is(errs[0], context.DeadlineExceeded) || !strings.HasSuffix(errs[0].Path, "in1_crit_alarm") {
		t.Fatalf("errors %v, want one timeout on in1_crit_alarm", errs)
	}
}

// BenchmarkHwmonCollect reads the two PMBus supplies (and skips the CPU
// sensor) of the psu_hwmon_healthy fixture.
func BenchmarkHwmonCollect(b *testing.B) {
	r := TreeRoots(filepath.Join("..", "testdata", "psu_hwmon_healthy"))
	for b.Loop() {
		if psus, errs := collectHwmonPSUs(context.Background(), r, time.Second); len(psus) != 2 || len(errs) > 0 {
			b.Fatal(psus, errs)
		}
	}
}

// FuzzHwmonSlots: any labels and I2C device names give one slot per supply,
// a number or "", never one bay for two supplies.
func FuzzHwmonSlots(f *testing.F) {
	f.Add("PSU1", "5-0058", "", "5-0059")
	f.Add("", "10-0058", "", "11-0058")
	f.Fuzz(func(t *testing.T, l1, d1, l2, d2 string) {
		slots := HwmonSlots([]string{l1, l2}, []string{d1, d2})
		if len(slots) != 2 || slots[0] != "" && slots[0] == slots[1] {
			t.Fatalf("slots %q", slots)
		}
		for _, s := range slots {
			if strings.Trim(s, "0123456789") != "" {
				t.Fatalf("slot %q is not a number", s)
			}
		}
	})
}
