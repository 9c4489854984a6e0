package collectors

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	ipmiclient "github.com/bougou/go-ipmi/pkg/client"
	ipmitypes "github.com/bougou/go-ipmi/pkg/types"

	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/hostfs"
	"github.com/redwatch/redwatch/internal/secret"
	"github.com/redwatch/redwatch/ipmi"
)

// IPMICollector names the IPMI source in errors and durations.
const IPMICollector = "ipmi"

// Where a captured tree holds the BMC's sensors (beside ROOT/sys): redwatch's
// own dump, else an ipmitool listing.
const (
	// IPMIDumpPath is redwatch's raw SDR + reading dump (ipmi.Dump), written
	// by `redwatch capture`.
	IPMIDumpPath = "ipmi/sdr.json"
	// IPMIListingPath is an ipmitool listing (`sdr elist`, `sdr list` or
	// `sensor list` output) put there by hand.
	IPMIListingPath = "ipmi/sdr.txt"
)

// IPMI defaults.
const (
	// DefaultIPMIInterval is how long a BMC read is reused.
	DefaultIPMIInterval = 60 * time.Second
	// DefaultIPMITimeout bounds one whole BMC read (connect, SDR walk,
	// readings).
	DefaultIPMITimeout = 20 * time.Second
	// DefaultIPMICipherSuite is the RMCP+ cipher suite tried first
	// (HMAC-SHA256, AES-CBC-128); suite 3 (HMAC-SHA1) is the fallback.
	DefaultIPMICipherSuite = 17
	// maxSDRRecords bounds an SDR walk: a repository holds a few hundred.
	maxSDRRecords = 4096
	// bmcAddress is the BMC's IPMB address: the owner of the sensors read
	// without bridging.
	bmcAddress = 0x20
)

// IPMIOptions configure the IPMI source (config power.ipmi).
type IPMIOptions struct {
	// Disabled turns the IPMI source off.
	Disabled bool
	// Address is the BMC's LAN address, host or host:port (port 623 when
	// not given); "" reads the host's own BMC in-band through /dev/ipmi0 when
	// the device exists.
	Address string
	// Username and the password in PasswordFile (owner-only, 0600; read at
	// each BMC read through internal/secret, never recorded by a capture
	// nor printed) authenticate over LAN.
	Username     string
	PasswordFile string
	// CipherSuites are the RMCP+ cipher suites tried in order; nil means
	// 17, then 3.
	CipherSuites []int
	// Interval is how long a read is reused (DefaultIPMIInterval when 0).
	Interval time.Duration
	// Timeout bounds one read (DefaultIPMITimeout when 0).
	Timeout time.Duration
}

// IPMIReader reads the BMC's supply and redundancy sensors and keeps the
// result for Interval: a pass that finds it older starts one refresh in the
// background and uses the result it has, so no pass waits on a BMC after the
// first, no two reads run at once, and a scrape or an event never starts
// one. The first read (nothing cached yet) is made in the pass, bounded by
// Timeout. One reader lives as long as the engine that made it.
type IPMIReader struct {
	opts  IPMIOptions
	clock clock.Clock

	// readBMC reads the BMC once; nil means (*IPMIReader).readBMC (tests
	// count and hold the reads).
	readBMCFn func(ctx context.Context, devDir string) *ipmiResult

	mu      sync.Mutex
	cached  *ipmiResult
	at      time.Time
	running bool
}

// NewIPMIReader returns a reader with the options; clk nil is the wall clock.
func NewIPMIReader(o IPMIOptions, clk clock.Clock) *IPMIReader {
	if clk == nil {
		clk = clock.Real{}
	}
	if o.Interval <= 0 {
		o.Interval = DefaultIPMIInterval
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultIPMITimeout
	}
	return &IPMIReader{opts: o, clock: clk}
}

// ipmiResult is one read of the BMC.
type ipmiResult struct {
	facts ipmi.Facts
	errs  []Error
	// none is set when there is no BMC to read (no /dev/ipmi0, no address).
	none bool
	// path is where the facts were read (the device, the address, the
	// captured file), for the errors of sensors that could not be read.
	path string
	// at is when the reader read the BMC (zero for a captured tree).
	at time.Time
}

