package collectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/hostfs"
)

// Hardware RAID tool defaults.
const (
	// DefaultHWRaidInterval is how long the daemon keeps the tools' output
	// before it runs them again.
	DefaultHWRaidInterval = 5 * time.Minute
	// DefaultHWRaidTimeout bounds one run of one tool command.
	DefaultHWRaidTimeout = 30 * time.Second
	// hwraidMaxOutput bounds one command's output (a 240-drive storcli
	// `/call/eall/sall show all J` is a few MiB).
	hwraidMaxOutput = 32 << 20
)

// HWRaidOptions configure the hardware RAID tools (config key hwraid).
type HWRaidOptions struct {
	// Paths are the programs to run per family ("storcli", "storcli2",
	// "ssacli", "arcconf"); a family without one is looked for on PATH and
	// at the vendors' install paths. "none" turns a family off.
	Paths map[string]string
	// Interval is how long the daemon keeps a read; zero is DefaultHWRaidInterval.
	Interval time.Duration
	// Timeout bounds one command; zero is DefaultHWRaidTimeout.
	Timeout time.Duration
}

// raidTool is one family of vendor tools: the programs that speak it and
// where vendors install them.
type raidTool struct {
	family   string
	programs []string
	paths    []string
}

// raidTools are the families run on a live host, in this order.
var raidTools = []raidTool{
	{family: "storcli", programs: []string{"storcli64", "storcli", "perccli64", "perccli"},
		paths: []string{"/opt/MegaRAID/storcli/storcli64", "/opt/MegaRAID/storcli/storcli",
			"/opt/MegaRAID/perccli/perccli64", "/opt/MegaRAID/perccli/perccli", "/opt/lsi/storcli/storcli64"}},
	{family: "storcli2", programs: []string{"storcli2", "perccli2"},
		paths: []string{"/opt/MegaRAID/storcli2/storcli2", "/opt/lsi/storcli2/storcli2", "/opt/MegaRAID/perccli2/perccli2"}},
	{family: "ssacli", programs: []string{"ssacli", "hpssacli", "hpacucli"},
		paths: []string{"/usr/sbin/ssacli", "/opt/smartstorageadmin/ssacli/bin/ssacli", "/usr/sbin/hpssacli", "/usr/sbin/hpacucli"}},
	{family: "arcconf", programs: []string{"arcconf"},
		paths: []string{"/usr/sbin/arcconf", "/usr/Arcconf/arcconf", "/usr/StorMan/arcconf"}},
}

// HWRaidFamilies are the tool families a path can be configured for.
func HWRaidFamilies() []string {
	out := make([]string, 0, len(raidTools))
	for _, t := range raidTools {
		out = append(out, t.family)
	}
	return out
}

// toolDir is a program's folder under T/hwraid: its name without "64".
func toolDir(prog string) string {
	return strings.TrimSuffix(filepath.Base(prog), "64")
}

// commandFile names a command's output file: "/call show all J" ->
// "call-show-all.json", "ctrl all show config detail" -> "ctrl-all-show-config-detail.txt".
func commandFile(args []string, json bool) string {
	var parts []string
	for _, a := range args {
		if json && a == "J" {
			continue
		}
		for _, p := range strings.Split(strings.ToLower(a), "/") {
			if p != "" {
				parts = append(parts, p)
			}
		}
	}
	ext := ".txt"
	if json {
		ext = ".json"
	}
	return strings.Join(parts, "-") + ext
}

// HWRaidRunner runs the vendor tools and keeps their last read. On a live
// host a pass calls Read: without Background, Read runs the tools when the
// last read is older than the interval (the audit: once); with Background
// running, the tools run only on its schedule and Read returns the last
// read (the daemon: a pass, an event or a scrape never starts a tool).
// The tools never run concurrently with themselves.
type HWRaidRunner struct {
	// Clock times the cache and the schedule; nil is the wall clock.
	Clock clock.Clock

	run sync.Mutex // held while the tools run

	mu         sync.Mutex
	opts       HWRaidOptions
	last       *hwraidRead
	background bool
	first      chan struct{} // closed when the first background read is done
	gen        uint64        // runs finished
}

