package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redwatch/redwatch/rules"
)

const good = `state_dir: /srv/redwatch
daemon:
  interval: 15s
  listen: ":9105"
  collector_timeout: 5s
expect:
  bonds:
    - {name: "bond*", members: [eth0, eth1], min_healthy: 2}
  md:
    - {name: md0, members: 2, spare: true}
  power: {present: 2, healthy: 2}
rules:
  - id: bond_member_down
    severity: critical
    for: 30s
    subjects: ["bond0/*"]
  - id: rootfs_single_disk
    disabled: true
user_rules:
  - id: few_healthy_bonds
    expr: 'len(filter(groups, .kind == "bond" && .healthy >= 1)) < 2'
    severity: critical
    message: "fewer than 2 bonds with a healthy member"
  - id: group_short
    for_each: groups
    expr: .healthy < .needed
    subject: "{{.name}}"
    message: "{{.name}}: {{.healthy}} of {{.needed}} healthy"
  - id: disk_worn
    for_each: disks
    expr: .percentage_used > 80
alerts:
  repeat_interval: 4h
`

func TestParseGood(t *testing.T) {
	c, err := Parse("redwatch.yaml", []byte(good))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if c.StateDir != "/srv/redwatch" || c.Daemon.Interval != 15*time.Second || c.Daemon.Listen != ":9105" || c.Daemon.CollectorTimeout != 5*time.Second {
		t.Errorf("scalars: %+v %+v", c.StateDir, c.Daemon)
	}
	e := c.Expectations()
	if len(e.Bonds) != 1 || e.Bonds[0].MinHealthy != 2 || len(e.Bonds[0].Members) != 2 || len(e.MD) != 1 || !e.MD[0].Spare || e.Power == nil || e.Power.Present != 2 {
		t.Errorf("expectations: %+v", e)
	}
	cs := c.Controls()
	if len(cs) != 2 || cs[0].Severity == nil || *cs[0].Severity != rules.Critical || cs[0].For != 30*time.Second || !cs[1].Disabled {
		t.Errorf("controls: %+v", cs)
	}
	if len(c.CompiledUserRules()) != 3 {
		t.Errorf("user rules: %d", len(c.CompiledUserRules()))
	}
}