// read returns the cached result, refreshing it as the reader's doc says.
func (rd *IPMIReader) read(ctx context.Context, devDir string) *ipmiResult {
	rd.mu.Lock()
	if rd.cached == nil {
		rd.mu.Unlock()
		res := rd.readNow(ctx, devDir)
		rd.mu.Lock()
		if rd.cached == nil || rd.at.Before(rd.clock.Now()) {
			rd.cached, rd.at = res, rd.clock.Now()
		}
		rd.mu.Unlock()
		return res
	}
	res := rd.cached
	if !rd.running && rd.clock.Now().Sub(rd.at) >= rd.opts.Interval {
		rd.running = true
		go func() {
			r := rd.readNow(context.WithoutCancel(ctx), devDir)
			rd.mu.Lock()
			rd.cached, rd.at, rd.running = r, rd.clock.Now(), false
			rd.mu.Unlock()
		}()
	}
	rd.mu.Unlock()
	return res
}

// readNow reads the BMC once, bounded by the timeout. go-ipmi's in-band
// transport may not honour the context while it waits on the device: the
// read runs in its own goroutine and is abandoned (and reported) at the
// deadline.
func (rd *IPMIReader) readNow(ctx context.Context, devDir string) *ipmiResult {
	ctx, cancel := context.WithTimeout(ctx, rd.opts.Timeout)
	defer cancel()
	done := make(chan *ipmiResult, 1)
	read := rd.readBMCFn
	if read == nil {
		read = rd.readBMC
	}
	at := rd.clock.Now()
	go func() { done <- read(ctx, devDir) }()
	timer := rd.clock.NewTimer(rd.opts.Timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		r.at = at
		return r
	case <-timer.C():
	case <-ctx.Done():
	}
	return &ipmiResult{at: at, errs: []Error{{Collector: IPMICollector, Path: rd.where(devDir),
		Err: fmt.Errorf("ipmi: no answer from the BMC within %s", rd.opts.Timeout)}}}
}

// where names the BMC read in errors: its address or the device.
func (rd *IPMIReader) where(devDir string) string {
	if rd.opts.Address != "" {
		return "lanplus://" + rd.hostPort()
	}
	return filepath.Join(devDir, "ipmi0")
}

func (rd *IPMIReader) hostPort() string {
	if _, _, err := net.SplitHostPort(rd.opts.Address); err == nil {
		return rd.opts.Address
	}
	return net.JoinHostPort(rd.opts.Address, "623")
}

// readBMC connects, walks the SDR repository and reads the supply and
// redundancy sensors.
func (rd *IPMIReader) readBMC(ctx context.Context, devDir string) *ipmiResult {
	where := rd.where(devDir)
	fail := func(err error) *ipmiResult {
		return &ipmiResult{errs: []Error{{Collector: IPMICollector, Path: where, Err: err}}}
	}
	var c *ipmiclient.Client
	if rd.opts.Address != "" {
		host, portS, _ := net.SplitHostPort(rd.hostPort())
		port, err := strconv.Atoi(portS)
		if err != nil {
			return fail(fmt.Errorf("ipmi: bad port in address %q", rd.opts.Address))
		}
		pass, err := secret.Resolve("", rd.opts.PasswordFile)
		if err != nil {
			return fail(fmt.Errorf("ipmi: password_file: %w", err))
		}
		c, err = ipmiclient.NewClient(host, port, rd.opts.Username, pass)
		if err != nil {
			return fail(fmt.Errorf("ipmi: %w", err))
		}
		suites := rd.opts.CipherSuites
		if len(suites) == 0 {
			suites = []int{DefaultIPMICipherSuite, 3}
		}
		ids := make([]ipmitypes.CipherSuiteID, 0, len(suites)+1)
		for _, s := range suites {
			ids = append(ids, ipmitypes.CipherSuiteID(s))
		}
		if len(ids) == 1 {
			// go-ipmi takes one suite as "use this one", two or more as
			// "try in order"; the reserved ID it drops makes a list.
			ids = append(ids, ipmitypes.CipherSuiteIDReserved)
		}
		c.WithCipherSuiteID(ids...).WithMaxPrivilegeLevel(ipmitypes.PrivilegeLevelUser).WithTimeout(2 * time.Second).WithRetry(1)
	} else {
		if _, err := hostfs.Stat(where); errors.Is(err, fs.ErrNotExist) {
			return &ipmiResult{none: true}
		} else if err != nil {
			return fail(fmt.Errorf("ipmi: %w", err))
		}
		var err error
		if c, err = ipmiclient.NewOpenClient(); err != nil {
			return fail(fmt.Errorf("ipmi: %w", err))
		}
	}
	if err := c.Connect(ctx); err != nil {
		return fail(fmt.Errorf("ipmi: connect: %w", err))
	}
	defer c.Close(context.WithoutCancel(ctx)) //nolint:errcheck // closing a session we only read from

	recs, err := walkSDR(ctx, c)
	if err != nil {
		return fail(err)
	}
	if data, err := ipmi.MarshalDump(recs); err == nil {
		hostfs.RecordOutput(IPMIDumpPath, data)
	}
	entries, err := dumpEntries(recs)
	if err != nil {
		return fail(err)
	}
	return &ipmiResult{facts: ipmi.Decode(entries), path: where}
}

