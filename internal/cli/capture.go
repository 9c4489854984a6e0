package cli

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/buildinfo"
	"github.com/redwatch/redwatch/internal/capture"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/config"
	"github.com/redwatch/redwatch/internal/safefile"
)

// defaultCaptureFile is where `redwatch capture` writes without -o.
const defaultCaptureFile = "redwatch-capture.tgz"

// runCapture is `redwatch capture [-o FILE]`: one pass recording every file
// it reads, archived as a tar.gz with a manifest, so that
// `redwatch audit --root DIR` on the extracted tree reproduces the verdict.
func runCapture(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet("capture")
	var rf rootFlags
	rf.register(fs)
	var cf confFlags
	cf.register(fs, true)
	var output string
	var timeout time.Duration
	fs.StringVar(&output, "output", defaultCaptureFile, "write the tar.gz to `FILE` (- for standard output); extract it with tar -xzf FILE -C DIR and audit it with redwatch audit --root DIR")
	fs.alias("output", "o")
	fs.DurationVar(&timeout, "collector-timeout", 0, "cut off one hung collector after `DURATION` (default 10s)")
	if code, ok := fs.parse(e, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return errorf(e, "capture: unexpected argument %q", fs.Arg(0))
	}
	roots, err := rf.roots()
	if err != nil {
		return errorf(e, "capture: %v", err)
	}
	// Never archived: the state and the configuration with its secrets. A
	// configuration that does not load does not stop a capture (it may be
	// the bug being reported); the default state directory is then excluded.
	exclude := []string{cf.config, config.DefaultPath, config.DefaultStateDir, cf.stateDir}
	cfg, err := cf.load()
	if err != nil {
		fmt.Fprintf(e.stderr, "redwatch: capture: %s (capturing anyway)\n", esc(err.Error()))
		cfg = config.Default()
	} else {
		exclude = append(exclude, cfg.StateDir, cfg.Daemon.WebConfigFile)
	}
	// Its secret files are never archived (they are not read through the
	// recorded reads either).
	exclude = append(exclude, cfg.Power.IPMI.PasswordFile, cfg.Power.Redfish.PasswordFile)
	var buf bytes.Buffer
	m, err := capture.Capture(ctx, &buf, capture.Options{Roots: roots, Exclude: exclude, Clock: e.clock,
		Timeout: timeout, Version: buildinfo.Get().Version, Sources: liveSources(ctx, roots, cfg), BMC: bmcReaders(cfg, roots, e.clock)})
	if err != nil {
		return errorf(e, "capture: %v", err)
	}
	if output == "-" {
		if _, err := e.stdout.Write(buf.Bytes()); err != nil {
			return errorf(e, "capture: %v", err)
		}
	} else if err := safefile.WriteAtomic(output, buf.Bytes(), 0o644, false); err != nil {
		return errorf(e, "capture: %v", err)
	}
	name, file := output, output
	if output == "-" {
		name, file = "standard output", "FILE"
	}
	fmt.Fprintf(e.stderr, "redwatch: capture: wrote %s (%d bytes): %d files, %d symlinks, %d failed reads; extract with tar -xzf %s -C DIR, audit with redwatch audit --root DIR\n",
		esc(name), buf.Len(), len(m.Files), len(m.Links), len(m.Failures), esc(file))
	for _, f := range m.Failures {
		fmt.Fprintf(e.stderr, "redwatch: capture: could not read %s: %s\n", esc(f.Path), esc(f.Error))
	}
	return exitOK
}

// bmcReaders are the readers of the BMC cfg names (power.ipmi, and
// power.redfish when it has an endpoint), for one capture of a live host:
// it reads the BMC once, as audit does. A captured tree's BMC is its files:
// no reader.
func bmcReaders(cfg *config.Config, roots collectors.Roots, clk clock.Clock) collectors.SourceOptions {
	var bmc collectors.SourceOptions
	if !roots.Live {
		return bmc
	}
	bmc.IPMI = collectors.NewIPMIReader(cfg.IPMIOptions(), clk)
	if o := cfg.RedfishOptions(); o.Endpoint != "" {
		bmc.Redfish = collectors.NewRedfishReader(o, clk)
	}
	return bmc
}
