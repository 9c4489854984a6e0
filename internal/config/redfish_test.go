package config

import (
	"strings"
	"testing"
	"time"
)

func TestRedfishConfig(t *testing.T) {
	_, err := Parse("f.yaml", []byte("power:\n  redfish:\n    endpoint: https://10.0.0.5\n    username: monitor\n"+
		"    password_file: /etc/redwatch/bmc-password\n    auth: basic\n    fingerprint_sha256: \"AB:\"\n    interval: 2m\n"))
	if err == nil || !strings.Contains(err.Error(), "f.yaml:7:") || !strings.Contains(err.Error(), "power.redfish.fingerprint_sha256") {
		t.Errorf("short fingerprint: %v", err)
	}
	c, err := Parse("f.yaml", []byte("power:\n  redfish:\n    endpoint: https://10.0.0.5\n    username: monitor\n"+
		"    password_file: /etc/redwatch/bmc-password\n    ca_file: /etc/redwatch/bmc-ca.pem\n    interval: 2m\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Power.Redfish; r.Endpoint != "https://10.0.0.5" || r.Interval != 2*time.Minute || r.CAFile == "" {
		t.Errorf("redfish = %+v", r)
	}
	bad := []struct{ src, want string }{
		{"power:\n  redfish:\n    endpoint: http://10.0.0.5\n    username: u\n    password_file: /p\n", "f.yaml:3: power.redfish.endpoint: redfish: endpoint must be an https:// URL"},
		{"power:\n  redfish:\n    endpoint: https://u:pw@bmc\n    username: u\n    password_file: /p\n", "f.yaml:3: power.redfish.endpoint: redfish: endpoint must not hold user information"},
		{"power:\n  redfish:\n    endpoint: https://bmc\n    password_file: /p\n", "f.yaml:3: power.redfish.username: a Redfish endpoint needs a username"},
		{"power:\n  redfish:\n    endpoint: https://bmc\n    username: u\n", "power.redfish.password_file: a Redfish endpoint needs a password_file (mode 0600)"},
		{"power:\n  redfish:\n    endpoint: https://bmc\n    username: u\n    password_file: /p\n    auth: digest\n", "f.yaml:6: power.redfish.auth: must be session or basic"},
		{"power:\n  redfish:\n    username: u\n", "f.yaml:3: power.redfish.endpoint: the Redfish settings need an endpoint"},
		{"power:\n  redfish:\n    endpoint: https://bmc\n    username: u\n    password_file: /p\n    timeout: -1s\n", "f.yaml:6: power.redfish.timeout: must be a positive duration"},
		{"power:\n  redfish:\n    password: hunter2\n", "f.yaml:3: power.redfish.password: unknown key"},
	}
	for _, b := range bad {
		_, err := Parse("f.yaml", []byte(b.src))
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%q: error %v, want %q", b.src, err, b.want)
		}
	}
}