// hwraidRead is one read of the tools.
type hwraidRead struct {
	raid   *HWRaid
	errs   []Error
	at     time.Time
	ranFor time.Duration
}

// DefaultHWRaid is the runner the host's sources use (Sources()); the
// engine configures it and the daemon starts its Background schedule.
var DefaultHWRaid = &HWRaidRunner{}

// Configure replaces the options for the next runs.
func (h *HWRaidRunner) Configure(o HWRaidOptions) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.opts = o
}

func (h *HWRaidRunner) clock() clock.Clock {
	if h.Clock == nil {
		return clock.Real{}
	}
	return h.Clock
}

func (h *HWRaidRunner) options() HWRaidOptions {
	h.mu.Lock()
	defer h.mu.Unlock()
	o := h.opts
	if o.Interval <= 0 {
		o.Interval = DefaultHWRaidInterval
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultHWRaidTimeout
	}
	return o
}

// Background runs the tools now and then every interval until ctx ends;
// from its start on, Read never runs a tool itself. It returns when ctx ends.
func (h *HWRaidRunner) Background(ctx context.Context) {
	h.mu.Lock()
	if h.background {
		h.mu.Unlock()
		return
	}
	h.background = true
	first := make(chan struct{})
	h.first = first
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.background = false
		h.mu.Unlock()
	}()
	clk := h.clock()
	for {
		h.refresh(ctx)
		select {
		case <-first:
		default:
			close(first)
		}
		t := clk.NewTimer(h.options().Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// Read returns the controllers of the tools found on a live host: the last
// read when it is fresh (or Background runs), else a new run.
func (h *HWRaidRunner) Read(ctx context.Context) (*HWRaid, []Error) {
	h.mu.Lock()
	bg, first, last := h.background, h.first, h.last
	h.mu.Unlock()
	if bg {
		if last == nil && first != nil {
			select { // the first background read is under way: wait for it
			case <-first:
			case <-ctx.Done():
				return nil, []Error{{Collector: HWRaidCollector, Err: fmt.Errorf("first read of the RAID tools still running: %w", ctx.Err())}}
			}
			h.mu.Lock()
			last = h.last
			h.mu.Unlock()
		}
		if last == nil {
			return nil, nil
		}
		return last.raid, last.errs
	}
	if last != nil && h.clock().Now().Sub(last.at) < h.options().Interval {
		return last.raid, last.errs
	}
	return h.refresh(ctx)
}

// refresh runs the tools once (never two at a time) and keeps the read. A
// caller that waited for another's run takes that run's read.
func (h *HWRaidRunner) refresh(ctx context.Context) (*HWRaid, []Error) {
	h.mu.Lock()
	gen := h.gen
	h.mu.Unlock()
	h.run.Lock()
	defer h.run.Unlock()
	h.mu.Lock()
	if h.gen != gen && h.last != nil { // a run finished while this one waited
		last := h.last
		h.mu.Unlock()
		return last.raid, last.errs
	}
	h.mu.Unlock()
	o := h.options()
	start := h.clock().Now()
	raid, errs := runRaidTools(ctx, o, raidTools)
	h.mu.Lock()
	h.last = &hwraidRead{raid: raid, errs: errs, at: h.clock().Now(), ranFor: h.clock().Now().Sub(start)}
	h.gen++
	h.mu.Unlock()
	return raid, errs
}

// runRaidTools runs every tool family found. A family with no program
// found is absent hardware: nothing, and no error.
func runRaidTools(ctx context.Context, o HWRaidOptions, tools []raidTool) (*HWRaid, []Error) {
	var (
		ctls []RAIDController
		errs []Error
		used []string
	)
	for _, t := range tools {
		prog := findTool(t, o.Paths[t.family])
		if prog == "" {
			continue
		}
		used = append(used, t.family)
		cs, es := runFamily(ctx, t.family, prog, o.Timeout)
		ctls = append(ctls, cs...)
		errs = append(errs, es...)
	}
	if len(used) == 0 {
		return nil, errs
	}
	return &HWRaid{Tools: used, Controllers: ctls}, errs
}

// findTool returns the program to run for a family: the configured path
// ("none": the family is off), else the first of its programs on PATH or at
// the vendors' install paths; "" when there is none.
func findTool(t raidTool, configured string) string {
	if configured == "none" {
		return ""
	}
	if configured != "" {
		return configured
	}
	for _, p := range t.programs {
		if path, err := findProgram(p); err == nil {
			return path
		}
	}
	for _, p := range t.paths {
		if fi, err := hostfs.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// runFamily runs one family's commands and parses their outputs; every
// output is recorded under hwraid/<tool>/ for `redwatch capture`.
func runFamily(ctx context.Context, family, prog string, timeout time.Duration) ([]RAIDController, []Error) {
	dir := toolDir(prog)
	run := func(json bool, args ...string) ([]byte, string, error) {
		name := HWRaidDir + "/" + dir + "/" + commandFile(args, json)
		out, err := toolCmd{prog: prog, args: args, timeout: timeout, maxOutput: hwraidMaxOutput,
			record: name, recordFailed: true}.run(ctx)
		var f *toolFailure
		if errors.As(err, &f) && f.stderr == "" { // what it said is the output's start
			err = fmt.Errorf("%w: %s", f.err, firstLine(out))
		}
		return out, name, err
	}
	fail := func(name string, err error) []Error {
		return []Error{hostfs.New(HWRaidCollector, prog+" ("+name+")", err)}
	}
	var outs []toolOutput
	switch family {
	case "storcli", "storcli2":
		cmds := [][]string{{"/call", "show", "all", "J"}, {"/call/eall/sall", "show", "all", "J"}}
		if family == "storcli2" {
			cmds = [][]string{{"/c0", "show", "all", "J"}}
		}
		for _, c := range cmds {
			out, name, err := run(true, c...)
			outs = append(outs, toolOutput{name: name, data: out, err: err})
		}
	case "ssacli":
		out, name, err := run(false, "ctrl", "all", "show", "config", "detail")
		outs = append(outs, toolOutput{name: name, data: out, err: err})
	case "arcconf":
		n := 1
		for c := 1; c <= n && c <= 16; c++ {
			out, name, err := run(false, "GETCONFIG", strconv.Itoa(c), "AL")
			outs = append(outs, toolOutput{name: name, data: out, err: err})
			if c == 1 {
				if m := arcFound.FindSubmatch(out); m != nil {
					n, _ = strconv.Atoi(string(m[1]))
				}
			}
			out, name, err = run(false, "GETSTATUS", strconv.Itoa(c))
			outs = append(outs, toolOutput{name: name, data: out, err: err})
		}
	}
	ctls, errs := parseToolOutputs(toolDir(prog), outs)
	for i := range errs {
		errs[i] = fail(errs[i].Path, errs[i].Err)[0]
	}
	return ctls, errs
}

var arcFound = regexp.MustCompile(`Controllers found: (\d+)`)

// toolOutput is one command's output (run, or read from a tree).
type toolOutput struct {
	// name is hwraid/<tool>/<file>.
	name string
	data []byte
	// err is why the command failed (exit status, timeout); the output may
	// still say why (storcli prints its JSON with a failure status).
	err error
}

func firstLine(b []byte) string {
	b = bytes.TrimSpace(b)
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	if len(b) > 200 {
		b = b[:200]
	}
	return string(b)
}

// parseToolOutputs parses the outputs of one tool folder (hwraid/<tool>)
// and merges the controllers they describe. An output that cannot be
// parsed, a command that failed without output saying why, and a tool
// that finds no controller are Errors (Path: the output's name).
func parseToolOutputs(tool string, outs []toolOutput) ([]RAIDController, []Error) {
	var (
		ctls  []RAIDController
		errs  []Error
		tasks = map[string]map[int]arcTask{}
	)
	fam := toolFamily(tool)
	for _, o := range outs {
		var (
			cs  []RAIDController
			err error
		)
		if len(bytes.TrimSpace(o.data)) == 0 {
			if o.err == nil {
				o.err = errors.New("empty output")
			}
			errs = append(errs, Error{Collector: HWRaidCollector, Path: o.name, Err: o.err})
			continue
		}
		base := filepath.Base(o.name)
		switch fam {
		case "storcli", "storcli2":
			var so storcliOutput
			if strings.HasSuffix(base, ".json") {
				so, err = parseStorcli(o.data)
			} else {
				so, err = parseStorcliText(o.data)
			}
			cs = so.Controllers
		case "ssacli":
			cs, err = parseSsacli(o.data)
		case "megacli":
			cs, err = parseMegacli(o.data)
		case "arcconf":
			n := 1
			if m := arcFileNum.FindStringSubmatch(base); m != nil {
				n, _ = strconv.Atoi(m[2])
			}
			if strings.HasPrefix(base, "getstatus") {
				var t map[int]arcTask
				if t, err = parseArcconfStatus(o.data); err == nil {
					tasks["c"+strconv.Itoa(n)] = t
				}
			} else {
				var c RAIDController
				if c, err = parseArcconfConfig(o.data, n); err == nil {
					cs = []RAIDController{c}
				}
			}
		default:
			continue
		}
		if err != nil {
			if o.err != nil && !errors.Is(err, ErrNoController) {
				err = fmt.Errorf("%w (%w)", o.err, err)
			}
			errs = append(errs, Error{Collector: HWRaidCollector, Path: o.name, Err: err})
			continue
		}
		for _, c := range cs {
			c.Tool = fam
			ctls = mergeController(ctls, c)
		}
	}
	for i := range ctls {
		if t := tasks[ctls[i].ID]; t != nil {
			applyArcconfStatus(&ctls[i], t)
		}
	}
	return ctls, errs
}

var arcFileNum = regexp.MustCompile(`^(getconfig|getstatus)-(\d+)`)

// toolFamily is the parser family of a tool folder.
func toolFamily(tool string) string {
	switch tool {
	case "storcli", "perccli":
		return "storcli"
	case "storcli2", "perccli2":
		return "storcli2"
	case "ssacli", "hpssacli", "hpacucli":
		return "ssacli"
	case "arcconf", "megacli":
		return tool
	}
	return ""
}

// mergeController adds c to ctls, merging it into the controller of the
// same tool and ID: what one output says fills what the other left empty;
// VDs and drives are merged by ID, the later output's facts winning.
func mergeController(ctls []RAIDController, c RAIDController) []RAIDController {
	i := slices.IndexFunc(ctls, func(x RAIDController) bool { return x.Tool == c.Tool && x.ID == c.ID })
	if i < 0 {
		return append(ctls, c)
	}
	d := &ctls[i]
	if d.Model == "" {
		d.Model = c.Model
	}
	if d.PCIAddress == "" {
		d.PCIAddress = c.PCIAddress
	}
	if c.Status != "" {
		d.Status, d.StatusOK = c.Status, c.StatusOK
	}
	if c.Cache.Backup != "" {
		d.Cache.Backup, d.Cache.BackupStatus, d.Cache.BackupOK = c.Cache.Backup, c.Cache.BackupStatus, c.Cache.BackupOK
	}
	if c.Cache.Status != "" {
		d.Cache.Status, d.Cache.Disabled = c.Cache.Status, c.Cache.Disabled
	}
	d.Foreign = max(d.Foreign, c.Foreign)
	for _, v := range c.VDs {
		if o := d.Volume(v.ID); o != nil {
			if len(v.Members) == 0 {
				v.Members = o.Members
			}
			if v.OSDevice == "" {
				v.OSDevice = o.OSDevice
			}
			if v.Level == "" {
				v.Level = o.Level
			}
			*o = v
		} else {
			d.VDs = append(d.VDs, v)
		}
	}
	for _, r := range c.Drives {
		if o := d.Drive(r.ID); o != nil {
			if r.MediaErrors == Unknown && r.PredictiveFailures == Unknown {
				r.MediaErrors, r.OtherErrors, r.PredictiveFailures, r.SmartAlert = o.MediaErrors, o.OtherErrors, o.PredictiveFailures, o.SmartAlert
			}
			if r.Serial == "" {
				r.Serial = o.Serial
			}
			if r.Group == "" {
				r.Group = o.Group
			}
			*o = r
		} else {
			d.Drives = append(d.Drives, r)
		}
	}
	return ctls
}

// readHWRaidTree reads a captured tree's T/hwraid/<tool>/* outputs.
func readHWRaidTree(r Roots) (*HWRaid, []Error) {
	if r.Sys == "" {
		return nil, nil
	}
	dir := filepath.Join(filepath.Dir(r.Sys), HWRaidDir)
	tools, err := hostfs.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, []Error{hostfs.New(HWRaidCollector, dir, fmt.Errorf("list RAID tool outputs: %w", err))}
	}
	var (
		h    HWRaid
		errs []Error
	)
	for _, t := range tools {
		if !t.IsDir() || toolFamily(t.Name()) == "" {
			continue
		}
		tdir := filepath.Join(dir, t.Name())
		files, err := hostfs.ReadDir(tdir)
		if err != nil {
			errs = append(errs, hostfs.New(HWRaidCollector, tdir, fmt.Errorf("list RAID tool outputs: %w", err)))
			continue
		}
		var outs []toolOutput
		for _, f := range files {
			if f.IsDir() || !(strings.HasSuffix(f.Name(), ".json") || strings.HasSuffix(f.Name(), ".txt")) {
				continue
			}
			data, p, err := readToolCapture(r, HWRaidDir+"/"+t.Name()+"/"+f.Name(), hwraidMaxOutput)
			if err != nil {
				errs = append(errs, hostfs.New(HWRaidCollector, p, fmt.Errorf("read RAID tool output: %w", err)))
				continue
			}
			outs = append(outs, toolOutput{name: p, data: data})
		}
		ctls, es := parseToolOutputs(t.Name(), outs)
		h.Controllers = append(h.Controllers, ctls...)
		errs = append(errs, es...)
		if !slices.Contains(h.Tools, toolFamily(t.Name())) {
			h.Tools = append(h.Tools, toolFamily(t.Name()))
		}
	}
	if len(h.Tools) == 0 {
		return nil, errs
	}
	sort.SliceStable(h.Controllers, func(i, j int) bool {
		if h.Controllers[i].Tool != h.Controllers[j].Tool {
			return h.Controllers[i].Tool < h.Controllers[j].Tool
		}
		return natCompare(h.Controllers[i].ID, h.Controllers[j].ID) < 0
	})
	return &h, errs
}

// WithHWRaid returns list with its hardware RAID source reading through
// runner (the daemon's, with its schedule; the audit's, read once).
func WithHWRaid(list []Source, runner *HWRaidRunner) []Source {
	out := make([]Source, len(list))
	for i, s := range list {
		if s.Name() == HWRaidCollector {
			s = hwraidSource{runner: runner}
		}
		out[i] = s
	}
	return out
}

// hwraidSource reads the hardware RAID controllers: the vendor tools'
// outputs (run through its runner on a live host, read from T/hwraid in a
// tree) and the RAID drivers' sysfs attributes.
type hwraidSource struct {
	runner *HWRaidRunner
}

func (hwraidSource) Name() string { return HWRaidCollector }

func (src hwraidSource) Collect(ctx context.Context, r Roots) (Part, error) {
	var (
		h    *HWRaid
		errs []Error
	)
	if r.Live {
		rn := src.runner
		if rn == nil {
			rn = DefaultHWRaid
		}
		h, errs = rn.Read(ctx)
	} else {
		h, errs = readHWRaidTree(r)
	}
	kernel, kerrs := readKernelRAID(r)
	errs = append(errs, kerrs...)
	if len(kernel) > 0 {
		if h == nil {
			h = &HWRaid{}
		} else {
			c := *h // the runner's read is shared between passes: copy before adding
			h = &c
		}
		h.Kernel = kernel
	}
	return Part{Set: func(s *Snapshot) { s.HWRaid = h }, Errors: errs}, nil
}
