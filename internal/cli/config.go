package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/redwatch/redwatch/alerts"
	"github.com/redwatch/redwatch/internal/config"
)

// exitInvalid is the exit code of `config check` on an invalid file.
const exitInvalid = 1

// runConfig is `redwatch config check [FILE]`: validate without running anything.
func runConfig(_ context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] != "check" {
		return errorf(e, "config: usage: redwatch config check [FILE]")
	}
	pos, code, ok := newFlagSet("config check").parseInterleaved(e, args[1:])
	if !ok {
		return code
	}
	if len(pos) > 1 {
		return errorf(e, "config: unexpected argument %q", pos[1])
	}
	path := ""
	if len(pos) == 1 {
		path = pos[0]
	}
	if path == "" {
		if _, err := os.Stat(config.DefaultPath); errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(e.stdout, "no configuration file at %s: the defaults apply\n", config.DefaultPath)
			return exitOK
		}
	}
	c, err := config.Load(path)
	if err != nil {
		fmt.Fprintf(e.stderr, "redwatch: %s\n", escLines(err.Error()))
		return exitInvalid
	}
	// The secret and CA files, as `notify test` and the daemon read them.
	if err := alerts.CheckChannels(c.Alerts); err != nil {
		fmt.Fprintf(e.stderr, "redwatch: config: %s: %s\n", esc(c.Path), escLines(err.Error()))
		return exitInvalid
	}
	x := c.Expectations()
	power := "no power declared"
	if x.Power != nil {
		power = fmt.Sprintf("power %d present/%d healthy", x.Power.Present, x.Power.Healthy)
	}
	fmt.Fprintf(e.stdout, "%s: ok (expect: %d bonds, %d md, %s; %d rule controls; %d user rules; state_dir %s)\n",
		esc(c.Path), len(x.Bonds), len(x.MD), power, len(c.Controls()), len(c.CompiledUserRules()), esc(c.StateDir))
	return exitOK
}
