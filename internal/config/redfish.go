package config

import (
	"fmt"
	"time"

	"github.com/redwatch/redwatch/redfish"
)

// Redfish configures the Redfish source (power.redfish): the BMC's Redfish
// service read over HTTPS, for BMCs whose IPMI over LAN is off. Without an
// endpoint the source reads only captured trees.
type Redfish struct {
	// Endpoint is the service's base URL, https://host[:port].
	Endpoint string `yaml:"endpoint"`
	// Username is the BMC account (a read-only role is enough).
	Username string `yaml:"username"`
	// PasswordFile holds the account's password; it must be readable by
	// its owner only (0600). There is no inline password.
	PasswordFile string `yaml:"password_file"`
	// Auth is "session" (default: a SessionService session, deleted after
	// each read) or "basic" (HTTP basic authentication on every request).
	Auth string `yaml:"auth"`
	// CAFile holds the PEM certificates of the CAs the BMC's certificate
	// must chain to.
	CAFile string `yaml:"ca_file"`
	// Fingerprint pins the SHA-256 of the BMC's certificate (hex, colons
	// allowed), for a self-signed BMC certificate.
	Fingerprint string `yaml:"fingerprint_sha256"`
	// Interval is how long a read is reused (default 60s).
	Interval time.Duration `yaml:"interval"`
	// Timeout bounds one read (default 30s).
	Timeout time.Duration `yaml:"timeout"`
}

// compileRedfish checks power.redfish.
func (c *Config) compileRedfish(v *validator) error {
	r := c.Power.Redfish
	key := func(k string) []any { return []any{"power", "redfish", k} }
	if r.Interval < 0 {
		return v.fail(fmt.Sprintf("must be a positive duration such as 60s (0 is the default, 60s), got %s", r.Interval), key("interval")...)
	}
	if r.Timeout < 0 {
		return v.fail(fmt.Sprintf("must be a positive duration such as 30s (0 is the default, 30s), got %s", r.Timeout), key("timeout")...)
	}
	if r.Auth != "" && r.Auth != "session" && r.Auth != "basic" {
		return v.fail(fmt.Sprintf("must be session or basic, got %q", r.Auth), key("auth")...)
	}
	if r.Fingerprint != "" {
		if _, err := redfish.ParseFingerprint(r.Fingerprint); err != nil {
			return v.fail("must be the SHA-256 of the BMC's certificate: 64 hex digits, colons allowed", key("fingerprint_sha256")...)
		}
	}
	if r.Endpoint == "" {
		if r.Username != "" || r.PasswordFile != "" || r.CAFile != "" || r.Fingerprint != "" {
			return v.fail("the Redfish settings need an endpoint (https://host[:port])", key("endpoint")...)
		}
		return nil
	}
	if _, err := redfish.ParseEndpoint(r.Endpoint); err != nil {
		return v.fail(err.Error(), key("endpoint")...)
	}
	if r.Username == "" {
		return v.fail("a Redfish endpoint needs a username", key("username")...)
	}
	if r.PasswordFile == "" {
		return v.fail("a Redfish endpoint needs a password_file (mode 0600)", key("password_file")...)
	}
	return nil
}
