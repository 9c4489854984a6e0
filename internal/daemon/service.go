package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"reflect"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/redwatch/redwatch/alerts"
	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/actions"
	"github.com/redwatch/redwatch/internal/buildinfo"
	"github.com/redwatch/redwatch/internal/config"
	"github.com/redwatch/redwatch/internal/engine"
	"github.com/redwatch/redwatch/internal/lldprecv"
	"github.com/redwatch/redwatch/internal/safefile"
	"github.com/redwatch/redwatch/internal/server"
)

// DefaultStopTimeout bounds a clean stop: open HTTP requests get this long,
// and the loop (whose pass sees a cancelled context) must be out by then too.
const DefaultStopTimeout = 5 * time.Second

// Overrides are what the command line says over the configuration file;
// the zero value of each means "what the file says".
type Overrides struct {
	Listen         string
	WebConfigFile  string
	MaxConnections int
	// MaxRequests caps the /metrics requests served at once (0: the
	// default, server.DefaultMaxRequests; less than 0: no cap).
	MaxRequests      int
	Interval         time.Duration
	CollectorTimeout time.Duration
	// SmartInterval is how often smartctl reads the disks (disks.smart_interval).
	SmartInterval time.Duration
}

// Service is the node daemon's whole life: it reads the configuration,
// builds the engine, the alerts manager, the pass loop and the endpoint,
// runs them until ctx ends or one of them fails, reloads on SIGHUP, and
// stops them in order (the loop hands its last pass to the alerts before
// they close) within StopTimeout. The command line only fills it in.
type Service struct {
	// Roots are the filesystem roots the passes read.
	Roots collectors.Roots
	// LoadConfig reads the configuration file; it is called at start and on
	// every reload.
	LoadConfig func() (*config.Config, error)
	// StateDir is the state directory for a configuration ("" for none);
	// nil means none.
	StateDir func(*config.Config) string
	// Overrides are the command line's settings over the file.
	Overrides Overrides
	// Clock is the clock; nil means RealClock.
	Clock Clock
	// Logger receives the daemon's log; nil means slog.Default().
	Logger *slog.Logger
	// Build is the running build, for the log and /metrics.
	Build buildinfo.Info
	// StopTimeout bounds the stop; zero means DefaultStopTimeout.
	StopTimeout time.Duration

	// Notifier replaces sd_notify (tests); nil means SystemdNotifier.
	Notifier Notifier
	// OnPass sees every pass after the alerts did (tests); it must not block.
	OnPass func(Report)
	// Started is called once the endpoint listens and the loop runs (tests).
	Started func(addr net.Addr, d *Daemon)
	// ReleaseStartup returns what only the start needed once the first
	// pass is done (ReleaseStartupMemory): the command sets it, tests
	// running many daemons in one process need not.
	ReleaseStartup bool
}