// dumpEntries decodes raw records through the same path a captured dump
// takes.
func dumpEntries(recs []ipmi.DumpRecord) ([]ipmi.Entry, error) {
	data, err := ipmi.MarshalDump(recs)
	if err != nil {
		return nil, fmt.Errorf("ipmi: %w", err)
	}
	return ipmi.ParseDump(data)
}

// walkSDR walks the SDR repository and reads each supply and redundancy
// sensor's reading, keeping the raw bytes.
func walkSDR(ctx context.Context, c *ipmiclient.Client) ([]ipmi.DumpRecord, error) {
	var out []ipmi.DumpRecord
	seen := map[uint16]bool{}
	for id, n := uint16(0), 0; id != 0xffff; n++ {
		if n >= maxSDRRecords || seen[id] {
			return nil, fmt.Errorf("ipmi: SDR repository walk does not end (record %#04x again, or more than %d records)", id, maxSDRRecords)
		}
		seen[id] = true
		res, err := getSDR(ctx, c.GetSDR, id)
		if err != nil {
			return nil, fmt.Errorf("ipmi: get SDR record %#04x: %w", id, err)
		}
		s, ok, err := ipmi.ParseSDR(res.RecordData)
		if err != nil {
			return nil, err
		}
		id = res.NextRecordID
		if !ok || s.Kind() == ipmi.KindOther {
			continue
		}
		rec := ipmi.DumpRecord{SDR: hex.EncodeToString(res.RecordData)}
		if s.Owner != bmcAddress {
			rec.ReadingError = fmt.Sprintf("sensor owner %#02x is not the BMC (%#02x): not read (bridged sensors are not supported)", s.Owner, bmcAddress)
		} else if raw, err := c.RawCommand(ctx, ipmitypes.NetFnSensorEventRequest, 0x2d, []byte{s.Number}, "Get Sensor Reading"); err != nil {
			rec.ReadingError = fmt.Sprintf("get sensor reading %#02x: %v", s.Number, err)
		} else {
			rec.Reading = hex.EncodeToString(raw.Response)
		}
		out = append(out, rec)
	}
	return out, nil
}

// sdrReservationRetries is how often a record is asked for again when
// another reader of the repository cancelled the reservation it was read
// under (completion code C5h): ipmitool retries the same way.
const sdrReservationRetries = 5

// getSDR reads one SDR record with get, asking again with a new reservation
// while the BMC answers "reservation cancelled" (another process, e.g. an
// audit beside the daemon, reserved the repository in the middle of a
// partial read).
func getSDR[T any](ctx context.Context, get func(context.Context, uint16) (T, error), id uint16) (T, error) {
	for try := 0; ; try++ {
		res, err := get(ctx, id)
		if re, ok := ipmitypes.IsResponseError(err); !ok || re.CompletionCode() != ipmitypes.CodeReservationCanceled ||
			try >= sdrReservationRetries || ctx.Err() != nil {
			return res, err
		}
	}
}