func TestLLDPConfig(t *testing.T) {
	c, err := Parse("f.yaml", []byte("lldp:\n  accept_same_switch:\n    - {bond: \"bond*\"}\n    - {chassis: \"mac:a6:da:6f:9f:9f:f8\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	o := c.LLDPOptions()
	if o.Grace != rules.DefaultLLDPGrace || len(o.Accept) != 2 || o.Accept[0].Bond != "bond*" || o.Accept[1].Chassis != "mac:a6:da:6f:9f:9f:f8" {
		t.Errorf("LLDPOptions = %+v", o)
	}
	if c, err := Parse("f.yaml", []byte("lldp: {grace_period: 0s}\n")); err != nil || c.LLDPOptions().Grace != 0 {
		t.Errorf("grace_period 0s: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	for _, src := range []string{"", "# only a comment\n", "---\n", "~\n"} {
		c, err := Parse("x.yaml", []byte(src))
		if err != nil {
			t.Fatalf("Parse(%q): %v", src, err)
		}
		if c.StateDir != DefaultStateDir || c.Daemon.Interval != 30*time.Second || c.Daemon.CollectorTimeout != 10*time.Second {
			t.Errorf("Parse(%q) defaults = %+v", src, c)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("Load of a missing explicit file = %v, want an error", err)
	}
	p := filepath.Join(dir, "r.yaml")
	if err := os.WriteFile(p, []byte("daemon: {interval: 1m}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil || c.Daemon.Interval != time.Minute || c.Path != p {
		t.Errorf("Load = %+v, %v", c, err)
	}
	if err := os.WriteFile(p, []byte("daemon: {intervall: 1m}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), p+":1:") {
		t.Errorf("Load of a bad file = %v, want %s:1:", err, p)
	}
}

// TestBadInput checks that each bad input is refused with the file, the
// line, the key and what is allowed.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"malformed yaml", "daemon:\n  interval: 30s\n   listen: x\n", []string{"f.yaml:3:"}},
		{"tab indentation", "daemon:\n\tinterval: 30s\n", []string{"f.yaml:2:"}},
		{"unknown top key", "state_dir: /x\nexpects: {}\n", []string{"f.yaml:2:", "expects: unknown key", "allowed here: state_dir, daemon, disks, hwraid, baseline, expect, lldp, rules, user_rules, alerts, actions"}},
		{"smart interval zero", "disks:\n  smart_interval: 0s\n", []string{"f.yaml:2:", "disks.smart_interval", "positive duration such as 30m"}},
		{"unknown nested key", "expect:\n  bonds:\n    - name: bond0\n      min_health: 2\n", []string{"f.yaml:4:", "expect.bonds[0].min_health: unknown key", "allowed here: name, members, min_healthy"}},
		{"wrong type int", "expect:\n  md:\n    - name: md0\n      members: two\n", []string{"f.yaml:4:", "expect.md[0].members", "cannot unmarshal"}},
		{"wrong type duration", "daemon:\n  interval: 30\n", []string{"f.yaml:2:", "daemon.interval", "a duration such as 30s"}},
		{"bad duration", "daemon:\n  interval: soon\n", []string{"f.yaml:2:", "daemon.interval"}},
		{"list for mapping", "daemon: [a, b]\n", []string{"f.yaml:1:", "daemon: want a mapping with keys interval, listen"}},
		{"mapping for scalar", "state_dir: {a: b}\n", []string{"f.yaml:1:", "state_dir: want a string, got a mapping"}},
		{"negative interval", "daemon:\n  interval: -5s\n", []string{"f.yaml:2:", "daemon.interval: must be a positive duration"}},
		{"relative state dir", "state_dir: var/lib\n", []string{"f.yaml:1:", "state_dir: must be an absolute directory path"}},
		{"bad glob", "expect:\n  bonds:\n    - name: \"bond[\"\n", []string{"f.yaml:3:", "expect.bonds[0].name: bad glob"}},
		{"min_healthy too big", "expect:\n  bonds:\n    - name: bond0\n      members: [eth0]\n      min_healthy: 3\n", []string{"f.yaml:5:", "min_healthy: must be between 0"}},
		{"healthy over present", "expect:\n  power: {present: 1, healthy: 2}\n", []string{"f.yaml:2:", "expect.power.healthy: must be between 0 and present (1)"}},
		{"unknown rule id", "rules:\n  - id: bond_membr_down\n    disabled: true\n", []string{"f.yaml:2:", "rules[0].id", "matches no rule", "redwatch rules"}},
		{"member rule, group subject", "rules:\n  - id: bond_member_down\n    subjects: [bond0]\n", []string{"f.yaml:3:", "rules[0].subjects[0]", `"bond0" can match no finding of bond_member_down`, `"bond0/*" matches the members of bond0`}},
		{"group rule, member subject", "rules:\n  - id: md_degraded\n    subjects: [\"md0/sdb1\"]\n", []string{"f.yaml:3:", `"md0/sdb1" can match no finding of md_degraded`, `"md0" matches it`}},
		{"subject with two slashes", "rules:\n  - id: \"*\"\n    subjects: [\"a/b/c\"]\n", []string{"f.yaml:3:", `"a/b/c" can match no finding`}},
		{"channel subject of the wrong shape", "alerts:\n  channels:\n    - name: ops\n      type: webhook\n      webhook: {url: \"http://127.0.0.1:1/\"}\n      rules: [md_member_faulty]\n      subjects: [md0]\n",
			[]string{"f.yaml:7:", "alerts.channels[0].subjects[0]", `"md0" can match no finding of md_member_faulty`}},
		{"rule id with hyphens", "rules:\n  - id: md-*\n    disabled: true\n", []string{"f.yaml:2:", "rules[0].id", `"md-*" matches no rule (rule IDs use underscores: "md_*")`}},
		{"channel rule glob matches no rule", "alerts:\n  channels:\n    - name: ops\n      type: webhook\n      webhook: {url: \"http://127.0.0.1:1/\"}\n      rules:\n        - md_*\n        - md-*\n",
			[]string{"f.yaml:8:", "alerts.channels[0].rules[1]", `"md-*" matches no rule (rule IDs use underscores: "md_*")`}},
		{"channel rule glob matches no user rule", "alerts:\n  channels:\n    - name: ops\n      type: webhook\n      webhook: {url: \"http://127.0.0.1:1/\"}\n      rules: [mine_*]\n",
			[]string{"f.yaml:6:", "alerts.channels[0].rules[0]", `"mine_*" matches no rule`}},
		{"bad severity", "rules:\n  - id: md_degraded\n    severity: fatal\n", []string{"f.yaml:3:", "rules[0].severity", "allowed: info, warning, critical"}},
		{"bad subject glob", "rules:\n  - id: md_degraded\n    subjects: [\"md[\"]\n", []string{"f.yaml:3:", "rules[0].subjects[0]: bad glob"}},
		{"expr syntax error", "user_rules:\n  - id: x\n    expr: len(groups) <\n", []string{"f.yaml:3:", "user_rules[0].expr", "column"}},
		{"expr unknown field", "user_rules:\n  - id: x\n    expr: len(filter(groups, .helthy > 1)) > 0\n", []string{"f.yaml:3:", "user_rules[0].expr", "helthy", "column 21"}},
		{"expr unknown field for_each", "user_rules:\n  - id: x\n    for_each: groups\n    expr: .healthy < .neded\n", []string{"f.yaml:4:", "neded", "column 13"}},
		{"expr block scalar", "user_rules:\n  - id: x\n    expr: |\n      len(groups) > 0 &&\n      nosuch > 1\n", []string{"f.yaml:5:", "nosuch"}},
		{"expr not bool", "user_rules:\n  - id: x\n    expr: len(groups)\n", []string{"f.yaml:3:", "user_rules[0].expr", "bool"}},
		{"bad for_each", "user_rules:\n  - id: x\n    for_each: nics\n    expr: .up\n", []string{"f.yaml:3:", "for_each", "allowed: groups, bonds, md, disks, psus"}},
		{"bad template", "user_rules:\n  - id: x\n    for_each: groups\n    expr: .healthy < 1\n    subject: \"{{.nmae}}\"\n", []string{"f.yaml:5:", "user_rules[0].subject", "nmae"}},
		{"duplicate user id", "user_rules:\n  - {id: x, expr: 'true'}\n  - {id: x, expr: 'true'}\n", []string{"f.yaml:3:", "already taken"}},
		{"user id clashes builtin", "user_rules:\n  - {id: md_degraded, expr: 'true'}\n", []string{"f.yaml:2:", "already taken"}},
		{"duplicate key", "daemon: {}\ndaemon: {}\n", []string{"f.yaml:", "already defined"}},
		{"two documents", "daemon: {}\n---\nstate_dir: /x\n", []string{"f.yaml:", "one document"}},
		{"top level list", "- a\n", []string{"f.yaml:1:", "want a mapping"}},
		{"negative lldp grace", "lldp:\n  grace_period: -1s\n", []string{"f.yaml:2:", "lldp.grace_period: must be a duration from 0 to 24h"}},
		{"accept with neither", "lldp:\n  accept_same_switch:\n    - {}\n", []string{"f.yaml:3:", "lldp.accept_same_switch[0]: give exactly one of bond"}},
		{"accept with both", "lldp:\n  accept_same_switch:\n    - {bond: bond0}\n    - {bond: bond1, chassis: sw-a}\n", []string{"f.yaml:4:", "lldp.accept_same_switch[1]: give exactly one"}},
		{"accept bad glob", "lldp:\n  accept_same_switch:\n    - bond: \"bond[\"\n", []string{"f.yaml:3:", "lldp.accept_same_switch[0].bond: bad glob"}},
		{"accept unknown key", "lldp:\n  accept_same_switch:\n    - {switch: sw-a}\n", []string{"f.yaml:3:", "unknown key", "allowed here: bond, chassis"}},
		{"reenslave without bond", "actions:\n  reenslave:\n    - dry_run: true\n", []string{"f.yaml:3:", "actions.reenslave[0]: bond is required"}},
		{"reenslave bad glob", "actions:\n  reenslave:\n    - bond: \"bond[\"\n", []string{"f.yaml:3:", "actions.reenslave[0].bond: bad glob"}},
		{"reenslave unknown key", "actions:\n  reenslave:\n    - bond: bond0\n      cooldwn: 1m\n", []string{"f.yaml:4:", "actions.reenslave[0].cooldwn: unknown key", "allowed here: bond, dry_run, cooldown, max_per_hour, carrier_wait"}},
		{"reenslave negative cooldown", "actions:\n  reenslave:\n    - bond: bond0\n      cooldown: -1m\n", []string{"f.yaml:4:", "actions.reenslave[0].cooldown: must be a positive duration"}},
		{"reenslave cap too high", "actions:\n  reenslave:\n    - bond: bond0\n      max_per_hour: 100\n", []string{"f.yaml:4:", "actions.reenslave[0].max_per_hour: must be between 1 and 60"}},
		{"reenslave carrier wait too long", "actions:\n  reenslave:\n    - bond: bond0\n      carrier_wait: 5m\n", []string{"f.yaml:4:", "actions.reenslave[0].carrier_wait: must be a duration up to 1m"}},
		{"reenslave a list", "actions:\n  reenslave: bond0\n", []string{"f.yaml:2:", "actions.reenslave: want a list"}},
		{"hwraid relative tool path", "hwraid:\n  storcli: storcli64\n", []string{"f.yaml:2:", "hwraid.storcli: must be an absolute path"}},
		{"hwraid zero interval", "hwraid:\n  interval: 0s\n", []string{"f.yaml:2:", "hwraid.interval: must be a positive duration"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse accepted:\n%s", tt.src)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "config: f.yaml") {
				t.Errorf("error %q does not start with config: FILE", err)
			}
		})
	}
}

// TestReenslaveConfig checks the defaults of an actions.reenslave entry
// and that the first matching entry decides for a bond.
func TestReenslaveConfig(t *testing.T) {
	c, err := Parse("f.yaml", []byte("actions:\n  reenslave:\n    - {bond: bond0, dry_run: true, cooldown: 30s, max_per_hour: 2}\n    - bond: \"bond*\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r := c.ReenslaveFor("bond0"); r == nil || !r.DryRun || r.Cooldown != 30*time.Second || r.MaxPerHour != 2 || r.CarrierWait != DefaultReenslaveCarrierWait {
		t.Errorf("bond0: %+v", r)
	}
	if r := c.ReenslaveFor("bond1"); r == nil || r.DryRun || r.Cooldown != DefaultReenslaveCooldown || r.MaxPerHour != DefaultReenslaveMaxPerHour {
		t.Errorf("bond1: %+v", r)
	}
	if r := c.ReenslaveFor("team0"); r != nil {
		t.Errorf("team0 matched %+v", r)
	}
	if r := Default().ReenslaveFor("bond0"); r != nil {
		t.Errorf("on by default: %+v", r)
	}
}

// TestExampleConfig checks that the shipped example configuration is valid.
func TestExampleConfig(t *testing.T) {
	p := filepath.Join("..", "..", "packaging", "redwatch.yaml")
	c, err := Load(p)
	if err != nil {
		t.Fatalf("the shipped example is invalid: %v", err)
	}
	if c.StateDir != DefaultStateDir || c.Daemon.Interval != 30*time.Second {
		t.Errorf("the example's values are not the defaults it documents: %+v", c)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("daemon: {interval: 30s}\n"))
	f.Add([]byte("user_rules:\n  - {id: x, for_each: groups, expr: .healthy < .needed, subject: '{{.name}}'}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	if b, err := os.ReadFile(filepath.Join("..", "..", "packaging", "redwatch.yaml")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "config: fuzz.yaml") {
				t.Fatalf("error without the file: %v", err)
			}
			return
		}
		if c.StateDir == "" || c.Daemon.Interval <= 0 {
			t.Fatalf("accepted an invalid configuration: %+v", c)
		}
	})
}

// TestHostileYAML: aliases that loop or explode, deep nesting and huge
// expressions are refused or parsed quickly, never a crash.
func TestHostileYAML(t *testing.T) {
	laughs := "a: &a [x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		laughs += n + ": &" + n + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = n
	}
	for name, src := range map[string]string{
		"self alias":       "rules: &x [*x]\n",
		"alias to mapping": "daemon: &d {interval: 5s}\nexpect: *d\n",
		"aliased unknown":  "x: &b {name: bond0, nope: 1}\n",
		"billion laughs":   "user_rules:\n  - id: z\n    expr: 'true'\n" + strings.ReplaceAll(laughs, "\n", "\n"),
		"deep nesting":     "rules: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n",
		"deep expr":        "user_rules:\n  - id: z\n    expr: '" + strings.Repeat("(", 3000) + "true" + strings.Repeat(")", 3000) + "'\n",
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := Parse("h.yaml", []byte(src))
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
			if err == nil && name != "deep expr" {
				t.Errorf("accepted")
			} else if err != nil && !strings.HasPrefix(err.Error(), "config: h.yaml") {
				t.Errorf("error %q", err)
			}
		})
	}
	c, err := Parse("h.yaml", []byte("expect:\n  bonds:\n    - &b {name: bond0, members: [eth0]}\n  md: []\nx: 1\n"))
	if err == nil || c != nil {
		t.Errorf("unknown key x accepted")
	}
}

