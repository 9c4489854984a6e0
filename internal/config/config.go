// Package config loads redwatch's one YAML configuration file. Loading is
// strict: an unknown key, a wrong type or a bad value is an error naming the
// file, the line, the key and what is allowed. No file at the default path
// is the default configuration.
package config

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/redwatch/redwatch/alerts"
	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/safefile"
	"github.com/redwatch/redwatch/rules"
)

// DefaultPath is where the configuration is read from without --config.
const DefaultPath = "/etc/redwatch/redwatch.yaml"

// DefaultStateDir is where the baseline and the state live without state_dir or --state-dir.
const DefaultStateDir = "/var/lib/redwatch"

// maxSize bounds the configuration file.
const maxSize = 4 << 20

// Config is the whole configuration.
type Config struct {
	// Path is the file the configuration was read from; "" for the defaults.
	Path string `yaml:"-"`
	// StateDir holds the baseline, first-seen times and maintenance windows.
	StateDir string `yaml:"state_dir"`
	Daemon   Daemon `yaml:"daemon"`
	Disks    Disks  `yaml:"disks"`
	// HWRaid configures the hardware RAID tools (docs/hwraid.md).
	HWRaid   HWRaid   `yaml:"hwraid"`
	Baseline Baseline `yaml:"baseline"`
	Expect   Expect   `yaml:"expect"`
	// LLDP is the LLDP rules' settings.
	LLDP LLDP `yaml:"lldp"`
	// Rules control built-in and user rules; the first entry matching a
	// finding's rule ID and subject decides for it.
	Rules     []RuleControl `yaml:"rules"`
	UserRules []UserRule    `yaml:"user_rules"`
	// Alerts is the alerts configuration; the alerts package owns its schema
	// and its Validate is part of loading.
	Alerts alerts.Config `yaml:"alerts"`
	// Actions are what the daemon may change on the host by itself; none
	// by default (see docs/actions.md).
	Actions Actions `yaml:"actions"`
	// Power configures the power supply sources (IPMI); see power.go.
	Power Power `yaml:"power"`

	// Compiled forms, filled by Parse.
	expect    rules.Expectations
	controls  []rules.Control
	userRules []*rules.UserRule
}

// Daemon is the daemon's part of the configuration.
type Daemon struct {
	// Interval is how often the daemon runs a pass besides events.
	Interval time.Duration `yaml:"interval"`
	// Listen is the health endpoint's address; "" is the daemon's default.
	Listen string `yaml:"listen"`
	// WebConfigFile is a Prometheus exporter-toolkit web config (TLS, basic auth).
	WebConfigFile string `yaml:"web_config_file"`
	// CollectorTimeout bounds one pass's collection.
	CollectorTimeout time.Duration `yaml:"collector_timeout"`
	// MaxConnections caps concurrent connections to the endpoint; 0 is the
	// default (512), lowered to what RLIMIT_NOFILE leaves after the
	// descriptors kept for collection and alerts.
	MaxConnections int `yaml:"max_connections"`
}

// Disks is the disks' part of the configuration (docs/disks.md).
type Disks struct {
	// SmartInterval is how often the daemon runs smartctl on every disk
	// (default 30m); passes read the last results.
	SmartInterval time.Duration `yaml:"smart_interval"`
	// SmartTimeout bounds one smartctl run, one disk (default 60s).
	SmartTimeout time.Duration `yaml:"smart_timeout"`
}

// HWRaid is the hardware RAID tools' part of the configuration.
type HWRaid struct {
	// Interval is how often the daemon runs the RAID tools (default 5m);
	// passes read the last results.
	Interval time.Duration `yaml:"interval"`
	// Timeout bounds one run of one tool command (default 30s).
	Timeout time.Duration `yaml:"timeout"`
	// Storcli, Storcli2, Ssacli and Arcconf are the programs to run for
	// each family ("" finds them on PATH and at the vendors' install paths,
	// "none" turns the family off).
	Storcli  string `yaml:"storcli"`
	Storcli2 string `yaml:"storcli2"`
	Ssacli   string `yaml:"ssacli"`
	Arcconf  string `yaml:"arcconf"`
}