// ipmiSource reads the BMC's supplies (PSU.Source "ipmi") and redundancy
// sets: a captured tree's T/ipmi/sdr.json or T/ipmi/sdr.txt under --root,
// the BMC (in-band or lanplus) on a live host.
type ipmiSource struct{ reader *IPMIReader }

func (ipmiSource) Name() string { return IPMICollector }

func (src ipmiSource) Collect(ctx context.Context, r Roots) (Part, error) {
	var res *ipmiResult
	switch {
	case !r.Live:
		res = readIPMITree(r)
	case src.reader == nil:
		res = NewIPMIReader(IPMIOptions{}, nil).read(ctx, r.Dev)
	case src.reader.opts.Disabled:
		res = &ipmiResult{none: true}
	default:
		res = src.reader.read(ctx, r.Dev)
	}
	psus, reds := ipmiFacts(res.facts)
	errs := res.errs
	// Fail closed: a sensor the BMC could not read makes the pass UNKNOWN,
	// with the sensor and the reason.
	for _, p := range psus {
		if p.State == PSUStateUnknown {
			errs = append(errs, Error{Collector: IPMICollector, Path: res.path, Err: fmt.Errorf("ipmi: supply sensor %q: %s", p.Name, p.Reason)})
		}
	}
	for _, r := range reds {
		if r.State == RedundancyUnknown {
			errs = append(errs, Error{Collector: IPMICollector, Path: res.path, Err: fmt.Errorf("ipmi: redundancy sensor %q: %s", r.Name, r.Message)})
		}
	}
	return Part{Set: func(s *Snapshot) {
		s.PSUs = append(s.PSUs, psus...)
		s.PowerRedundancy = append(s.PowerRedundancy, reds...)
		s.setReadAt(IPMICollector, res.at)
	}, Errors: errs}, nil
}

// maxIPMIFile bounds a captured dump or listing.
const maxIPMIFile = 8 << 20

// readIPMITree reads a captured tree's dump, else its listing; neither is
// no BMC (no error).
func readIPMITree(r Roots) *ipmiResult {
	if r.Sys == "" {
		return &ipmiResult{none: true}
	}
	base := filepath.Dir(r.Sys)
	for _, f := range []struct {
		rel   string
		parse func([]byte) ([]ipmi.Entry, error)
	}{{IPMIDumpPath, ipmi.ParseDump}, {IPMIListingPath, ipmi.ParseListing}} {
		path := filepath.Join(base, filepath.FromSlash(f.rel))
		data, err := hostfs.ReadFile(path, maxIPMIFile)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		fail := func(err error) *ipmiResult {
			return &ipmiResult{errs: []Error{{Collector: IPMICollector, Path: path, Err: err}}}
		}
		if err != nil {
			return fail(fmt.Errorf("ipmi: %w", err))
		}
		hostfs.RecordOutput(f.rel, data) // a capture of a tree keeps it
		entries, err := f.parse(data)
		if err != nil {
			return fail(err)
		}
		return &ipmiResult{facts: ipmi.Decode(entries), path: path}
	}
	return &ipmiResult{none: true}
}

// ipmiFacts maps decoded sensors into the snapshot's facts.
func ipmiFacts(f ipmi.Facts) ([]PSU, []PowerRedundancy) {
	var psus []PSU
	for _, s := range f.Supplies {
		p := PSU{Name: s.Name, Type: PSUTypeMains, Scope: "System", Source: PSUSourceIPMI, Slot: s.Slot,
			State: s.State, Reason: s.Reason, Present: s.Present, Online: Unknown}
		switch {
		case s.Present == 0 || s.InputLost:
			p.Online = 0
		case s.State == ipmi.StateOK || s.State == ipmi.StatePredictiveFailure || s.State == ipmi.StateStandby || s.State == ipmi.StateFailed:
			p.Online = 1
		}
		psus = append(psus, p)
	}
	var reds []PowerRedundancy
	for _, r := range f.Redundancy {
		reds = append(reds, PowerRedundancy{Source: PSUSourceIPMI, Name: r.Name, State: r.State, MinNeeded: Unknown, Message: r.Message})
	}
	return psus, reds
}
