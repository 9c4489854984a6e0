package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"reflect"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/redwatch/redwatch/alerts"
	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/config"
	"github.com/redwatch/redwatch/internal/daemon"
	"github.com/redwatch/redwatch/internal/engine"
	"github.com/redwatch/redwatch/internal/safefile"
	"github.com/redwatch/redwatch/internal/server"
)

// stopTimeout bounds a clean stop after SIGTERM/SIGINT: open HTTP requests
// get this long, and the loop (whose pass sees a cancelled context) must be
// out by then too.
const stopTimeout = 5 * time.Second

// daemonFlags are the daemon's own flags; the zero value of each means
// "what the configuration file says".
type daemonFlags struct {
	rootFlags
	confFlags
	listen, webConfig, logLevel string
	maxConns                    int
	interval, collectorTimeout  time.Duration
}

// daemonHooks let tests see inside a running daemon.
type daemonHooks struct {
	// started is called once the endpoint listens and the loop runs.
	started func(addr net.Addr, d *daemon.Daemon)
	// notifier replaces sd_notify.
	notifier daemon.Notifier
	// onPass sees every pass.
	onPass func(daemon.Report)
}

// hooks is nil outside tests.
var hooks *daemonHooks

// runDaemon runs the node daemon: the pass loop and the health endpoint,
// until SIGTERM or SIGINT. SIGHUP reloads the configuration.
func runDaemon(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet("daemon")
	var f daemonFlags
	f.rootFlags.register(fs)
	f.confFlags.register(fs, true)
	fs.StringVar(&f.listen, "listen", "", "health endpoint `ADDR` as host:port (default "+server.DefaultListen+")")
	fs.alias("listen", "web.listen-address") // node_exporter's spelling
	fs.DurationVar(&f.interval, "interval", 0, "safety-net `DURATION` between passes besides events (default 30s)")
	fs.DurationVar(&f.collectorTimeout, "collector-timeout", 0, "cut off one hung collector after `DURATION` (default 10s)")
	fs.StringVar(&f.webConfig, "web.config.file", "", "exporter-toolkit web configuration `FILE` for TLS and basic authentication")
	fs.IntVar(&f.maxConns, "web.max-connections", 0, fmt.Sprintf("cap on concurrent endpoint connections, lowered to fit RLIMIT_NOFILE minus %d descriptors kept for collection and alerts (default %d)", server.FDReserve, server.DefaultMaxConnections))
	fs.StringVar(&f.logLevel, "log-level", "info", "log `LEVEL`: debug, info, warn or error")
	if code, ok := fs.parse(e, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return errorf(e, "daemon: unexpected argument %q", fs.Arg(0))
	}
	log, err := newLogger(e.stderr, f.logLevel)
	if err != nil {
		return errorf(e, "daemon: %v", err)
	}
	roots, err := f.roots()
	if err != nil {
		return errorf(e, "daemon: %v", err)
	}

	cfg, err := f.load()
	if err != nil {
		return errorf(e, "daemon: %v", err)
	}
	if err := alerts.CheckChannels(cfg.Alerts); err != nil {
		return errorf(e, "daemon: config: %s: %v", cfg.Path, err)
	}
	listen, webConfig := f.listenAndWebConfig(cfg)
	maxConns, nofile, err := f.connectionCap(cfg, log)
	if err != nil {
		return errorf(e, "daemon: %v", err)
	}

	// One engine for the daemon's life: it remembers first-seen times
	// between passes. A reload hands it the new configuration.
	eng := &engine.Engine{Roots: roots, Now: e.now, Config: cfg, StateDir: f.passDir(cfg, roots)}
	first := true // the first Load uses the file read above; a reload re-reads it
	load := func() (daemon.Setup, error) {
		c := cfg
		if !first {
			var err error
			if c, err = f.load(); err != nil {
				return daemon.Setup{}, err
			}
			// A bad secret keeps the old configuration, as a bad file does.
			if err := alerts.CheckChannels(c.Alerts); err != nil {
				return daemon.Setup{}, fmt.Errorf("config: %s: %w", c.Path, err)
			}
			if l, w := f.listenAndWebConfig(c); l != listen || w != webConfig {
				log.Warn("listen address or web config file changed: takes effect on restart",
					"listen", l, "web_config_file", w)
			}
			if d := f.passDir(c, roots); d != eng.StateDir {
				log.Warn("state directory changed: takes effect on restart", "state_dir", d)
			}
			if !reflect.DeepEqual(c.Alerts, cfg.Alerts) {
				log.Warn("alerts configuration changed: takes effect on restart")
			}
			eng.SetConfig(c)
		}
		first = false
		return f.setup(c, eng), nil
	}

	am, err := newAlerts(cfg, eng.StateDir, roots, e.now, log)
	if err != nil {
		return errorf(e, "daemon: %v", err)
	}
	var extra []prometheus.Collector
	if am != nil {
		extra = append(extra, am)
	}
	notifier := daemon.Notifier(daemon.SystemdNotifier{})
	var testOnPass func(daemon.Report)
	if hooks != nil {
		if hooks.notifier != nil {
			notifier = hooks.notifier
		}
		testOnPass = hooks.onPass
	}
	// onPass runs on the loop: Process only copies the pass and returns.
	onPass := func(r daemon.Report) {
		if am != nil && r.Pass != nil {
			am.Process(ctx, r.Pass.Result)
		}
		if testOnPass != nil {
			testOnPass(r)
		}
	}
	// closeAlerts stops the delivery goroutines, after the loop has handed
	// over its last pass; queued notifications stay in the outbox.
	closeAlerts := func() {
		if am != nil {
			_ = am.Close()
		}
	}
	d, err := daemon.New(daemon.Options{
		Load:     load,
		Sources:  daemon.SourcesFor(roots),
		Notifier: notifier,
		Watchdog: daemon.SystemdWatchdog(),
		Logger:   log,
		OnPass:   onPass,
	})
	if err != nil {
		closeAlerts()
		return errorf(e, "daemon: %v", err)
	}
	srv, err := server.New(server.Options{
		Last:     d.Last,
		Interval: d.Interval,
		Reload:   d.Reloaded,
		Now:      e.now,
		Started:  e.now(),
		Version:  Version,
		Logger:   log,
		Extra:    extra,
		Alerts:   alertsFor(am),
		Channels: channelsFor(am),

		MaxConnections: maxConns,
	})
	if err != nil {
		closeAlerts()
		return errorf(e, "daemon: %v", err)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		closeAlerts()
		return errorf(e, "daemon: %v", err)
	}
	if webConfig != "" {
		if err := validateWebConfig(webConfig); err != nil {
			_ = ln.Close()
			closeAlerts()
			return errorf(e, "daemon: %v", err)
		}
	}
	log.Info("starting", "version", Version, "listen", ln.Addr().String(), "interval", d.Interval(),
		"sys", roots.Sys, "proc", roots.Proc, "live", roots.Live, "tls_auth", webConfig != "",
		"max_connections", maxConns, "nofile", nofile)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				log.Info("SIGHUP: reloading the configuration")
				d.Reload()
			}
		}
	}()

	alertsDone := make(chan struct{})
	if am != nil {
		// Not ctx: Run must outlive the loop so that the last pass handed to
		// Process is evaluated; closeAlerts stops it.
		go func() {
			defer close(alertsDone)
			if err := am.Run(context.Background()); err != nil {
				log.Error("alerts", "err", err)
			}
		}()
	} else {
		close(alertsDone)
	}
	loopDone := make(chan error, 1)
	go func() { loopDone <- d.Run(ctx) }()
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Serve(ctx, ln, webConfig, stopTimeout) }()
	if hooks != nil && hooks.started != nil {
		hooks.started(ln.Addr(), d)
	}

	code := exitOK
	select {
	case <-ctx.Done():
	case err := <-srvDone:
		log.Error("endpoint failed", "err", err)
		code = exitError
		srvDone <- nil
	case err := <-loopDone:
		if err != nil {
			log.Error("loop failed", "err", err)
			code = exitError
		}
		loopDone <- nil
	}
	cancel()
	log.Info("stopping")
	deadline := time.NewTimer(stopTimeout + time.Second)
	defer deadline.Stop()
	alertsClosed := make(chan struct{})
	for pending := 3; pending > 0; pending-- {
		select {
		case err := <-loopDone:
			if err != nil {
				log.Error("loop", "err", err)
			}
			go func() { closeAlerts(); <-alertsDone; close(alertsClosed) }()
		case <-alertsClosed:
		case err := <-srvDone:
			if err != nil {
				log.Error("endpoint", "err", err)
			}
		case <-deadline.C:
			log.Error("did not stop in time; exiting anyway")
			return exitError
		}
	}
	log.Info("stopped")
	return code
}

