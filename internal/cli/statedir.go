package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/config"
	"github.com/redwatch/redwatch/internal/engine"
	"github.com/redwatch/redwatch/rules"
)

// confFlags are --config and --state-dir, shared by the commands that read
// the configuration or the state.
type confFlags struct {
	config, stateDir string
}

func (c *confFlags) register(fs *flag.FlagSet, withState bool) {
	fs.StringVar(&c.config, "config", "", "configuration `FILE` (default "+config.DefaultPath+"; absent there = defaults)")
	if withState {
		fs.StringVar(&c.stateDir, "state-dir", "", "state `DIR`: baseline, first-seen times, maintenance (default state_dir of the configuration, "+config.DefaultStateDir+")")
	}
}

// load loads the configuration the flags name.
func (c *confFlags) load() (*config.Config, error) { return config.Load(c.config) }

// dir is the state directory: --state-dir, else the configuration's.
func (c *confFlags) dir(cfg *config.Config) string {
	if c.stateDir != "" {
		return c.stateDir
	}
	return cfg.StateDir
}

// passDir is the state directory for a pass over roots: a captured tree
// (--root, --sysfs, --procfs) is another host, so its pass uses no state
// unless --state-dir names one.
func (c *confFlags) passDir(cfg *config.Config, roots collectors.Roots) string {
	if c.stateDir != "" || roots.Live {
		return c.dir(cfg)
	}
	return ""
}

// writeAuditJSON prints the pass's JSON view, indented.
func writeAuditJSON(w io.Writer, p *engine.Pass) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p.View(false))
}

// annotateStatus adds what a pass's status line must say besides the status:
// the maintenance window and how many findings are pending. The first line
// of out is the status line of the table and of the Nagios output.
func annotateStatus(out []byte, p *engine.Pass, nagios bool) []byte {
	var notes []string
	if p.Maintenance != nil {
		notes = append(notes, p.Maintenance.String())
	}
	if n := len(p.Pending); n > 0 {
		notes = append(notes, fmt.Sprintf("%d pending", n))
	}
	if len(notes) == 0 {
		return out
	}
	line, rest, _ := bytes.Cut(out, []byte("\n"))
	s := string(line)
	if nagios {
		// REDWATCH STATUS - summary | perfdata
		note := "[" + strings.ReplaceAll(strings.Join(notes, "; "), "|", "/") + "] "
		if i := strings.Index(s, " - "); i >= 0 {
			s = s[:i+3] + note + s[i+3:]
		}
	} else {
		s += " (" + strings.Join(notes, "; ") + ")"
	}
	return append([]byte(s+"\n"), rest...)
}

// writePending prints the pending findings under the table.
func writePending(w io.Writer, pending []rules.Pending) {
	if len(pending) == 0 {
		return
	}
	fmt.Fprintf(w, "\nPENDING (not counted until they hold for their rule's `for`)\n")
	for _, f := range pending {
		fmt.Fprintf(w, "  %-8s  %-28s  %s\n", strings.ToUpper(f.Severity.String()), f.Rule, f.Message)
		fmt.Fprintf(w, "  %-8s  %-28s  first seen %s, counts from %s\n", "", "", f.FirstSeen.UTC().Format(time.RFC3339), f.Due.UTC().Format(time.RFC3339))
	}
}

// parseInterleaved parses args with fs, allowing flags after positional
// arguments (`baseline accept bond0 --state-dir DIR`). It returns the
// positional arguments, or false with the exit code.
func parseInterleaved(fs *flag.FlagSet, e *env, args []string) ([]string, int, bool) {
	var pos []string
	for {
		if code, ok := parseFlags(fs, e, args); !ok {
			return nil, code, false
		}
		if fs.NArg() == 0 {
			return pos, 0, true
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
