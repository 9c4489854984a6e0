package config

import (
	"strings"
	"testing"
)

// TestPowerIPMIConfig checks power.ipmi: a LAN address needs a user and a
// password file, credentials need an address, durations and cipher suites
// are checked, each error at its file:line.
func TestPowerIPMIConfig(t *testing.T) {
	ok := "power:\n  ipmi:\n    address: 10.0.0.21\n    username: monitor\n    password_file: /etc/redwatch/bmc.password\n    cipher_suites: [17, 3]\n    interval: 2m\n"
	cfg, err := Parse("redwatch.yml", []byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	if c := cfg.Power.IPMI; c.Address != "10.0.0.21" || c.PasswordFile != "/etc/redwatch/bmc.password" || len(c.CipherSuites) != 2 {
		t.Errorf("power.ipmi = %+v", c)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"power:\n  ipmi:\n    address: 10.0.0.21\n    password_file: /x\n", "redwatch.yml:3: power.ipmi.username: a BMC address needs a username"},
		{"power:\n  ipmi:\n    address: 10.0.0.21\n    username: monitor\n", "redwatch.yml:3: power.ipmi.password_file: a BMC address needs a password_file"},
		{"power:\n  ipmi:\n    username: monitor\n", "power.ipmi.address: username and password_file need an address"},
		{"power:\n  ipmi:\n    cipher_suites: [17, 300]\n", "redwatch.yml:3: power.ipmi.cipher_suites[1]: must be an RMCP+ cipher suite ID"},
		{"power:\n  ipmi:\n    interval: -1s\n", "redwatch.yml:3: power.ipmi.interval: must be a positive duration"},
		{"power:\n  ipmi:\n    password: hunter2\n", "redwatch.yml:3: power.ipmi.password: unknown key"},
	} {
		_, err := Parse("redwatch.yml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