// listenAndWebConfig resolves the endpoint settings: the flag, else the file,
// else the default.
func (f *daemonFlags) listenAndWebConfig(c *config.Config) (listen, webConfig string) {
	listen = firstNonEmpty(f.listen, c.Daemon.Listen, server.DefaultListen)
	webConfig = firstNonEmpty(f.webConfig, c.Daemon.WebConfigFile)
	return listen, webConfig
}

// connectionCap is the endpoint's connection cap: the flag, else the file,
// else the default, lowered (with a warning) to leave server.FDReserve of
// the open files limit to collection, the state and alerts.
func (f *daemonFlags) connectionCap(c *config.Config, log *slog.Logger) (limit int, nofile uint64, err error) {
	want := c.Daemon.MaxConnections
	if f.maxConns != 0 {
		want = f.maxConns
	}
	if nofile, err = server.OpenFilesLimit(); err != nil {
		return 0, 0, err
	}
	limit, lowered, err := server.ConnectionCap(want, nofile)
	if lowered {
		log.Warn("connection cap lowered to leave file descriptors for collection, state and alerts",
			"max_connections", limit, "nofile", nofile, "reserved", server.FDReserve)
	}
	return limit, nofile, err
}

// setup builds the loop's setup from a configuration: flags win over the file.
func (f *daemonFlags) setup(c *config.Config, eng *engine.Engine) daemon.Setup {
	interval := c.Daemon.Interval
	if f.interval > 0 {
		interval = f.interval
	}
	timeout := c.Daemon.CollectorTimeout
	if f.collectorTimeout != 0 {
		timeout = f.collectorTimeout
	}
	eng.SetCollectorTimeout(timeout)
	return daemon.Setup{Runner: eng, Interval: interval, CollectorTimeout: timeout}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
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

// validateWebConfig checks the web configuration file at start, so a typo
// stops the daemon instead of failing every request.
func validateWebConfig(path string) error {
	// A FIFO would hang exporter-toolkit's read: refuse it first.
	if err := safefile.Check(path); err != nil {
		return fmt.Errorf("web config: %w", err)
	}
	return server.ValidateWebConfig(path)
}

// newAlerts builds the alerts manager, or nil when alerts are off. Alerts
// need a state directory, because queued notifications and what fires must
// survive a restart: a captured tree (--root) without --state-dir gets none,
// and then configured channels are disabled with one warning. With no
// channels the manager still keeps the alert state and redwatch_alerts_active.
func newAlerts(cfg *config.Config, stateDir string, roots collectors.Roots, now func() time.Time, log *slog.Logger) (*alerts.Manager, error) {
	if stateDir == "" {
		if len(cfg.Alerts.Channels) > 0 {
			log.Warn("alerts disabled: no state directory (give --state-dir)", "channels", len(cfg.Alerts.Channels))
		}
		return nil, nil
	}
	m, err := alerts.NewManager(cfg.Alerts, stateDir, collectors.Hostname(roots), now, log)
	if err != nil {
		if len(cfg.Alerts.Channels) == 0 { // nothing to deliver: not worth stopping for
			log.Warn("alerts disabled", "err", err)
			return nil, nil
		}
		return nil, err
	}
	log.Info("alerts enabled", "channels", len(cfg.Alerts.Channels), "state_dir", stateDir)
	return m, nil
}

// channelsFor is the status page's view of the alert channels' delivery;
// nil when the daemon sends no alerts.
func channelsFor(m *alerts.Manager) func() []alerts.ChannelStatus {
	if m == nil {
		return nil
	}
	return m.Channels
}

// alertsFor is the status page's view of the active alerts; nil when the
// daemon sends none.
func alertsFor(m *alerts.Manager) func() []alerts.Alert {
	if m == nil {
		return nil
	}
	return m.Alerts
}