// HWRaidOptions returns the RAID tools' options for the collectors.
func (c *Config) HWRaidOptions() collectors.HWRaidOptions {
	h := c.HWRaid
	return collectors.HWRaidOptions{Interval: h.Interval, Timeout: h.Timeout,
		Paths: map[string]string{"storcli": h.Storcli, "storcli2": h.Storcli2, "ssacli": h.Ssacli, "arcconf": h.Arcconf}}
}

// DefaultSettle is how long a group must be seen healthy before it enters
// the baseline, without baseline.settle.
const DefaultSettle = 5 * time.Minute

// Baseline is the baseline's part of the configuration.
type Baseline struct {
	// Settle is how long a group must be seen fully healthy, with the same
	// members, before its member set is recorded (0: at once).
	Settle time.Duration `yaml:"settle"`
}

// LLDP is the LLDP rules' part of the configuration (docs/lldp.md).
type LLDP struct {
	// GracePeriod is how long after an interface comes up (or the daemon
	// starts) a missing neighbour is "not yet learned" rather than
	// lldp_blind.
	GracePeriod time.Duration `yaml:"grace_period"`
	// AcceptSameSwitch are the stacks or virtual chassis accepted under a
	// bond: bond_same_switch is quiet for the bonds or chassis they match.
	AcceptSameSwitch []AcceptSwitch `yaml:"accept_same_switch"`
}

// AcceptSwitch is one entry of lldp.accept_same_switch: exactly one of a
// bond name glob or a chassis (ID as subtype:value, the value alone, or the
// switch's system name).
type AcceptSwitch struct {
	Bond    string `yaml:"bond"`
	Chassis string `yaml:"chassis"`
}

// Expect is the operator's declared redundancy.
type Expect struct {
	Bonds []BondExpect `yaml:"bonds"`
	MD    []MDExpect   `yaml:"md"`
	// Power is nil when nothing is declared about power.
	Power *PowerExpect `yaml:"power"`
}

// BondExpect declares the bonds matching Name (exact or glob).
type BondExpect struct {
	Name       string   `yaml:"name"`
	Members    []string `yaml:"members"`
	MinHealthy int      `yaml:"min_healthy"`
}

// MDExpect declares the md arrays matching Name (exact or glob).
type MDExpect struct {
	Name    string `yaml:"name"`
	Members int    `yaml:"members"`
	Spare   bool   `yaml:"spare"`
}

// PowerExpect declares the power supplies.
type PowerExpect struct {
	Present int `yaml:"present"`
	Healthy int `yaml:"healthy"`
}

// Actions are the opt-in actions of the daemon.
type Actions struct {
	// Reenslave enables re-enslaving per bond: the first entry whose Bond
	// glob matches a bond decides for it; a bond no entry matches is left
	// alone.
	Reenslave []Reenslave `yaml:"reenslave"`
}

// Defaults of an actions.reenslave entry.
const (
	DefaultReenslaveCooldown    = 5 * time.Minute
	DefaultReenslaveMaxPerHour  = 3
	DefaultReenslaveCarrierWait = 5 * time.Second
)

// Reenslave is one entry of actions.reenslave: a healthy NIC that dropped
// out of a bond matching Bond is added back, within these limits.
type Reenslave struct {
	// Bond is a bond name or a glob (path.Match) such as "bond*".
	Bond string `yaml:"bond"`
	// DryRun logs what would be done and does nothing.
	DryRun bool `yaml:"dry_run"`
	// Cooldown is the wait after an attempt on a member before the next
	// one, doubled after each attempt within the hour; 0 is the default.
	Cooldown time.Duration `yaml:"cooldown"`
	// MaxPerHour caps the attempts per member per hour: a member that drops
	// out again once the cap is reached is given up (reenslave_gave_up);
	// 0 is the default.
	MaxPerHour int `yaml:"max_per_hour"`
	// CarrierWait is how long a member that is down is held up to read its
	// carrier before it is judged to have none; 0 is the default.
	CarrierWait time.Duration `yaml:"carrier_wait"`
}

