package cli

import (
	"encoding/json"
	"io"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/config"
	"github.com/redwatch/redwatch/internal/engine"
)

// confFlags are --config and --state-dir, shared by the commands that read
// the configuration or the state.
type confFlags struct {
	config, stateDir string
}

func (c *confFlags) register(fs *flagSet, withState bool) {
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
