package collectors

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/hostfs"
	"github.com/redwatch/redwatch/internal/safefile"
	"github.com/redwatch/redwatch/internal/secret"
	"github.com/redwatch/redwatch/redfish"
)

// RedfishCollector names the Redfish source in errors and durations.
const RedfishCollector = "redfish"

// RedfishCaptureDir is where a captured tree holds the Redfish resources
// read, relative to the tree: each resource at its URL path plus ".json",
// e.g. T/redfish/redfish/v1/Chassis/1/Power.json for
// /redfish/v1/Chassis/1/Power, T/redfish/redfish/v1.json for the service
// root. `redwatch capture` writes them; `audit --root T` walks them from the
// service root as it walks a live service.
const RedfishCaptureDir = "redfish"

// Redfish defaults.
const (
	// DefaultRedfishInterval is how long a Redfish read is reused.
	DefaultRedfishInterval = 60 * time.Second
	// DefaultRedfishTimeout bounds one whole read (session, every resource).
	DefaultRedfishTimeout = 30 * time.Second
)

// RedfishOptions configure the Redfish source (config power.redfish).
type RedfishOptions struct {
	// Endpoint is the BMC's base URL, https://host[:port]; "" turns the
	// source off on a live host.
	Endpoint string
	// Username and the password in PasswordFile (owner-only, 0600; read at
	// each read through internal/secret, never recorded nor printed).
	Username     string
	PasswordFile string
	// Auth is "session" (default: SessionService, X-Auth-Token, deleted
	// after each read) or "basic".
	Auth string
	// CAFile holds the PEM CA certificates the BMC's certificate must chain
	// to; Fingerprint pins its SHA-256. Neither: the system's roots.
	CAFile      string
	Fingerprint string
	// Interval is how long a read is reused (DefaultRedfishInterval when 0).
	Interval time.Duration
	// Timeout bounds one read (DefaultRedfishTimeout when 0).
	Timeout time.Duration
}

// RedfishReader reads the BMC's Redfish power facts and keeps the result
// for Interval: a pass that finds it older starts one refresh in the
// background and uses the result it has, so no pass waits on the BMC after
// the first, no two reads run at once, and a scrape or an event never
// starts one. The first read (nothing cached yet) is made in the pass,
// bounded by Timeout. One reader lives as long as the engine that made it.
type RedfishReader struct {
	opts  RedfishOptions
	cache slowCache[redfishResult]
}

// NewRedfishReader returns a reader with the options; clk nil is the wall
// clock.
func NewRedfishReader(o RedfishOptions, clk clock.Clock) *RedfishReader {
	if o.Interval <= 0 {
		o.Interval = DefaultRedfishInterval
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultRedfishTimeout
	}
	rd := &RedfishReader{opts: o}
	rd.cache = slowCache[redfishResult]{interval: o.Interval, clock: clk}
	return rd
}

// redfishResult is one read of the service.
type redfishResult struct {
	psus []PSU
	red  []PowerRedundancy
	errs []Error
	// at is when the reader read the service (zero for a captured tree).
	at time.Time
}

// read reads the service once, bounded by the timeout; the session is
// deleted afterwards.
func (rd *RedfishReader) read(ctx context.Context) *redfishResult {
	ctx, cancel := context.WithTimeout(ctx, rd.opts.Timeout)
	defer cancel()
	fail := func(err error) *redfishResult {
		return &redfishResult{errs: []Error{{Collector: RedfishCollector, Path: rd.opts.Endpoint, Err: err}}}
	}
	pass, err := secret.Resolve("", rd.opts.PasswordFile)
	if err != nil {
		return fail(fmt.Errorf("password_file: %w", err))
	}
	o := redfish.Options{Endpoint: rd.opts.Endpoint, Username: rd.opts.Username, Password: pass,
		Basic: rd.opts.Auth == "basic", Fingerprint: rd.opts.Fingerprint, Timeout: rd.opts.Timeout}
	if rd.opts.CAFile != "" {
		if o.CAPEM, err = safefile.ReadFile(rd.opts.CAFile, 1<<20); err != nil {
			return fail(fmt.Errorf("ca_file: %w", err))
		}
	}
	c, err := redfish.New(o)
	if err != nil {
		return fail(err)
	}
	facts, err := redfish.Walk(ctx, recording{c})
	closeErr := c.Close(context.WithoutCancel(ctx))
	if err != nil {
		return fail(err)
	}
	res := redfishFacts(facts)
	if closeErr != nil {
		res.errs = append(res.errs, Error{Collector: RedfishCollector, Path: rd.opts.Endpoint, Err: closeErr})
	}
	return res
}

