package config

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/redwatch/redwatch/alerts"
	"github.com/redwatch/redwatch/rules"
)

// ruleIDRE is what a user rule ID may look like.
var ruleIDRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// at finds the node at path (string keys and int indices) under doc; nil if absent.
func at(doc *yaml.Node, p ...any) *yaml.Node {
	n := doc
	for _, step := range p {
		if n == nil {
			return nil
		}
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		switch s := step.(type) {
		case string:
			var next *yaml.Node
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == s {
						next = n.Content[i+1]
					}
				}
			}
			n = next
		case int:
			if n.Kind != yaml.SequenceNode || s >= len(n.Content) {
				return nil
			}
			n = n.Content[s]
		}
	}
	return n
}

// validator collects the first error with its place.
type validator struct {
	file string
	doc  *yaml.Node
}

// fail returns an error at the node of path p (or the nearest existing parent).
func (v *validator) fail(msg string, p ...any) error {
	line := 0
	for i := len(p); i >= 0 && line == 0; i-- {
		if n := at(v.doc, p[:i]...); n != nil {
			line = n.Line
		}
	}
	return &Error{File: v.file, Line: line, Key: keyPath(p), Msg: msg}
}

func keyPath(p []any) string {
	var b strings.Builder
	for _, s := range p {
		switch s := s.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s)
		case int:
			fmt.Fprintf(&b, "[%d]", s)
		}
	}
	return b.String()
}

func checkGlob(pattern string) error {
	if _, err := path.Match(pattern, ""); err != nil {
		return fmt.Errorf("bad glob %q: %w (globs use *, ? and [...]; * does not cross /)", pattern, err)
	}
	return nil
}

// compile validates the decoded configuration and builds the rules' forms.
func (c *Config) compile(doc *yaml.Node) error {
	v := &validator{file: c.Path, doc: doc}
	if c.StateDir == "" || !filepath.IsAbs(c.StateDir) {
		return v.fail(fmt.Sprintf("must be an absolute directory path (default %s), got %q", DefaultStateDir, c.StateDir), "state_dir")
	}
	if c.Daemon.Interval <= 0 {
		return v.fail(fmt.Sprintf("must be a positive duration such as 30s, got %s", c.Daemon.Interval), "daemon", "interval")
	}
	if c.Daemon.CollectorTimeout <= 0 {
		return v.fail(fmt.Sprintf("must be a positive duration such as 10s, got %s", c.Daemon.CollectorTimeout), "daemon", "collector_timeout")
	}
	if c.Disks.SmartInterval <= 0 {
		return v.fail(fmt.Sprintf("must be a positive duration such as 30m, got %s", c.Disks.SmartInterval), "disks", "smart_interval")
	}
	if c.Disks.SmartTimeout <= 0 {
		return v.fail(fmt.Sprintf("must be a positive duration such as 60s, got %s", c.Disks.SmartTimeout), "disks", "smart_timeout")
	}
	if c.HWRaid.Interval <= 0 {
		return v.fail(fmt.Sprintf("must be a positive duration such as 5m, got %s", c.HWRaid.Interval), "hwraid", "interval")
	}
	if c.HWRaid.Timeout <= 0 {
		return v.fail(fmt.Sprintf("must be a positive duration such as 30s, got %s", c.HWRaid.Timeout), "hwraid", "timeout")
	}
	for key, prog := range map[string]string{"storcli": c.HWRaid.Storcli, "storcli2": c.HWRaid.Storcli2, "ssacli": c.HWRaid.Ssacli, "arcconf": c.HWRaid.Arcconf} {
		if prog != "" && prog != "none" && !filepath.IsAbs(prog) {
			return v.fail(fmt.Sprintf("must be an absolute path to the program, or none, got %q", prog), "hwraid", key)
		}
	}
	if c.Daemon.MaxConnections < 0 {
		return v.fail(fmt.Sprintf("must not be negative (0 is the default, 512), got %d", c.Daemon.MaxConnections), "daemon", "max_connections")
	}
	if err := c.Alerts.Validate(); err != nil {
		msg := strings.ReplaceAll(err.Error(), "\n", "; ")
		return v.fail(strings.ReplaceAll(msg, "alerts: ", ""), "alerts")
	}
	if c.Baseline.Settle < 0 {
		return v.fail(fmt.Sprintf("must be a duration of 0 or more such as 5m (0 records a group the first time it is seen healthy), got %s", c.Baseline.Settle), "baseline", "settle")
	}
	if err := c.checkLLDP(v); err != nil {
		return err
	}
	if err := c.compilePower(v); err != nil {
		return err
	}
	if err := c.compileRedfish(v); err != nil {
		return err
	}
	if err := c.compileExpect(v); err != nil {
		return err
	}
	if err := c.compileUserRules(v); err != nil {
		return err
	}
	if err := c.compileActions(v); err != nil {
		return err
	}
	if err := c.checkChannelRules(v); err != nil {
		return err
	}
	return c.compileControls(v)
}