// Run runs the daemon until ctx ends (nil error) or a part fails. An error
// before the endpoint listens is a start failure and nothing is left running.
func (s *Service) Run(ctx context.Context) error {
	clock := s.Clock
	if clock == nil {
		clock = RealClock{}
	}
	log := s.Logger
	if log == nil {
		log = slog.Default()
	}
	stopTimeout := s.StopTimeout
	if stopTimeout <= 0 {
		stopTimeout = DefaultStopTimeout
	}

	cfg, err := s.LoadConfig()
	if err != nil {
		return err
	}
	if err := alerts.CheckChannels(cfg.Alerts); err != nil {
		return fmt.Errorf("config: %s: %w", cfg.Path, err)
	}
	listen, webConfig := s.listenAndWebConfig(cfg)
	maxConns, nofile, err := s.connectionCap(cfg, log)
	if err != nil {
		return err
	}

	// One engine for the daemon's life: it remembers first-seen times and
	// hung sources between passes. A reload hands it the new configuration.
	eng := &engine.Engine{Roots: s.Roots, Clock: clock, Config: cfg, StateDir: s.stateDir(cfg)}
	// On a live host smartctl runs in the background on its own interval;
	// the passes read its last results (a scrape never starts a SMART read).
	var (
		smart *collectors.SmartCache
		raid  *collectors.HWRaidRunner
	)
	if s.Roots.Live {
		// The built-in LLDP receiver listens while the daemon runs, where
		// lldpd does not (the lldp source decides each pass, and tells it
		// the interfaces: new ones are picked up by the pass a link event
		// or the interval runs). A captured tree keeps Sources() (its
		// lldp/neighbors.json).
		recv := lldprecv.New(clock, log)
		defer recv.Close()
		smart = &collectors.SmartCache{Interval: cfg.Disks.SmartInterval, Timeout: cfg.Disks.SmartTimeout}
		if s.Overrides.SmartInterval > 0 {
			smart.Interval = s.Overrides.SmartInterval
		}
		eng.Sources = collectors.WithSmart(collectors.SourcesWithLLDP(collectors.NewLLDPSource(collectors.LLDPOptions{Receiver: recv, Clock: clock})), smart)
		// The RAID tools run on their own schedule too (hwraid.interval).
		raid = &collectors.HWRaidRunner{Clock: clock}
		raid.Configure(cfg.HWRaidOptions())
		eng.Sources = collectors.WithHWRaid(eng.Sources, raid)
	}
	var announce func(alerts.Event) // the alerts manager's, once it is built
	// The actions policy: off unless actions.reenslave says otherwise; its
	// findings (reenslave_gave_up) join each pass, its events go through
	// the alert channels, and a change of its findings runs a pass.
	wake := &WakeSource{SourceName: "actions"}
	policy := actions.NewPolicy(actions.Options{Roots: s.Roots, Config: cfg, StateDir: eng.StateDir, Clock: clock, Logger: log,
		Notify: func(ev alerts.Event) {
			if announce != nil {
				announce(ev)
			}
		},
		Changed: func() { wake.Wake("findings changed") }})
	eng.Actions = policy.Findings
	if actions.Enabled(cfg) {
		log.Info("re-enslaving enabled (actions.reenslave)", "entries", len(cfg.Actions.Reenslave))
	}
	first := true // the first load uses the file read above; a reload re-reads it
	load := func() (Setup, error) {
		c := cfg
		if !first {
			var err error
			if c, err = s.LoadConfig(); err != nil {
				return Setup{}, err
			}
			// A bad secret keeps the old configuration, as a bad file does.
			if err := alerts.CheckChannels(c.Alerts); err != nil {
				return Setup{}, fmt.Errorf("config: %s: %w", c.Path, err)
			}
			if l, w := s.listenAndWebConfig(c); l != listen || w != webConfig {
				log.Warn("listen address or web config file changed: takes effect on restart",
					"listen", l, "web_config_file", w)
			}
			if d := s.stateDir(c); d != eng.StateDir {
				log.Warn("state directory changed: takes effect on restart", "state_dir", d)
			}
			if !reflect.DeepEqual(c.Alerts, cfg.Alerts) {
				log.Warn("alerts configuration changed: takes effect on restart")
			}
			eng.SetConfig(c)
			policy.SetConfig(c)
			if raid != nil {
				raid.Configure(c.HWRaidOptions())
			}
		}
		first = false
		return s.setup(c, eng), nil
	}

	am, err := newAlerts(cfg, eng.StateDir, s.Roots, clock, log)
	if err != nil {
		return err
	}
	// Until the group below owns the alerts, a start failure closes them.
	owned := false
	defer func() {
		if am != nil && !owned {
			_ = am.Close()
		}
	}()
	extra := []prometheus.Collector{policy}
	if am != nil {
		extra = append(extra, am)
		announce = am.Announce
	}
	notifier := s.Notifier
	if notifier == nil {
		notifier = SystemdNotifier{}
	}
	released := !s.ReleaseStartup
	d, err := New(Options{
		Load:     load,
		Sources:  append(SourcesFor(s.Roots), wake),
		Clock:    clock,
		Notifier: notifier,
		Watchdog: SystemdWatchdog(),
		Logger:   log,
		// OnPass runs on the loop: Process only copies the pass and returns.
		OnPass: func(r Report) {
			if am != nil && r.Pass != nil {
				am.Process(ctx, r.Pass.Result)
			}
			policy.Kick()
			if !released {
				released = true
				ReleaseStartupMemory(log)
			}
			if s.OnPass != nil {
				s.OnPass(r)
			}
		},
	})
	if err != nil {
		return err
	}
	srv, err := server.New(server.Options{
		Last:     d.Last,
		Interval: d.Interval,
		Reload:   d.Reloaded,
		Clock:    clock,
		Started:  clock.Now(),
		Build:    s.Build,
		Logger:   log,
		Extra:    extra,
		Alerts:   alertsFor(am),
		Channels: channelsFor(am),

		MaxConnections: maxConns,
		MaxRequests:    s.Overrides.MaxRequests,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	if webConfig != "" {
		if err := validateWebConfig(webConfig); err != nil {
			_ = ln.Close()
			return err
		}
	}
	log.Info("starting", "version", s.Build.Version, "listen", ln.Addr().String(), "interval", d.Interval(),
		"sys", s.Roots.Sys, "proc", s.Roots.Proc, "live", s.Roots.Live, "tls_auth", webConfig != "",
		"max_connections", maxConns, "nofile", nofile)

	owned = true
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return reloadOnHangup(gctx, d, log) })
	if smart != nil {
		g.Go(func() error { smart.Run(gctx, s.Roots.Sys); return nil })
	}
	g.Go(func() error { return policy.Run(gctx) })
	if raid != nil {
		g.Go(func() error { raid.Background(gctx); return nil })
	}
	alertsStop := make(chan struct{})
	if am != nil {
		// Not gctx: the alerts must outlive the loop so that the last pass
		// handed to Process is evaluated; the loop's goroutine stops them.
		g.Go(func() error {
			if err := am.Run(context.Background()); err != nil {
				log.Error("alerts", "err", err)
			}
			return nil
		})
		go func() { <-alertsStop; _ = am.Close() }()
	}
	g.Go(func() error {
		defer close(alertsStop) // after the loop's last pass
		if err := d.Run(gctx); err != nil {
			log.Error("loop failed", "err", err)
			return fmt.Errorf("loop: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		if err := srv.Serve(gctx, ln, webConfig, stopTimeout); err != nil {
			log.Error("endpoint failed", "err", err)
			return fmt.Errorf("endpoint: %w", err)
		}
		return nil
	})
	if s.Started != nil {
		s.Started(ln.Addr(), d)
	}

	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	select {
	case err := <-done: // a part failed (or all ended at once)
		log.Info("stopped")
		return err
	case <-gctx.Done():
	}
	log.Info("stopping")
	deadline := clock.NewTimer(stopTimeout + time.Second)
	defer deadline.Stop()
	select {
	case err := <-done:
		log.Info("stopped")
		return err
	case <-deadline.C():
		log.Error("did not stop in time; exiting anyway")
		return errors.New("did not stop in time")
	}
}

// reloadOnHangup reloads the configuration on every SIGHUP until ctx ends.
func reloadOnHangup(ctx context.Context, d *Daemon, log *slog.Logger) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hup:
			log.Info("SIGHUP: reloading the configuration")
			d.Reload()
		}
	}
}