func TestAlertsBlock(t *testing.T) {
	c, err := Parse("a.yaml", []byte(`alerts:
  repeat_interval: 1h
  channels:
    - name: ops
      type: webhook
      min_severity: critical
      webhook:
        url: https://hooks.example/redwatch
        headers: {X-Token: abc}
`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if c.Alerts.RepeatInterval != time.Hour || len(c.Alerts.Channels) != 1 || c.Alerts.Channels[0].MinSeverity != rules.Critical {
		t.Errorf("alerts = %+v", c.Alerts)
	}
	for src, want := range map[string]string{
		"alerts:\n  channels:\n    - {name: ops, type: pager}\n":                       `a.yaml:2: alerts: channel "ops": type "pager": want webhook, email, alertmanager or exec`,
		"alerts:\n  chanels: []\n":                                                     "a.yaml:2: alerts.chanels: unknown key",
		"alerts:\n  channels:\n    - {name: ops, type: webhook, webhook: {urll: x}}\n": "a.yaml:3:",
		"alerts:\n  channels:\n    - {name: ops, min_severity: fatal}\n":               "a.yaml:3:",
	} {
		if _, err := Parse("a.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", src, err, want)
		}
	}
}

// TestSubjectShapesAccepted: subject globs of the shape of the rules they
// apply to, user rules' subjects and channel globs with wildcards pass.
func TestSubjectShapesAccepted(t *testing.T) {
	src := `user_rules:
  - {id: mine, expr: 'true', subject: "a/b"}
rules:
  - {id: "bond_*", subjects: ["bond0"]}
  - {id: bond_member_down, subjects: ["bond0/*"]}
  - {id: mine, subjects: ["a/b"]}
alerts:
  channels:
    - name: ops
      type: webhook
      webhook: {url: "http://127.0.0.1:1/"}
      subjects: ["md0", "bond0*"]
`
	if _, err := Parse("f.yaml", []byte(src)); err != nil {
		t.Error(err)
	}
}

// TestHWRaidOptions: the hwraid keys reach the RAID tool runner's options.
func TestHWRaidOptions(t *testing.T) {
	c, err := Parse("f.yaml", []byte("hwraid:\n  interval: 10m\n  timeout: 5s\n  storcli: /opt/x/storcli64\n  arcconf: none\n"))
	if err != nil {
		t.Fatal(err)
	}
	o := c.HWRaidOptions()
	if o.Interval != 10*time.Minute || o.Timeout != 5*time.Second || o.Paths["storcli"] != "/opt/x/storcli64" || o.Paths["arcconf"] != "none" || o.Paths["ssacli"] != "" {
		t.Errorf("options %+v", o)
	}
	if d := Default().HWRaidOptions(); d.Interval != 5*time.Minute || d.Timeout != 30*time.Second {
		t.Errorf("default options %+v", d)
	}
}