// RuleControl is one entry of rules:.
type RuleControl struct {
	// ID is a rule ID or a glob over rule IDs.
	ID       string        `yaml:"id"`
	Disabled bool          `yaml:"disabled"`
	Severity string        `yaml:"severity"`
	For      time.Duration `yaml:"for"`
	// Subjects are globs over finding subjects; empty matches all.
	Subjects []string `yaml:"subjects"`
}

// UserRule is one entry of user_rules:.
type UserRule struct {
	ID          string `yaml:"id"`
	Expr        string `yaml:"expr"`
	ForEach     string `yaml:"for_each"`
	Severity    string `yaml:"severity"`
	Subject     string `yaml:"subject"`
	Message     string `yaml:"message"`
	Checks      string `yaml:"checks"`
	Remediation string `yaml:"remediation"`
}

// Default returns the default configuration.
func Default() *Config {
	return &Config{
		StateDir: DefaultStateDir,
		Daemon:   Daemon{Interval: 30 * time.Second, CollectorTimeout: 10 * time.Second},
		Baseline: Baseline{Settle: DefaultSettle},
		LLDP:     LLDP{GracePeriod: rules.DefaultLLDPGrace},
		Disks:    Disks{SmartInterval: 30 * time.Minute, SmartTimeout: 60 * time.Second},
		HWRaid:   HWRaid{Interval: collectors.DefaultHWRaidInterval, Timeout: collectors.DefaultHWRaidTimeout},
	}
}

// LLDPOptions returns the LLDP rules' settings.
func (c *Config) LLDPOptions() rules.LLDPOptions {
	o := rules.LLDPOptions{Grace: c.LLDP.GracePeriod}
	for _, a := range c.LLDP.AcceptSameSwitch {
		o.Accept = append(o.Accept, rules.AcceptSwitch{Bond: a.Bond, Chassis: a.Chassis})
	}
	return o
}

// Expectations returns the compiled expectations.
func (c *Config) Expectations() rules.Expectations { return c.expect }

// Controls returns the compiled rule controls, in file order.
func (c *Config) Controls() []rules.Control { return c.controls }

// CompiledUserRules returns the compiled user rules, in file order.
func (c *Config) CompiledUserRules() []*rules.UserRule { return c.userRules }

// Load reads the configuration at path. No file at DefaultPath means the
// defaults; a missing file anywhere else is an error.
func Load(path string) (*Config, error) {
	explicit := path != ""
	if !explicit {
		path = DefaultPath
	}
	// A FIFO, device or directory is refused without blocking.
	data, err := safefile.ReadFile(path, maxSize)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return Default(), nil
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Error is a configuration error at a place in the file.
type Error struct {
	File string
	// Line is 1-based; 0 when the error has no place.
	Line int
	// Key is the dotted path of the key, e.g. "expect.bonds[0].min_healthy".
	Key string
	Msg string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Parse parses and validates a configuration; name is the file name used in
// errors. It never panics, whatever data holds.
func Parse(name string, data []byte) (cfg *Config, err error) {
	defer func() {
		if r := recover(); r != nil { // yaml.v3 has panicked on hostile input before
			cfg, err = nil, &Error{File: name, Msg: fmt.Sprintf("cannot parse: %v", r)}
		}
	}()
	cfg = Default()
	cfg.Path = name
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return cfg, cfg.compile(nil)
		}
		return nil, yamlError(name, err, nil)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: name, Line: extra.Line, Msg: "a second YAML document (---): the configuration is one document"}
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind == yaml.ScalarNode && doc.Tag == "!!null" {
		return cfg, cfg.compile(doc)
	}
	keys := map[int]string{}
	if err := checkNode(name, doc, reflect.TypeOf(Config{}), "", keys); err != nil {
		return nil, err
	}
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(cfg); err != nil {
		return nil, yamlError(name, err, keys)
	}
	cfg.Path = name
	return cfg, cfg.compile(doc)
}

var lineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// yamlError rewrites a yaml.v3 error as file:line: key: message.
func yamlError(name string, err error, keys map[int]string) error {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msgs = te.Errors
	}
	m := strings.TrimPrefix(msgs[0], "yaml: ")
	e := &Error{File: name, Msg: m}
	if sub := lineRE.FindStringSubmatch(m); sub != nil {
		e.Line, _ = strconv.Atoi(sub[1])
		e.Msg = sub[2]
		e.Key = keys[e.Line]
	}
	e.Msg = strings.ReplaceAll(e.Msg, "time.Duration", "a duration such as 30s, 5m or 2h")
	if len(msgs) > 1 {
		e.Msg += fmt.Sprintf(" (and %d more errors)", len(msgs)-1)
	}
	return e
}

// checkNode walks n against the Go type t: every mapping key must be a field
// (the error lists the allowed ones), and every line's key path is recorded
// in keys for type errors.
func checkNode(file string, n *yaml.Node, t reflect.Type, path string, keys map[int]string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode {
		// Aliases are checked by the strict decoder (KnownFields), which
		// also bounds alias expansion; following them here could loop.
		return nil
	}
	if t == reflect.TypeOf(yaml.Node{}) {
		return nil // kept raw (alerts placeholder)
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == reflect.TypeOf(time.Time{}) {
			return nil
		}
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return nil
		}
		if n.Kind != yaml.MappingNode {
			return &Error{File: file, Line: n.Line, Key: path, Msg: fmt.Sprintf("want a mapping with keys %s, got %s", strings.Join(fieldNames(t), ", "), kindName(n))}
		}
		fields := fieldMap(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Value == "<<" {
				return &Error{File: file, Line: k.Line, Key: path, Msg: "merge keys (<<) are not supported"}
			}
			key := join(path, k.Value)
			f, ok := fields[k.Value]
			if !ok || k.Kind != yaml.ScalarNode {
				return &Error{File: file, Line: k.Line, Key: key, Msg: fmt.Sprintf("unknown key; allowed here: %s", strings.Join(fieldNames(t), ", "))}
			}
			keys[k.Line] = key
			keys[v.Line] = key
			if err := checkNode(file, v, f.Type, key, keys); err != nil {
				return err
			}
		}
	case reflect.Map:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return nil
		}
		if n.Kind != yaml.MappingNode {
			return &Error{File: file, Line: n.Line, Key: path, Msg: fmt.Sprintf("want a mapping, got %s", kindName(n))}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := join(path, k.Value)
			keys[v.Line] = key
			if err := checkNode(file, v, t.Elem(), key, keys); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return nil
		}
		if n.Kind != yaml.SequenceNode {
			return &Error{File: file, Line: n.Line, Key: path, Msg: fmt.Sprintf("want a list, got %s", kindName(n))}
		}
		for i, c := range n.Content {
			key := fmt.Sprintf("%s[%d]", path, i)
			keys[c.Line] = key
			if err := checkNode(file, c, t.Elem(), key, keys); err != nil {
				return err
			}
		}
	default:
		if n.Kind != yaml.ScalarNode {
			return &Error{File: file, Line: n.Line, Key: path, Msg: fmt.Sprintf("want a %s, got %s", scalarName(t), kindName(n))}
		}
		// A text unmarshaler's own error carries no line: check it here.
		if u, ok := reflect.New(t).Interface().(encoding.TextUnmarshaler); ok && n.Tag != "!!null" {
			if err := u.UnmarshalText([]byte(n.Value)); err != nil {
				return &Error{File: file, Line: n.Line, Key: path, Msg: err.Error()}
			}
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func scalarName(t reflect.Type) string {
	switch {
	case t == reflect.TypeOf(time.Duration(0)):
		return "duration such as 30s, 5m or 2h"
	case t.Kind() == reflect.Bool:
		return "boolean (true or false)"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "number"
	}
	return "string"
}

func fieldMap(t reflect.Type) map[string]reflect.StructField {
	m := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || tag == "-" || tag == "" {
			continue
		}
		m[tag] = f
	}
	return m
}

func fieldNames(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.IsExported() && tag != "-" && tag != "" {
			names = append(names, tag)
		}
	}
	return names
}
