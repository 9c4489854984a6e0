package collectors

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseSmartctl(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		check      func(r SmartReport) bool
		unreadable string // a substring of Unreadable(); "" means readable
	}{
		{name: "ata passed with attributes",
			in: `{"smartctl":{"exit_status":0},"device":{"name":"/dev/sda","type":"sat","protocol":"ATA"},
			"model_name":"ST16000NM001G","serial_number":"ZL2","user_capacity":{"bytes":16000900661248},
			"smart_status":{"passed":true},"temperature":{"current":31},
			"ata_smart_attributes":{"table":[{"id":5,"raw":{"value":8}},{"id":197,"raw":{"value":2}},{"id":198,"raw":{"value":1}},{"id":9,"raw":{"value":500}}]},
			"ata_smart_self_test_log":{"standard":{"table":[{"status":{"passed":false}},{"status":{"passed":true}}]}}}`,
			check: func(r SmartReport) bool {
				return r.Device == "/dev/sda" && r.Type == "sat" && r.Protocol == "ATA" && r.Model == "ST16000NM001G" &&
					r.Serial == "ZL2" && r.CapacityBytes == 16000900661248 && *r.Passed && r.TemperatureC == 31 &&
					r.Reallocated == 8 && r.Pending == 2 && r.OfflineUncorrectable == 1 && r.SelfTestFailed &&
					r.CriticalWarning == Unknown && r.GrownDefects == Unknown
			}},
		{name: "nvme health log",
			in: `{"smartctl":{"exit_status":0},"device":{"name":"/dev/nvme0","type":"nvme","protocol":"NVMe"},"model_name":"X",
			"nvme_total_capacity":1024,"smart_status":{"passed":false},
			"nvme_smart_health_information_log":{"critical_warning":9,"available_spare":4,"available_spare_threshold":10,"percentage_used":97,"media_errors":3},
			"nvme_self_test_log":{"table":[{"self_test_result":{"value":7}}]}}`,
			check: func(r SmartReport) bool {
				return !*r.Passed && r.CriticalWarning == 9 && r.AvailableSpare == 4 && r.AvailableSpareThreshold == 10 &&
					r.PercentageUsed == 97 && r.MediaErrors == 3 && r.CapacityBytes == 1024 && r.SelfTestFailed &&
					r.Reallocated == Unknown
			}},
		{name: "scsi grown defects without a smartctl object",
			in: `{"device":{"name":"/dev/sdc","type":"scsi","protocol":"SCSI"},"scsi_vendor":"SEAGATE","scsi_product":"ST4000NM0043",
			"smart_status":{"passed":true},"scsi_grown_defect_list":56}`,
			check: func(r SmartReport) bool {
				return r.Model == "SEAGATE ST4000NM0043" && r.GrownDefects == 56 && r.ExitStatus == 0
			}},
		{name: "open failed is unreadable, never OK",
			in:         `{"smartctl":{"exit_status":2,"messages":[{"string":"Open failed, Error=5","severity":"error"}]},"smart_status":{"passed":true}}`,
			check:      func(r SmartReport) bool { return r.ExitStatus == 2 },
			unreadable: "device open failed or device in low-power mode: Open failed, Error=5"},
		{name: "command line error is unreadable",
			in: `{"smartctl":{"exit_status":1}}`, check: func(r SmartReport) bool { return true },
			unreadable: "command line did not parse"},
		{name: "no health data at all is unreadable",
			in: `{"smartctl":{"exit_status":4},"device":{"name":"/dev/sdb"}}`, check: func(r SmartReport) bool { return r.Passed == nil },
			unreadable: "no SMART health in the output"},
		{name: "a device without SMART is no error and no health",
			in:    `{"smartctl":{"exit_status":4},"device":{"name":"/dev/sdb"},"smart_support":{"available":false}}`,
			check: func(r SmartReport) bool { return r.NoSmart && r.Passed == nil }},
		{name: "bit 2 alone with health data stays readable",
			in: `{"smartctl":{"exit_status":4},"smart_status":{"passed":true}}`, check: func(r SmartReport) bool { return *r.Passed }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := parseSmartctl([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(r) {
				t.Errorf("facts wrong: %+v", r)
			}
			got := r.Unreadable()
			if tt.unreadable == "" && got != "" || !strings.Contains(got, tt.unreadable) {
				t.Errorf("Unreadable() = %q, want it to hold %q", got, tt.unreadable)
			}
		})
	}
	for _, bad := range []string{"", "[]", "{", `{"smartctl":{"exit_status":"x"}}`} {
		if _, err := parseSmartctl([]byte(bad)); err == nil {
			t.Errorf("parseSmartctl(%q): no error", bad)
		}
	}
}