// recording is a Fetcher that records each resource for a capture.
type recording struct{ f redfish.Fetcher }

func (r recording) Fetch(ctx context.Context, p string) ([]byte, error) {
	data, err := r.f.Fetch(ctx, p)
	if err == nil {
		hostfs.RecordOutput(RedfishCaptureDir+p+".json", data)
	}
	return data, err
}

// treeFetcher reads a captured tree's resources (RedfishCaptureDir).
type treeFetcher struct{ dir string }

func (t treeFetcher) Fetch(_ context.Context, p string) ([]byte, error) {
	p, err := redfish.CleanPath(p)
	if err != nil {
		return nil, err
	}
	data, err := hostfs.ReadFile(filepath.Join(t.dir, filepath.FromSlash(p)+".json"), redfish.MaxResource)
	if err != nil {
		return nil, err
	}
	hostfs.RecordOutput(RedfishCaptureDir+p+".json", data)
	return data, nil
}

// redfishSource reads the power facts of the BMC's Redfish service: the
// reader's (cached) on a live host, the captured resources in a tree.
type redfishSource struct{ reader *RedfishReader }

func (redfishSource) Name() string { return RedfishCollector }

func (src redfishSource) Collect(ctx context.Context, r Roots) (Part, error) {
	var res *redfishResult
	switch {
	case !r.Live:
		if r.Sys == "" {
			return Part{}, nil
		}
		dir := filepath.Join(filepath.Dir(r.Sys), RedfishCaptureDir)
		if _, err := hostfs.Stat(filepath.Join(dir, filepath.FromSlash(redfish.ServiceRoot)+".json")); errors.Is(err, fs.ErrNotExist) {
			return Part{}, nil // no Redfish capture: nothing claimed
		}
		facts, err := redfish.Walk(ctx, treeFetcher{dir})
		if err != nil {
			res = &redfishResult{errs: []Error{hostfs.New(RedfishCollector, dir, err)}}
		} else {
			res = redfishFacts(facts)
		}
	case src.reader == nil || src.reader.opts.Endpoint == "":
		return Part{}, nil
	default:
		res = src.reader.cache.get(ctx, func(ctx context.Context) *redfishResult {
			at := src.reader.cache.now()
			r := src.reader.read(ctx)
			r.at = at
			return r
		})
	}
	return Part{Set: func(s *Snapshot) {
		s.PSUs = append(s.PSUs, res.psus...)
		s.PowerRedundancy = append(s.PowerRedundancy, res.red...)
		s.setReadAt(RedfishCollector, res.at)
	}, Errors: res.errs}, nil
}

// redfishFacts maps a service's facts into supplies and redundancy sets.
func redfishFacts(f redfish.Facts) *redfishResult {
	res := &redfishResult{}
	names := redfishNames(f.Supplies)
	byID := map[string]*PSU{}
	for i, s := range f.Supplies {
		p := RedfishPSU(s)
		p.Name = names[i]
		res.psus = append(res.psus, p)
	}
	redfishSlotsFromOne(f.Supplies, res.psus)
	for i, s := range f.Supplies {
		byID[s.ID] = &res.psus[i]
	}
	chassis := map[string]bool{}
	for _, r := range f.Redundancy {
		chassis[r.Chassis] = true
	}
	for _, r := range f.Redundancy {
		pr := RedfishRedundancy(r, byID)
		if len(chassis) > 1 {
			pr.Name = r.Chassis + "/" + pr.Name
		}
		res.red = append(res.red, pr)
	}
	return res
}

