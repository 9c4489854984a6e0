package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/template"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/redwatch/redwatch/collectors"
)

// Env is what a user rule's expression sees: the host, the redundancy groups
// and the facts per subsystem. Field names are the expr (and template) names.
type Env struct {
	Host   string     `expr:"host" json:"host"`
	Groups []GroupEnv `expr:"groups" json:"groups"`
	Bonds  []BondEnv  `expr:"bonds" json:"bonds"`
	MD     []MDEnv    `expr:"md" json:"md"`
	// Disks are the disks with their SMART/NVMe health (read from captured
	// smartctl output in --root mode; empty on a live host until smartctl runs there).
	Disks []DiskEnv `expr:"disks" json:"disks"`
	PSUs  []PSUEnv  `expr:"psus" json:"psus"`
}

// GroupEnv is a redundancy group as user rules see it.
type GroupEnv struct {
	Kind    string      `expr:"kind" json:"kind"`
	Name    string      `expr:"name" json:"name"`
	Needed  int         `expr:"needed" json:"needed"`
	Healthy int         `expr:"healthy" json:"healthy"`
	Total   int         `expr:"total" json:"total"`
	Members []MemberEnv `expr:"members" json:"members"`
}

// MemberEnv is a group member as user rules see it.
type MemberEnv struct {
	Name      string            `expr:"name" json:"name"`
	State     string            `expr:"state" json:"state"`
	Healthy   bool              `expr:"healthy" json:"healthy"`
	Resources map[string]string `expr:"resources" json:"resources"`
}

// BondEnv is a bond as user rules see it.
type BondEnv struct {
	Name        string     `expr:"name" json:"name"`
	Mode        string     `expr:"mode" json:"mode"`
	MIIStatus   string     `expr:"mii_status" json:"mii_status"`
	MIIMon      int        `expr:"miimon" json:"miimon"`
	ActiveSlave string     `expr:"active_slave" json:"active_slave"`
	Slaves      []SlaveEnv `expr:"slaves" json:"slaves"`
}

// SlaveEnv is a bond slave as user rules see it.
type SlaveEnv struct {
	Name         string `expr:"name" json:"name"`
	MIIStatus    string `expr:"mii_status" json:"mii_status"`
	Speed        int    `expr:"speed" json:"speed"`
	LinkFailures int    `expr:"link_failures" json:"link_failures"`
	AggregatorID int    `expr:"aggregator_id" json:"aggregator_id"`
}

// MDEnv is an md array as user rules see it.
type MDEnv struct {
	Name         string        `expr:"name" json:"name"`
	Level        string        `expr:"level" json:"level"`
	Active       bool          `expr:"active" json:"active"`
	RaidDisks    int           `expr:"raid_disks" json:"raid_disks"`
	ActiveDisks  int           `expr:"active_disks" json:"active_disks"`
	Degraded     int           `expr:"degraded" json:"degraded"`
	SyncAction   string        `expr:"sync_action" json:"sync_action"`
	SyncProgress float64       `expr:"sync_progress" json:"sync_progress"`
	Members      []MDMemberEnv `expr:"members" json:"members"`
}

// MDMemberEnv is an md member as user rules see it.
type MDMemberEnv struct {
	Name       string `expr:"name" json:"name"`
	State      string `expr:"state" json:"state"`
	Disk       string `expr:"disk" json:"disk"`
	Controller string `expr:"controller" json:"controller"`
}

// DiskEnv is a disk's health as user rules see it (collectors.SmartReport);
// a fact the disk does not report is -1.
type DiskEnv struct {
	Name            string `expr:"name" json:"name"`
	Model           string `expr:"model" json:"model"`
	Serial          string `expr:"serial" json:"serial"`
	SmartPassed     bool   `expr:"smart_passed" json:"smart_passed"`
	PercentageUsed  int    `expr:"percentage_used" json:"percentage_used"`
	CriticalWarning int    `expr:"critical_warning" json:"critical_warning"`
	TemperatureC    int    `expr:"temperature_celsius" json:"temperature_celsius"`
}

