package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/redwatch/redwatch/alerts"
	"github.com/redwatch/redwatch/internal/config"
)

// exitNotifyFailed is the exit code of `notify test` when a channel failed.
const exitNotifyFailed = 1

// runNotify is `redwatch notify test [--channel NAME] [--config FILE]`: send
// a test alert through each configured channel (or the one named) and print,
// per channel, "delivered" or the error. It exits 1 when any channel failed,
// 3 on a usage or configuration error.
func runNotify(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] != "test" {
		return errorf(e, "notify: usage: redwatch notify test [--channel NAME] [--config FILE] [--timeout DURATION]")
	}
	fs := newFlagSet("notify test")
	var channel, cfgPath, host string
	var timeout time.Duration
	fs.StringVar(&channel, "channel", "", "send through the channel `NAME` only")
	fs.StringVar(&cfgPath, "config", "", "configuration `FILE` (default "+config.DefaultPath+")")
	fs.StringVar(&host, "host", "", "host `NAME` to put in the alert (default: this host's name)")
	fs.DurationVar(&timeout, "timeout", 30*time.Second, "give each channel this `DURATION`")
	pos, code, ok := fs.parseInterleaved(e, args[1:])
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return errorf(e, "notify: unexpected argument %q", pos[0])
	}
	c, err := config.Load(cfgPath)
	if err != nil {
		return errorf(e, "notify: %v", err)
	}
	if len(c.Alerts.Channels) == 0 {
		where := c.Path
		if where == "" {
			where = config.DefaultPath
		}
		return errorf(e, "notify: no alert channels configured in %s (alerts.channels)", where)
	}
	if host == "" {
		if host, err = os.Hostname(); err != nil {
			return errorf(e, "notify: %v", err)
		}
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	results, err := alerts.SendTest(ctx, c.Alerts, host, channel, e.clock, logger, timeout)
	if err != nil {
		return errorf(e, "notify: %v", err)
	}
	failed := 0
	for _, r := range results {
		if r.Err != nil {
			failed++
			fmt.Fprintf(e.stdout, "%s (%s): FAILED: %s\n", esc(r.Channel), esc(r.Type), esc(r.Err.Error()))
			continue
		}
		fmt.Fprintf(e.stdout, "%s (%s): delivered\n", esc(r.Channel), esc(r.Type))
	}
	if failed > 0 {
		fmt.Fprintf(e.stderr, "redwatch: notify: %d of %d channels failed\n", failed, len(results))
		return exitNotifyFailed
	}
	return exitOK
}