// redfishNames names the supplies: their Name, prefixed by the chassis Id
// when two supplies would share one.
func redfishNames(ss []redfish.Supply) []string {
	count := map[string]int{}
	for _, s := range ss {
		count[s.Name]++
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Name
		if count[s.Name] > 1 {
			out[i] = s.Chassis + "/" + s.Name
		}
	}
	return out
}

// redfishSlotsFromOne numbers the bays of each chassis from 1, as IPMI
// does ("PS1", entity instance 1), so that the supply both report is one
// member: a chassis one of whose supplies is bay 0 (the legacy Power
// resource's MemberIds "0", "1", which index its PowerSupplies array; names
// "Power Supply 0", "Power Supply 1") counts from 0, and each of its
// numbered bays moves up by one. psus[i] is ss[i]'s supply.
func redfishSlotsFromOne(ss []redfish.Supply, psus []PSU) {
	zero := map[string]bool{}
	for i, s := range ss {
		zero[s.Chassis] = zero[s.Chassis] || psus[i].Slot == "0"
	}
	for i, s := range ss {
		if n, err := strconv.Atoi(psus[i].Slot); err == nil && zero[s.Chassis] {
			psus[i].Slot = strconv.Itoa(n + 1)
		}
	}
}

// redfishSlot is a supply's bay number: the digits ending its service
// label ("PSU 1"), else its name ("Power Supply Bay 2"), else its MemberId.
func redfishSlot(s redfish.Supply) string {
	for _, v := range []string{s.Label, s.Name} {
		end := len(v)
		i := end
		for i > 0 && v[i-1] >= '0' && v[i-1] <= '9' {
			i--
		}
		if i < end {
			return v[i:end]
		}
	}
	return s.MemberID
}

// RedfishPSU judges one Redfish supply. Status.State Absent is an empty
// bay; LineInputStatus LossOfInput/OutOfRange, or a legacy
// LineInputVoltage of 0, is input lost; Health Critical is failed, Warning
// a predicted failure; State StandbySpare/StandbyOffline a standby supply;
// Disabled/UnavailableOffline/Offline a supply not delivering power
// (failed); Enabled and OK is ok; anything else (no Health, a state in
// transition) is unknown. Reason says it in words.
func RedfishPSU(s redfish.Supply) PSU {
	p := PSU{Name: s.Name, Type: PSUTypeMains, Scope: "System", Source: PSUSourceRedfish, Slot: redfishSlot(s),
		Present: 1, Online: Unknown}
	st := s.Status
	words := "Redfish Status " + st.Words()
	inputLost := s.LineInputStatus == "LossOfInput" || s.LineInputStatus == "OutOfRange" ||
		s.LineInputVoltage != nil && *s.LineInputVoltage == 0
	switch {
	case st.State == "Absent":
		p.State, p.Present, p.Reason = PSUStateAbsent, 0, "bay empty ("+words+")"
	case inputLost:
		why := "LineInputStatus " + s.LineInputStatus
		if s.LineInputStatus == "" {
			why = "LineInputVoltage 0 V"
		}
		p.State, p.Online, p.Reason = PSUStateInputLost, 0, "input lost: "+why+" ("+words+")"
	case st.Health == "Critical":
		p.State, p.Reason = PSUStateFailed, "failed: "+words
	case st.Health == "Warning":
		p.State, p.Reason = PSUStatePredictiveFailure, "warning: "+words
	case st.State == "StandbySpare" || st.State == "StandbyOffline":
		p.State, p.Online, p.Reason = PSUStateStandby, 1, "standby spare: "+words
	case st.State == "Disabled" || st.State == "UnavailableOffline" || st.State == "Offline":
		p.State, p.Online, p.Reason = PSUStateFailed, 0, "not delivering power: "+words
	case st.State == "Enabled" && st.Health == "OK":
		p.State, p.Online = PSUStateOK, 1
	default:
		p.State, p.Reason = PSUStateUnknown, "state not known: "+words
	}
	return p
}