// PSUEnv is a power supply as user rules see it.
type PSUEnv struct {
	Name string `expr:"name" json:"name"`
	// Type is "Mains", "Battery", "UPS", ...; only Mains supplies are power redundancy.
	Type string `expr:"type" json:"type"`
	// State is online, offline, absent, unhealthy or unknown.
	State   string `expr:"state" json:"state"`
	Present bool   `expr:"present" json:"present"`
	Healthy bool   `expr:"healthy" json:"healthy"`
	Health  string `expr:"health" json:"health"`
}

// ForEachKinds are the collections a per-item user rule can iterate.
var ForEachKinds = []string{"groups", "bonds", "md", "disks", "psus"}

// zeroItems are one zero item per collection, to check templates at compile time.
var zeroItems = map[string]any{
	"groups": GroupEnv{}, "bonds": BondEnv{}, "md": MDEnv{}, "disks": DiskEnv{}, "psus": PSUEnv{},
}

// UserRuleSpec is a user rule as configured.
type UserRuleSpec struct {
	ID string
	// Expr is an expr-lang expression. Without ForEach it is over Env and
	// must be a bool; with ForEach it is a predicate over each item of that
	// collection, whose fields are written .field (the item itself is #).
	Expr    string
	ForEach string
	// Severity is the findings' severity.
	Severity Severity
	// Subject and Message are text/template templates over the item (with
	// ForEach) or over Env; the subject defaults to the item's name or the ID.
	Subject, Message    string
	Checks, Remediation string
}

// UserRule is a compiled user rule.
type UserRule struct {
	Spec    UserRuleSpec
	prog    *vm.Program
	subject *template.Template
	message *template.Template
}

// ExprError is a compile error of a user rule's expression, with the
// position in the expression (1-based line and column).
type ExprError struct {
	Line, Column int
	Msg          string
}

func (e *ExprError) Error() string {
	return fmt.Sprintf("rules: expression line %d column %d: %s", e.Line, e.Column, e.Msg)
}

// CompileUserRule compiles a user rule against the typed Env, so an unknown
// field, a wrong type or a syntax error is found at configuration load.
func CompileUserRule(s UserRuleSpec) (*UserRule, error) {
	if strings.TrimSpace(s.Expr) == "" {
		return nil, errors.New("rules: expr is empty")
	}
	src, shift := s.Expr, 0
	opts := []expr.Option{expr.Env(Env{}), expr.Optimize(true)}
	data := any(envMapZero())
	if s.ForEach != "" {
		z, ok := zeroItems[s.ForEach]
		if !ok {
			return nil, fmt.Errorf("rules: for_each %q is not one of %s", s.ForEach, strings.Join(ForEachKinds, ", "))
		}
		prefix := "filter(" + s.ForEach + ", "
		src, shift = prefix+s.Expr+"\n)", len(prefix)
		data = toMap(z)
	} else {
		opts = append(opts, expr.AsBool())
	}
	prog, err := expr.Compile(src, opts...)
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			col := fe.Column + 1
			if fe.Line == 1 {
				col -= shift
			}
			return nil, &ExprError{Line: fe.Line, Column: max(col, 1), Msg: fe.Message}
		}
		return nil, fmt.Errorf("rules: %w", err)
	}
	u := &UserRule{Spec: s, prog: prog}
	if u.subject, err = parseTemplate("subject", s.Subject, data); err != nil {
		return nil, err
	}
	if u.message, err = parseTemplate("message", s.Message, data); err != nil {
		return nil, err
	}
	return u, nil
}

func parseTemplate(what, text string, zero any) (*template.Template, error) {
	if text == "" {
		return nil, nil
	}
	t, err := template.New(what).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("rules: %s template: %w", what, err)
	}
	if err := t.Execute(&bytes.Buffer{}, zero); err != nil {
		return nil, fmt.Errorf("rules: %s template: %w", what, err)
	}
	return t, nil
}

