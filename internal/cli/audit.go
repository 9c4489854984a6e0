package cli

import (
	"context"
	"encoding/json"
	"flag"
	"os"

	"github.com/redwatch/redwatch/internal/engine"
)

// runAudit runs one pass and prints it. The exit code is the Nagios status:
// 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
func runAudit(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	var rf rootFlags
	rf.register(fs)
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

	eng := &engine.Engine{Roots: rf.roots(), Now: e.now}
	res := eng.Run(ctx).Result

	switch output {
	case "json":
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return errorf(e, "audit: %v", err)
		}
	case "nagios":
		writeNagios(e.stdout, res)
	default:
		writeTable(e.stdout, res, useColor)
	}
	return res.Status.ExitCode()
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