// stateDir is StateDir(c), "" without one.
func (s *Service) stateDir(c *config.Config) string {
	if s.StateDir == nil {
		return ""
	}
	return s.StateDir(c)
}

// listenAndWebConfig resolves the endpoint settings: the flag, else the file,
// else the default.
func (s *Service) listenAndWebConfig(c *config.Config) (listen, webConfig string) {
	listen = firstNonEmpty(s.Overrides.Listen, c.Daemon.Listen, server.DefaultListen)
	webConfig = firstNonEmpty(s.Overrides.WebConfigFile, c.Daemon.WebConfigFile)
	return listen, webConfig
}

// connectionCap is the endpoint's connection cap: the flag, else the file,
// else the default, lowered (with a warning) to leave server.FDReserve of
// the open files limit to collection, the state and alerts.
func (s *Service) connectionCap(c *config.Config, log *slog.Logger) (limit int, nofile uint64, err error) {
	want := c.Daemon.MaxConnections
	if s.Overrides.MaxConnections != 0 {
		want = s.Overrides.MaxConnections
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

// setup builds the loop's setup from a configuration (the flags win over the
// file) and sets the engine's collector timeout.
func (s *Service) setup(c *config.Config, eng *engine.Engine) Setup {
	interval := c.Daemon.Interval
	if s.Overrides.Interval > 0 {
		interval = s.Overrides.Interval
	}
	timeout := c.Daemon.CollectorTimeout
	if s.Overrides.CollectorTimeout != 0 {
		timeout = s.Overrides.CollectorTimeout
	}
	eng.SetCollectorTimeout(timeout)
	return Setup{Runner: eng, Interval: interval, CollectorTimeout: timeout}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
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
func newAlerts(cfg *config.Config, stateDir string, roots collectors.Roots, clk Clock, log *slog.Logger) (*alerts.Manager, error) {
	if stateDir == "" {
		if len(cfg.Alerts.Channels) > 0 {
			log.Warn("alerts disabled: no state directory (give --state-dir)", "channels", len(cfg.Alerts.Channels))
		}
		return nil, nil
	}
	m, err := alerts.NewManager(cfg.Alerts, stateDir, collectors.Hostname(roots), clk, log)
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