// toMap turns an env value into what templates see: a map keyed by the
// expr/json field names.
func toMap(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

func envMapZero() any { return toMap(Env{}) }

// NewEnv builds the user rules' environment from a snapshot and its groups.
func NewEnv(s *collectors.Snapshot, groups []Group) Env {
	e := Env{Host: s.Host, Groups: []GroupEnv{}, Bonds: []BondEnv{}, MD: []MDEnv{}, Disks: []DiskEnv{}, PSUs: []PSUEnv{}}
	for _, g := range groups {
		ge := GroupEnv{Kind: g.Kind, Name: g.Name, Needed: g.Needed, Healthy: g.Healthy, Total: g.Total, Members: []MemberEnv{}}
		for _, m := range g.Members {
			ge.Members = append(ge.Members, MemberEnv{Name: m.Name, State: m.State, Healthy: m.Healthy, Resources: m.Resources})
		}
		e.Groups = append(e.Groups, ge)
	}
	for _, b := range s.Bonds {
		be := BondEnv{Name: b.Name, Mode: b.Mode, MIIStatus: b.MIIStatus, MIIMon: b.MIIMon, ActiveSlave: b.ActiveSlave, Slaves: []SlaveEnv{}}
		for _, sl := range b.Slaves {
			be.Slaves = append(be.Slaves, SlaveEnv{Name: sl.Name, MIIStatus: sl.MIIStatus, Speed: sl.Speed, LinkFailures: sl.LinkFailures, AggregatorID: sl.AggregatorID})
		}
		e.Bonds = append(e.Bonds, be)
	}
	for _, a := range s.MD {
		me := MDEnv{Name: a.Name, Level: a.Level, Active: a.Active, RaidDisks: a.RaidDisks, ActiveDisks: a.ActiveDisks,
			Degraded: a.Degraded, SyncAction: a.SyncAction, SyncProgress: a.SyncProgress, Members: []MDMemberEnv{}}
		for _, m := range a.Members {
			me.Members = append(me.Members, MDMemberEnv{Name: m.Name, State: m.State, Disk: m.Disk, Controller: m.Controller})
		}
		e.MD = append(e.MD, me)
	}
	for i := range s.PSUs {
		p := &s.PSUs[i]
		st := psuState(p)
		e.PSUs = append(e.PSUs, PSUEnv{Name: p.Name, Type: p.Type, State: st, Present: p.Present != 0, Healthy: st == StateOnline, Health: p.Health})
	}
	for _, d := range s.Disks {
		sm := &d.Smart
		e.Disks = append(e.Disks, DiskEnv{Name: d.Name, Model: sm.Model, Serial: sm.Serial, SmartPassed: sm.Passed != nil && *sm.Passed,
			PercentageUsed: sm.PercentageUsed, CriticalWarning: sm.CriticalWarning, TemperatureC: sm.TemperatureC})
	}
	return e
}

// eval runs the rule over env, emitting its findings; envMap returns env
// as templates see it.
func (u *UserRule) eval(env Env, envMap func() any, emit func(Finding)) error {
	out, err := expr.Run(u.prog, env)
	if err != nil {
		return err
	}
	if u.Spec.ForEach == "" {
		if ok, _ := out.(bool); ok {
			f, err := u.finding(envMap(), u.Spec.ID)
			if err != nil {
				return err
			}
			emit(f)
		}
		return nil
	}
	items, ok := out.([]any)
	if !ok {
		return fmt.Errorf("for_each result is %T, not a list", out)
	}
	for _, it := range items {
		data := toMap(it)
		name := ""
		if m, ok := data.(map[string]any); ok {
			name, _ = m["name"].(string)
		}
		f, err := u.finding(data, name)
		if err != nil {
			return err
		}
		emit(f)
	}
	return nil
}

func (u *UserRule) finding(data any, defSubject string) (Finding, error) {
	f := Finding{Subject: defSubject, Severity: u.Spec.Severity}
	if u.subject != nil {
		var b strings.Builder
		if err := u.subject.Execute(&b, data); err != nil {
			return f, err
		}
		f.Subject = b.String()
	}
	if f.Subject == "" {
		f.Subject = u.Spec.ID
	}
	f.Message = fmt.Sprintf("%s: %s", f.Subject, u.Spec.ID)
	if u.message != nil {
		var b strings.Builder
		if err := u.message.Execute(&b, data); err != nil {
			return f, err
		}
		f.Message = b.String()
	}
	return f, nil
}