// checkLLDP validates lldp:.
func (c *Config) checkLLDP(v *validator) error {
	if g := c.LLDP.GracePeriod; g < 0 || g > 24*time.Hour {
		return v.fail(fmt.Sprintf("must be a duration from 0 to 24h such as 65s (0: a missing neighbour is blind at once), got %s", g), "lldp", "grace_period")
	}
	for i, a := range c.LLDP.AcceptSameSwitch {
		switch {
		case (a.Bond == "") == (a.Chassis == ""):
			return v.fail(`give exactly one of bond (a bond name or glob, e.g. "bond*") or chassis (a chassis ID such as mac:a6:da:6f:9f:9f:f8, or the switch's system name)`, "lldp", "accept_same_switch", i)
		case a.Bond != "":
			if err := checkGlob(a.Bond); err != nil {
				return v.fail(err.Error(), "lldp", "accept_same_switch", i, "bond")
			}
		case strings.TrimSpace(a.Chassis) != a.Chassis:
			return v.fail(fmt.Sprintf("%q has leading or trailing spaces", a.Chassis), "lldp", "accept_same_switch", i, "chassis")
		}
	}
	return nil
}

// ruleIDs are the IDs of every rule, built-in and the user rules compiled.
func (c *Config) ruleIDs() []string {
	known := rules.RuleIDs()
	for _, u := range c.userRules {
		known = append(known, u.Spec.ID)
	}
	return known
}

// noRuleMatches is the error text for a rule glob that matches no rule ID
// (match tells whether the glob matches an ID), or "" when one matches. A
// glob that would match with '_' for '-' says so: rule IDs use underscores.
func noRuleMatches(pattern string, known []string, match func(pattern, id string) bool) string {
	if slices.ContainsFunc(known, func(id string) bool { return match(pattern, id) }) {
		return ""
	}
	msg := fmt.Sprintf("%q matches no rule", pattern)
	if alt := strings.ReplaceAll(pattern, "-", "_"); alt != pattern && slices.ContainsFunc(known, func(id string) bool { return match(alt, id) }) {
		msg += fmt.Sprintf(" (rule IDs use underscores: %q)", alt)
	}
	return msg + "; `redwatch rules` lists them"
}

// checkChannelRules checks every alert channel's rule globs against the rule
// catalogue: a glob that matches no rule would route nothing, silently. Its
// subject globs without a wildcard (which would cross '/') must have the
// shape of the subjects of the rules the channel takes.
func (c *Config) checkChannelRules(v *validator) error {
	known := c.ruleIDs()
	for i, ch := range c.Alerts.Channels {
		var ids []string
		for j, p := range ch.Rules {
			if msg := noRuleMatches(p, known, alerts.GlobMatch); msg != "" {
				return v.fail(msg, "alerts", "channels", i, "rules", j)
			}
			ids = append(ids, matching(known, func(id string) bool { return alerts.GlobMatch(p, id) })...)
		}
		if len(ch.Rules) == 0 {
			ids = known
		}
		for j, s := range ch.Subjects {
			if strings.ContainsAny(s, "*?") {
				continue
			}
			if msg := subjectMismatch(s, ids); msg != "" {
				return v.fail(msg, "alerts", "channels", i, "subjects", j)
			}
		}
	}
	return nil
}

