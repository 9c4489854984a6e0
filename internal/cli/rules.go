package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/redwatch/redwatch/rules"
)

// runRules is `redwatch rules`: every rule, built-in and configured, with
// its default and effective severity, what it checks and the remediation.
func runRules(_ context.Context, e *env, args []string) int {
	fs := newFlagSet("rules")
	var cf confFlags
	cf.register(fs, false)
	var output string
	fs.StringVar(&output, "output", "table", "output `FORMAT`: table or json")
	fs.alias("output", "o")
	if code, ok := fs.parse(e, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return errorf(e, "rules: unexpected argument %q", fs.Arg(0))
	}
	cfg, err := cf.load()
	if err != nil {
		return errorf(e, "rules: %v", err)
	}
	cat := rules.Catalog(cfg.Controls(), cfg.CompiledUserRules())
	switch output {
	case "json":
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(cat); err != nil {
			return errorf(e, "rules: %v", err)
		}
	case "table":
		fmt.Fprintf(e.stdout, "%-30s  %-8s  %-9s  %s\n", "RULE", "SOURCE", "DEFAULT", "EFFECTIVE")
		for _, r := range cat {
			fmt.Fprintf(e.stdout, "%-30s  %-8s  %-9s  %s\n", r.ID, r.Source, r.Severity, r.Effective)
			for _, n := range r.Notes {
				fmt.Fprintf(e.stdout, "    override: %s\n", n)
			}
			fmt.Fprintf(e.stdout, "    checks:      %s\n    remediation: %s\n", r.Checks, orNone(r.Remediation))
		}
	default:
		return errorf(e, "rules: unknown output format %q (want table or json)", output)
	}
	return exitOK
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(none)"
	}
	return s
}
