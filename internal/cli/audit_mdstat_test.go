package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditMDStatNeverOK runs the audit on /proc/mdstat inputs that once read
// as OK (issue 9 item 4): each is UNKNOWN or worse, with an error that names
// the array or the line, never "ok".
func TestAuditMDStatNeverOK(t *testing.T) {
	const pers = "Personalities : [raid1] [raid6] [raid5] [raid4] [raid10] \n"
	tests := []struct {
		name, mdstat, status, errHas string
	}{
		{"cut off after the array line (head -c 100)", pers + "md0 : active raid1 sda1[0]\n      976630464", "unknown", "md0"},
		{"cut off before the status line", pers + "md0 : active raid1 sda1[0]\n", "unknown", "md0"},
		{"zero slots", pers + "md0 : active raid1\n      1000 blocks [0/0] []\n\nunused devices: <none>\n", "unknown", "md0"},
		{"no space before the colon", pers + "md0: active raid1 sda1[0] sdb1[1]\n      1000 blocks [2/1] [U_]\n", "unknown", "line 2"},
		{"tab before the colon", pers + "md0\t: active raid1 sda1[0] sdb1[1]\n      1000 blocks [2/1] [U_]\n", "unknown", "line 2"},
		{"upper-case name", pers + "MD0 : active raid1 sda1[0] sdb1[1]\n      1000 blocks [2/1] [U_]\n", "unknown", "line 2"},
		{"control character in the name", pers + "md\x1b0 : active raid1 sda1[0] sdb1[1]\n      1000 blocks [2/1] [U_]\n", "unknown", "line 2"},
		// Views that disagree: the worse one decides, the array is not failed.
		{"counts say whole, status says one missing", pers + "md0 : active raid1 sda1[0] sdb1[1]\n      1000 blocks [2/2] [U_]\n", "critical", ""},
		{"status says whole, counts say one missing", pers + "md0 : active raid1 sda1[0] sdb1[1]\n      1000 blocks [2/1] [UU]\n", "critical", ""},
		{"fewer members than in-sync slots", pers + "md0 : active raid1 sda1[0]\n      1000 blocks [2/2] [UU]\n", "critical", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.MkdirAll(filepath.Join(root, "proc"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, "proc", "mdstat"), []byte(tc.mdstat), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, stderr := runCLI(t, "audit", "--root", root, "-o", "json")
			var got auditJSON
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("audit -o json: %v\n%s%s", err, out, stderr)
			}
			if got.Status != tc.status || code != exitCodes[tc.status] {
				t.Errorf("status %q exit %d, want %q\n%s", got.Status, code, tc.status, out)
			}
			if tc.errHas == "" {
				for _, g := range got.Groups {
					if g.Healthy >= g.Needed {
						t.Errorf("group %s: %d healthy, %d needed: an array whose views disagree is never whole", g.Name, g.Healthy, g.Needed)
					}
				}
				return
			}
			found := false
			for _, e := range got.Errors {
				found = found || strings.Contains(e.Error, tc.errHas) && strings.HasSuffix(e.Path, "mdstat")
			}
			if !found {
				t.Errorf("no error naming %q on mdstat: %+v", tc.errHas, got.Errors)
			}
		})
	}
}