func TestSmartWords(t *testing.T) {
	if got, want := NVMeCriticalWarningWords(0x39), []string{"available spare below threshold", "media placed in read-only mode",
		"volatile memory backup device failed", "persistent memory region read-only or unreliable"}; !slices.Equal(got, want) {
		t.Errorf("NVMeCriticalWarningWords(0x39) = %q", got)
	}
	if got := NVMeCriticalWarningWords(0x86); !slices.Equal(got, []string{"temperature above or below threshold",
		"reliability degraded by media or internal errors", "reserved bit 7"}) {
		t.Errorf("NVMeCriticalWarningWords(0x86) = %q", got)
	}
	if got := SmartExitWords(0xc8); !slices.Equal(got, []string{"SMART status says DISK FAILING",
		"error log has records of errors", "self-test log has records of errors"}) {
		t.Errorf("SmartExitWords(0xc8) = %q", got)
	}
}

// TestCollectSmart reads a captured tree's smartctl directory: a readable
// disk is a Disk, one smartctl could not read is an Error naming its file.
func TestCollectSmart(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "smartctl")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"sdb.json":   `{"smartctl":{"exit_status":2,"messages":[{"string":"Open failed"}]}}`,
		"sda.json":   `{"smart_status":{"passed":true},"serial_number":"S1"}`,
		"sdc.json":   `not json`,
		"README.txt": `ignored`,
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	disks, errs, _ := collectSmart(TreeRoots(root))
	if len(disks) != 1 || disks[0].Name != "sda" || disks[0].Smart.Serial != "S1" {
		t.Errorf("disks = %+v", disks)
	}
	if len(errs) != 2 || errs[0].Path != filepath.Join(dir, "sdb.json") || !strings.Contains(errs[0].Error(), "Open failed") ||
		errs[1].Path != filepath.Join(dir, "sdc.json") {
		t.Errorf("errors = %v", errs)
	}
	if d, e, _ := collectSmart(HostRoots()); d != nil || e != nil {
		t.Errorf("live host: smartctl is not run yet, got %v %v", d, e)
	}
}

func FuzzParseSmartctl(f *testing.F) {
	f.Add([]byte(`{"smartctl":{"exit_status":4},"smart_status":{"passed":true},"nvme_smart_health_information_log":{"critical_warning":255}}`))
	f.Add([]byte(`{"ata_smart_attributes":{"table":[{"id":5,"raw":{"value":1}}]},"ata_smart_self_test_log":{"standard":{"table":[{}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseSmartctl(data)
		if err != nil {
			return
		}
		_ = r.Unreadable()
		_ = NVMeCriticalWarningWords(r.CriticalWarning)
		_ = SmartExitWords(r.ExitStatus)
	})
}

// BenchmarkCollectSmart128 measures reading and parsing 128 captured
// smartctl outputs (a 128-disk host's warm cache, as files).
func BenchmarkCollectSmart128(b *testing.B) {
	root := b.TempDir()
	dir := filepath.Join(root, "smartctl")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("..", "testdata", "disk_smart_realloc", "smartctl", "sda.json"))
	if err != nil {
		b.Fatal(err)
	}
	for i := range 128 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("sd%03d.json", i)), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	r := TreeRoots(root)
	b.ResetTimer()
	for range b.N {
		if disks, errs, _ := collectSmart(r); len(disks) != 128 || errs != nil {
			b.Fatalf("%d disks, errors %v", len(disks), errs)
		}
	}
}
