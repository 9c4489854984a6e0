package config

import (
	"fmt"
	"time"

	"github.com/redwatch/redwatch/collectors"
)

// Power is the configuration of the power supply sources (power:); see
// docs/power.md.
type Power struct {
	IPMI    IPMI    `yaml:"ipmi"`
	Redfish Redfish `yaml:"redfish"`
}

// IPMIOptions are the IPMI source's options of power.ipmi.
func (c *Config) IPMIOptions() collectors.IPMIOptions {
	i := c.Power.IPMI
	return collectors.IPMIOptions{Disabled: i.Disabled, Address: i.Address, Username: i.Username,
		PasswordFile: i.PasswordFile, CipherSuites: i.CipherSuites, Interval: i.Interval, Timeout: i.Timeout}
}

// RedfishOptions are the Redfish source's options of power.redfish (no
// Endpoint: the source is off on a live host).
func (c *Config) RedfishOptions() collectors.RedfishOptions {
	r := c.Power.Redfish
	return collectors.RedfishOptions{Endpoint: r.Endpoint, Username: r.Username, PasswordFile: r.PasswordFile,
		Auth: r.Auth, CAFile: r.CAFile, Fingerprint: r.Fingerprint, Interval: r.Interval, Timeout: r.Timeout}
}

// IPMI configures the IPMI source (power.ipmi). With no address it reads
// the host's own BMC in-band through /dev/ipmi0 when the device exists.
type IPMI struct {
	// Disabled turns the IPMI source off.
	Disabled bool `yaml:"disabled"`
	// Address is the BMC's LAN address (host or host:port, port 623 by
	// default) read over RMCP+ (lanplus) instead of in-band.
	Address string `yaml:"address"`
	// Username is the BMC user (privilege User is enough).
	Username string `yaml:"username"`
	// PasswordFile holds the BMC user's password; it must be readable by
	// its owner only (0600). There is no inline password.
	PasswordFile string `yaml:"password_file"`
	// CipherSuites are the RMCP+ cipher suites tried in order (default 17,
	// then 3).
	CipherSuites []int `yaml:"cipher_suites"`
	// Interval is how long a BMC read is reused (default 60s).
	Interval time.Duration `yaml:"interval"`
	// Timeout bounds one BMC read (default 20s).
	Timeout time.Duration `yaml:"timeout"`
}

// compilePower checks power:.
func (c *Config) compilePower(v *validator) error {
	p := c.Power.IPMI
	if p.Interval < 0 {
		return v.fail(fmt.Sprintf("must be a positive duration such as 60s (0 is the default, 60s), got %s", p.Interval), "power", "ipmi", "interval")
	}
	if p.Timeout < 0 {
		return v.fail(fmt.Sprintf("must be a positive duration such as 20s (0 is the default, 20s), got %s", p.Timeout), "power", "ipmi", "timeout")
	}
	for i, s := range p.CipherSuites {
		if s < 0 || s > 255 {
			return v.fail(fmt.Sprintf("must be an RMCP+ cipher suite ID (0 to 255, e.g. 17 or 3), got %d", s), "power", "ipmi", "cipher_suites", i)
		}
	}
	if p.Address == "" {
		if p.Username != "" || p.PasswordFile != "" {
			return v.fail("username and password_file need an address (in-band IPMI through /dev/ipmi0 takes no credentials)", "power", "ipmi", "address")
		}
		return nil
	}
	if p.Username == "" {
		return v.fail("a BMC address needs a username", "power", "ipmi", "username")
	}
	if p.PasswordFile == "" {
		return v.fail("a BMC address needs a password_file (mode 0600)", "power", "ipmi", "password_file")
	}
	return nil
}