// usable reports whether a supply can carry load: ok, standby, or still
// delivering while predicting its failure.
func usable(p *PSU) bool {
	return p.State == PSUStateOK || p.State == PSUStateStandby || p.State == PSUStatePredictiveFailure
}

// RedfishRedundancy judges one Redfish redundancy set; byID are the
// service's supplies by @odata.id. Status.State Offline, Disabled or
// UnavailableOffline is redundancy lost whatever Health says; Health
// Critical is lost, Warning degraded; Enabled with Health OK is full. With
// MinNeeded given, the members that can carry load are counted (an Absent,
// failed or input-lost bay counts against it): fewer than MinNeeded is
// non-redundant with insufficient supplies, exactly MinNeeded is redundancy
// lost (no spare), whatever the service's Status says.
func RedfishRedundancy(r redfish.Redundancy, byID map[string]*PSU) PowerRedundancy {
	pr := PowerRedundancy{Source: PSUSourceRedfish, Name: r.Name, MinNeeded: r.MinNeeded}
	if pr.MinNeeded < 0 {
		pr.MinNeeded = Unknown
	}
	st := r.Status
	switch {
	case st.State == "Offline" || st.State == "Disabled" || st.State == "UnavailableOffline":
		pr.State = RedundancyLost
	case st.Health == "Critical":
		pr.State = RedundancyLost
	case st.Health == "Warning":
		pr.State = RedundancyDegraded
	case st.State == "Enabled" && st.Health == "OK":
		pr.State = RedundancyFull
	default:
		pr.State = RedundancyUnknown
	}
	msg := []string{"Redfish Status " + st.Words()}
	if r.Mode != "" {
		msg = append(msg, "mode "+r.Mode)
	}
	var members, down []string
	n, ok := 0, 0
	for _, id := range r.Members {
		p := byID[id]
		if p == nil {
			continue
		}
		n++
		members = append(members, p.Name)
		if usable(p) {
			ok++
		} else {
			down = append(down, p.Name+" "+p.State)
		}
	}
	pr.Members = members
	if r.MinNeeded >= 0 && n > 0 {
		msg = append(msg, fmt.Sprintf("%d of %d supplies usable, %d needed", ok, n, r.MinNeeded))
		switch {
		case ok < r.MinNeeded:
			pr.State = RedundancyNonRedundantInsufficient
		case ok == r.MinNeeded && pr.State != RedundancyNonRedundantInsufficient:
			pr.State = RedundancyLost
		}
	}
	if len(down) > 0 {
		msg = append(msg, "not usable: "+strings.Join(down, ", "))
	}
	pr.Message = strings.Join(msg, "; ")
	return pr
}

// slowCache keeps the result of a slow source's read for interval: get
// returns the cached result and, when it is older than interval, starts
// one refresh in the background (never two at once); the first get reads
// in the caller.
type slowCache[T any] struct {
	interval time.Duration
	clock    clock.Clock

	mu      sync.Mutex
	cached  *T
	at      time.Time
	running bool
}

func (c *slowCache[T]) now() time.Time {
	if c.clock == nil {
		return time.Now()
	}
	return c.clock.Now()
}

// get returns the cached result of read, refreshing it as slowCache says.
func (c *slowCache[T]) get(ctx context.Context, read func(context.Context) *T) *T {
	c.mu.Lock()
	if c.cached == nil {
		c.mu.Unlock()
		res := read(ctx)
		c.mu.Lock()
		if c.cached == nil {
			c.cached, c.at = res, c.now()
		}
		c.mu.Unlock()
		return res
	}
	res := c.cached
	if !c.running && c.now().Sub(c.at) >= c.interval {
		c.running = true
		go func() {
			r := read(context.WithoutCancel(ctx))
			c.mu.Lock()
			c.cached, c.at, c.running = r, c.now(), false
			c.mu.Unlock()
		}()
	}
	c.mu.Unlock()
	return res
}

// RedfishSource is the Redfish source reading through rd (nil: only a
// captured tree's resources).
func RedfishSource(rd *RedfishReader) Source { return redfishSource{rd} }
