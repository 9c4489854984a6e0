package cli

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/redwatch/redwatch/internal/engine"
)

// runAudit runs one pass and prints it. The exit code is the Nagios status:
// 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
func runAudit(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	var rf rootFlags
	rf.register(fs)
	var cf confFlags
	cf.register(fs, true)
	var output, color string
	fs.StringVar(&output, "o", "table", "output format: table, json or nagios")
	fs.StringVar(&output, "output", "table", "output format: table, json or nagios")
	fs.StringVar(&color, "color", "auto", "colour the table: auto, always or never")
	if code, ok := parseFlags(fs, e, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return errorf(e, "audit: unexpected argument %q", fs.Arg(0))
	}
	switch output {
	case "table", "json", "nagios":
	default:
		return errorf(e, "audit: unknown output format %q (want table, json or nagios)", output)
	}
	useColor, err := colorMode(color, e.stdout)
	if err != nil {
		return errorf(e, "audit: %v", err)
	}

	cfg, err := cf.load()
	if err != nil {
		return errorf(e, "audit: %v", err)
	}
	roots := rf.roots()
	eng := &engine.Engine{Roots: roots, Now: e.now, Config: cfg, StateDir: cf.passDir(cfg, roots)}
	pass := eng.Run(ctx)
	for _, n := range pass.Notes {
		fmt.Fprintf(e.stderr, "redwatch: audit: %s\n", n)
	}

	switch output {
	case "json":
		if err := writeAuditJSON(e.stdout, pass); err != nil {
			return errorf(e, "audit: %v", err)
		}
	case "nagios":
		writeNagios(e.stdout, pass)
	default:
		writeTable(e.stdout, pass, useColor)
	}
	return pass.Result.Status.ExitCode()
}

// colorMode decides whether to colour: "auto" colours a terminal unless NO_COLOR is set.
func colorMode(mode string, w any) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		if os.Getenv("NO_COLOR") != "" {
			return false, nil
		}
		f, ok := w.(*os.File)
		if !ok {
			return false, nil
		}
		st, err := f.Stat()
		return err == nil && st.Mode()&os.ModeCharDevice != 0, nil
	}
	return false, errorString("unknown --color " + mode + " (want auto, always or never)")
}

type errorString string

func (e errorString) Error() string { return string(e) }
