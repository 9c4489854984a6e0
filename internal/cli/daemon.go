package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"

	"github.com/redwatch/redwatch/internal/buildinfo"
	"github.com/redwatch/redwatch/internal/config"
	"github.com/redwatch/redwatch/internal/daemon"
	"github.com/redwatch/redwatch/internal/server"
)

// stopTimeout bounds a clean stop after SIGTERM/SIGINT (daemon.Service).
const stopTimeout = daemon.DefaultStopTimeout

// daemonFlags are the daemon's own flags; the zero value of each means
// "what the configuration file says".
type daemonFlags struct {
	rootFlags
	confFlags
	logLevel string
	over     daemon.Overrides
}

// runDaemon parses the daemon's flags and runs daemon.Service: the pass loop,
// the health endpoint and the alerts, until SIGTERM or SIGINT. SIGHUP reloads
// the configuration.
func runDaemon(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet("daemon")
	var f daemonFlags
	f.rootFlags.register(fs)
	f.confFlags.register(fs, true)
	fs.StringVar(&f.over.Listen, "listen", "", "health endpoint `ADDR` as host:port (default "+server.DefaultListen+")")
	fs.alias("listen", "web.listen-address") // node_exporter's spelling
	fs.DurationVar(&f.over.Interval, "interval", 0, "safety-net `DURATION` between passes besides events (default 30s)")
	fs.DurationVar(&f.over.CollectorTimeout, "collector-timeout", 0, "cut off one hung collector after `DURATION` (default 10s)")
	fs.DurationVar(&f.over.SmartInterval, "smart-interval", 0, "read every disk's SMART data with smartctl every `DURATION` (default 30m, disks.smart_interval)")
	fs.StringVar(&f.over.WebConfigFile, "web.config.file", "", "exporter-toolkit web configuration `FILE` for TLS and basic authentication")
	fs.IntVar(&f.over.MaxConnections, "web.max-connections", 0, fmt.Sprintf("cap on concurrent endpoint connections, lowered to fit RLIMIT_NOFILE minus %d descriptors kept for collection and alerts (default %d)", server.FDReserve, server.DefaultMaxConnections))
	maxRequests := fs.Int("web.max-requests", server.DefaultMaxRequests, "cap on /metrics requests served at once, more are answered 503; 0 for no cap")
	procs := fs.Int("runtime.gomaxprocs", defaultMaxProcs(os.Getenv("GOMAXPROCS")), "`N` CPUs the Go scheduler runs the daemon's code on at once (GOMAXPROCS; default 1, or $GOMAXPROCS when set, as node_exporter); 0 for Go's own default, the CPUs available")
	fs.StringVar(&f.logLevel, "log-level", "info", "log `LEVEL`: debug, info, warn or error")
	if code, ok := fs.parse(e, args); !ok {
		return code
	}
	if *procs < 0 {
		return errorf(e, "daemon: --runtime.gomaxprocs %d: want 0 (Go's default) or more", *procs)
	}
	if fs.NArg() > 0 {
		return errorf(e, "daemon: unexpected argument %q", fs.Arg(0))
	}
	switch {
	case *maxRequests < 0:
		return errorf(e, "daemon: --web.max-requests %d: want 0 (no cap) or more", *maxRequests)
	case *maxRequests == 0:
		f.over.MaxRequests = -1
	default:
		f.over.MaxRequests = *maxRequests
	}
	log, err := newLogger(e.stderr, f.logLevel)
	if err != nil {
		return errorf(e, "daemon: %v", err)
	}
	roots, err := f.roots()
	if err != nil {
		return errorf(e, "daemon: %v", err)
	}
	if e.gomaxprocs != nil && *procs > 0 {
		prev := e.gomaxprocs(*procs)
		log.Debug("GOMAXPROCS set", "gomaxprocs", *procs, "was", prev)
	}
	svc := &daemon.Service{
		Roots:       roots,
		LoadConfig:  f.load,
		StateDir:    func(c *config.Config) string { return f.passDir(c, roots) },
		Overrides:   f.over,
		Clock:       e.clock,
		Logger:      log,
		Build:       buildinfo.Get(),
		StopTimeout: stopTimeout,

		ReleaseStartup: true,
	}
	if e.daemonHook != nil {
		e.daemonHook(svc)
	}
	if err := svc.Run(ctx); err != nil {
		return errorf(e, "daemon: %v", err)
	}
	return exitOK
}

// defaultMaxProcs is --runtime.gomaxprocs's default: $GOMAXPROCS when it
// is a number of 1 or more (the runtime has applied it already), else 1:
// a node agent's passes are a few milliseconds of mostly system calls, and
// each scheduler processor keeps its own cached heap spans, so more of them
// cost memory (about 1 MiB from 2 to 32) and threads without a faster verdict.
func defaultMaxProcs(env string) int {
	if n, err := strconv.Atoi(env); err == nil && n >= 1 {
		return n
	}
	return 1
}

// newLogger logs logfmt lines to w. Under systemd (JOURNAL_STREAM set)
// journald adds the time itself, so the lines carry none.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("bad --log-level %q (want debug, info, warn or error)", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if os.Getenv("JOURNAL_STREAM") != "" {
		opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}