// matching are the IDs of known that match reports.
func matching(known []string, match func(id string) bool) []string {
	var ids []string
	for _, id := range known {
		if match(id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// subjectMismatch is the error text for a subject glob that can match no
// finding of the rules ids because its shape (GROUP or GROUP/MEMBER, by its
// '/') is not theirs, or "" when it may match. A user rule's subjects are
// its template's, so any shape may match them.
func subjectMismatch(glob string, ids []string) string {
	if strings.Count(glob, "/") > 1 {
		return fmt.Sprintf("%q can match no finding: subjects are GROUP or GROUP/MEMBER, with one '/' at most", glob)
	}
	want := rules.ShapeOf(glob)
	if len(ids) == 0 {
		return ""
	}
	for _, id := range ids {
		if s, ok := rules.SubjectShape(id); !ok || s == want {
			return ""
		}
	}
	which := strings.Join(ids, ", ")
	if len(ids) > 3 {
		which = fmt.Sprintf("the %d rules it applies to", len(ids))
	}
	if want == rules.ShapeGroup {
		return fmt.Sprintf("%q can match no finding of %s: their subjects are GROUP/MEMBER (e.g. bond0/eth1); %q matches the members of %s", glob, which, glob+"/*", glob)
	}
	group, _, _ := strings.Cut(glob, "/")
	return fmt.Sprintf("%q can match no finding of %s: their subjects are a GROUP (e.g. md0); %q matches it", glob, which, group)
}

func (c *Config) compileExpect(v *validator) error {
	c.expect = rules.Expectations{}
	for i, b := range c.Expect.Bonds {
		if b.Name == "" {
			return v.fail("name is required: a bond name (bond0) or a glob (bond*)", "expect", "bonds", i)
		}
		if err := checkGlob(b.Name); err != nil {
			return v.fail(err.Error(), "expect", "bonds", i, "name")
		}
		for j, m := range b.Members {
			if m == "" || strings.ContainsAny(m, "/ \t") {
				return v.fail(fmt.Sprintf("%q is not an interface name", m), "expect", "bonds", i, "members", j)
			}
			if slices.Index(b.Members, m) != j {
				return v.fail(fmt.Sprintf("%q is listed twice", m), "expect", "bonds", i, "members", j)
			}
		}
		if b.MinHealthy < 0 || len(b.Members) > 0 && b.MinHealthy > len(b.Members) {
			return v.fail(fmt.Sprintf("must be between 0 (keep the default, 2) and the number of members (%d), got %d", len(b.Members), b.MinHealthy), "expect", "bonds", i, "min_healthy")
		}
		c.expect.Bonds = append(c.expect.Bonds, rules.BondExpect{Name: b.Name, Members: slices.Clone(b.Members), MinHealthy: b.MinHealthy})
	}
	for i, m := range c.Expect.MD {
		if m.Name == "" {
			return v.fail("name is required: an array name (md0) or a glob (md*)", "expect", "md", i)
		}
		if err := checkGlob(m.Name); err != nil {
			return v.fail(err.Error(), "expect", "md", i, "name")
		}
		if m.Members < 0 || m.Members > 256 {
			return v.fail(fmt.Sprintf("must be the number of member slots (0 = not checked, at most 256), got %d", m.Members), "expect", "md", i, "members")
		}
		c.expect.MD = append(c.expect.MD, rules.MDExpect{Name: m.Name, Members: m.Members, Spare: m.Spare})
	}
	if p := c.Expect.Power; p != nil {
		if p.Present < 0 || p.Present > 64 {
			return v.fail(fmt.Sprintf("must be the number of supplies (0 to 64), got %d", p.Present), "expect", "power", "present")
		}
		if p.Healthy < 0 || p.Present > 0 && p.Healthy > p.Present {
			return v.fail(fmt.Sprintf("must be between 0 and present (%d), got %d", p.Present, p.Healthy), "expect", "power", "healthy")
		}
		c.expect.Power = &rules.PowerExpect{Present: p.Present, Healthy: p.Healthy}
	}
	return nil
}

func (c *Config) compileUserRules(v *validator) error {
	c.userRules = nil
	builtin := rules.RuleIDs()
	seen := map[string]bool{}
	for i, u := range c.UserRules {
		if !ruleIDRE.MatchString(u.ID) {
			return v.fail(fmt.Sprintf("id %q must be lower-case letters, digits and _ (starting with a letter)", u.ID), "user_rules", i, "id")
		}
		if slices.Contains(builtin, u.ID) || seen[u.ID] {
			return v.fail(fmt.Sprintf("id %q is already taken by another rule", u.ID), "user_rules", i, "id")
		}
		seen[u.ID] = true
		sev := rules.Warning
		if u.Severity != "" {
			s, err := rules.ParseSeverity(u.Severity)
			if err != nil {
				return v.fail(fmt.Sprintf("%q is not a severity; allowed: info, warning, critical", u.Severity), "user_rules", i, "severity")
			}
			sev = s
		}
		if u.ForEach != "" && !slices.Contains(rules.ForEachKinds, u.ForEach) {
			return v.fail(fmt.Sprintf("%q cannot be iterated; allowed: %s", u.ForEach, strings.Join(rules.ForEachKinds, ", ")), "user_rules", i, "for_each")
		}
		r, err := rules.CompileUserRule(rules.UserRuleSpec{ID: u.ID, Expr: u.Expr, ForEach: u.ForEach, Severity: sev,
			Subject: u.Subject, Message: u.Message, Checks: u.Checks, Remediation: u.Remediation})
		if err != nil {
			return v.exprError(err, i)
		}
		c.userRules = append(c.userRules, r)
	}
	return nil
}

// exprError places a user rule's compile error: an expression error at the
// line of the expression in the file, with the column in the expression.
func (v *validator) exprError(err error, i int) error {
	var ee *rules.ExprError
	if errors.As(err, &ee) {
		e := v.fail(fmt.Sprintf("%s (at column %d of the expression)", ee.Msg, ee.Column), "user_rules", i, "expr").(*Error) //nolint:errorlint // fail returns its *Error itself, never wrapped
		if n := at(v.doc, "user_rules", i, "expr"); n != nil {
			// A block scalar (| or >) starts on the line after the key.
			if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
				e.Line = n.Line + ee.Line
			} else {
				e.Line = n.Line + ee.Line - 1
			}
		}
		return e
	}
	field := "expr"
	msg := strings.TrimPrefix(err.Error(), "rules: ")
	switch {
	case strings.HasPrefix(msg, "subject template"):
		field = "subject"
	case strings.HasPrefix(msg, "message template"):
		field = "message"
	}
	return v.fail(msg, "user_rules", i, field)
}

func (c *Config) compileControls(v *validator) error {
	c.controls = nil
	known := c.ruleIDs()
	for i, r := range c.Rules {
		if r.ID == "" {
			return v.fail("id is required: a rule ID (see `redwatch rules`) or a glob over rule IDs", "rules", i)
		}
		if err := checkGlob(r.ID); err != nil {
			return v.fail(err.Error(), "rules", i, "id")
		}
		if msg := noRuleMatches(r.ID, known, func(p, id string) bool { ok, _ := path.Match(p, id); return ok }); msg != "" {
			return v.fail(msg, "rules", i, "id")
		}
		ctl := rules.Control{ID: r.ID, Disabled: r.Disabled, For: r.For, Subjects: slices.Clone(r.Subjects)}
		if r.Severity != "" {
			s, err := rules.ParseSeverity(r.Severity)
			if err != nil {
				return v.fail(fmt.Sprintf("%q is not a severity; allowed: info, warning, critical", r.Severity), "rules", i, "severity")
			}
			ctl.Severity = &s
		}
		if r.For < 0 {
			return v.fail(fmt.Sprintf("must be a duration of 0 or more such as 30s, got %s", r.For), "rules", i, "for")
		}
		ids := matching(known, func(id string) bool { ok, _ := path.Match(r.ID, id); return ok })
		for j, s := range r.Subjects {
			if s == "" {
				return v.fail("an empty subject matches nothing; drop subjects: to match every subject", "rules", i, "subjects", j)
			}
			if err := checkGlob(s); err != nil {
				return v.fail(err.Error(), "rules", i, "subjects", j)
			}
			if msg := subjectMismatch(s, ids); msg != "" {
				return v.fail(msg, "rules", i, "subjects", j)
			}
		}
		c.controls = append(c.controls, ctl)
	}
	return nil
}

// compileActions validates actions: and fills each entry's defaults.
func (c *Config) compileActions(v *validator) error {
	for i := range c.Actions.Reenslave {
		r := &c.Actions.Reenslave[i]
		if r.Bond == "" {
			return v.fail("bond is required: a bond name (bond0) or a glob (bond*)", "actions", "reenslave", i)
		}
		if err := checkGlob(r.Bond); err != nil {
			return v.fail(err.Error(), "actions", "reenslave", i, "bond")
		}
		if r.Cooldown < 0 {
			return v.fail(fmt.Sprintf("must be a positive duration such as 5m (0 is the default, %s), got %s", DefaultReenslaveCooldown, r.Cooldown), "actions", "reenslave", i, "cooldown")
		}
		if r.MaxPerHour < 0 || r.MaxPerHour > 60 {
			return v.fail(fmt.Sprintf("must be between 1 and 60 (0 is the default, %d), got %d", DefaultReenslaveMaxPerHour, r.MaxPerHour), "actions", "reenslave", i, "max_per_hour")
		}
		if r.CarrierWait < 0 || r.CarrierWait > time.Minute {
			return v.fail(fmt.Sprintf("must be a duration up to 1m (0 is the default, %s), got %s", DefaultReenslaveCarrierWait, r.CarrierWait), "actions", "reenslave", i, "carrier_wait")
		}
		if r.Cooldown == 0 {
			r.Cooldown = DefaultReenslaveCooldown
		}
		if r.MaxPerHour == 0 {
			r.MaxPerHour = DefaultReenslaveMaxPerHour
		}
		if r.CarrierWait == 0 {
			r.CarrierWait = DefaultReenslaveCarrierWait
		}
	}
	return nil
}

// ReenslaveFor is the first actions.reenslave entry whose glob matches
// bond; nil when none does (re-enslaving is off for it).
func (c *Config) ReenslaveFor(bond string) *Reenslave {
	for i := range c.Actions.Reenslave {
		if ok, err := path.Match(c.Actions.Reenslave[i].Bond, bond); err == nil && ok {
			return &c.Actions.Reenslave[i]
		}
	}
	return nil
}
