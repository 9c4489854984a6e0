package collectors

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"path/filepath"
	"strconv"

	"github.com/redwatch/redwatch/internal/hostfs"
)

// rtfUp is RTF_UP from <linux/route.h>: the route is usable.
const rtfUp = 0x0001

// maxRouteLine bounds one line of /proc/net/route (the kernel pads lines to 127 bytes).
const maxRouteLine = 4096

// routeSource reads the IPv4 default routes.
type routeSource struct{}

func (routeSource) Name() string { return "route" }

func (routeSource) Collect(_ context.Context, r Roots) (Part, error) {
	routes, errs := collectRoutes(r)
	return Part{Set: func(s *Snapshot) { s.DefaultRoutes = routes }, Errors: errs}, nil
}

// collectRoutes reads the IPv4 default routes from <proc>/net/route. A missing
// file is no routes and no error (a tree without it, a host without IPv4); a
// file that cannot be read or parsed is an Error and no routes.
//
// Why not github.com/prometheus/procfs's FS.NetRoute: it skips the header
// unread and takes the columns by position, and it parses the flags as
// decimal where the kernel prints them in hex ("%04X": RTF_DYNAMIC 0x0010
// reads as 10); it also reads the whole file into memory.
func collectRoutes(r Roots) ([]Route, []Error) {
	path := filepath.Join(r.Proc, "net/route")
	f, err := hostfs.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, []Error{{Collector: "route", Path: path, Err: err}}
	}
	defer f.Close()
	// Streamed, not bounded as a whole: a host with a large routing table
	// (a BGP-fed node) has a /proc/net/route of many megabytes.
	routes, err := parseRoutesFrom(f)
	if err != nil {
		return nil, []Error{{Collector: "route", Path: path, Err: err}}
	}
	return routes, nil
}

// parseRoutes parses the contents of /proc/net/route and returns its IPv4
// default routes: Destination and Mask 00000000 with RTF_UP set in Flags.
// The first line is the header ("Iface Destination Gateway Flags RefCnt Use
// Metric Mask MTU Window IRTT"); columns are found by name. Each further line
// is whitespace-separated, addresses are the kernel's __be32 printed as %08X
// on a little-endian host (192.0.2.1 is "010200C0"), Flags is hex and Metric
// decimal. Any malformed line fails the whole file: a partial route table
// could hide the redundant route.
func parseRoutes(data []byte) ([]Route, error) {
	return parseRoutesFrom(bytes.NewReader(data))
}

// parseRoutesFrom is parseRoutes over a stream.
func parseRoutesFrom(rd io.Reader) ([]Route, error) {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 0, 512), maxRouteLine)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("route header: %w", err)
		}
		return nil, errors.New("route: empty file, no header")
	}
	cols, err := routeColumns(sc.Bytes())
	if err != nil {
		return nil, err
	}
	var routes []Route
	var fields [][]byte
	for line := 2; sc.Scan(); line++ {
		fields = routeFields(fields[:0], sc.Bytes())
		if len(fields) == 0 {
			continue
		}
		if len(fields) < cols.n {
			return nil, fmt.Errorf("route line %d: %d fields, want %d", line, len(fields), cols.n)
		}
		dst, err := parseRouteHex(fields[cols.dst])
		if err != nil {
			return nil, fmt.Errorf("route line %d: destination: %w", line, err)
		}
		mask, err := parseRouteHex(fields[cols.mask])
		if err != nil {
			return nil, fmt.Errorf("route line %d: mask: %w", line, err)
		}
		gw, err := parseRouteHex(fields[cols.gw])
		if err != nil {
			return nil, fmt.Errorf("route line %d: gateway: %w", line, err)
		}
		flags, err := strconv.ParseUint(string(fields[cols.flags]), 16, 32)
		if err != nil {
			return nil, fmt.Errorf("route line %d: flags: %w", line, err)
		}
		metric, err := strconv.ParseInt(string(fields[cols.metric]), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("route line %d: metric: %w", line, err)
		}
		if dst != 0 || mask != 0 || flags&rtfUp == 0 {
			continue
		}
		ip := netip.AddrFrom4([4]byte{byte(gw), byte(gw >> 8), byte(gw >> 16), byte(gw >> 24)})
		routes = append(routes, Route{Iface: string(fields[cols.iface]), Gateway: ip.String(), Metric: int(metric)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("route: %w", err)
	}
	return routes, nil
}

// routeCols are the indexes of the /proc/net/route columns parseRoutes uses;
// n is the number of columns a line must have.
type routeCols struct {
	iface, dst, gw, flags, metric, mask, n int
}

// routeColumns finds the columns in the /proc/net/route header line.
func routeColumns(header []byte) (routeCols, error) {
	c := routeCols{iface: -1, dst: -1, gw: -1, flags: -1, metric: -1, mask: -1}
	for i, f := range routeFields(nil, header) {
		var p *int
		switch string(f) {
		case "Iface":
			p = &c.iface
		case "Destination":
			p = &c.dst
		case "Gateway":
			p = &c.gw
		case "Flags":
			p = &c.flags
		case "Metric":
			p = &c.metric
		case "Mask":
			p = &c.mask
		default:
			continue
		}
		if *p >= 0 {
			return routeCols{}, fmt.Errorf("route header: column %q twice", f)
		}
		*p = i
		c.n = max(c.n, i+1)
	}
	if c.iface < 0 || c.dst < 0 || c.gw < 0 || c.flags < 0 || c.metric < 0 || c.mask < 0 {
		return routeCols{}, fmt.Errorf("route header %q: want columns Iface, Destination, Gateway, Flags, Metric and Mask", routeTrunc(header, 80))
	}
	return c, nil
}

// parseRouteHex parses an address of /proc/net/route: exactly eight hex digits.
func parseRouteHex(b []byte) (uint32, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("%q is not 8 hex digits", routeTrunc(b, 16))
	}
	v, err := strconv.ParseUint(string(b), 16, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not 8 hex digits: %w", b, err)
	}
	return uint32(v), nil
}

// routeFields appends the space- or tab-separated fields of line to dst.
func routeFields(dst [][]byte, line []byte) [][]byte {
	for len(line) > 0 {
		i := 0
		for i < len(line) && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r') {
			i++
		}
		line = line[i:]
		j := 0
		for j < len(line) && line[j] != ' ' && line[j] != '\t' && line[j] != '\r' {
			j++
		}
		if j > 0 {
			dst = append(dst, line[:j])
		}
		line = line[j:]
	}
	return dst
}

// routeTrunc returns at most n bytes of b for an error message.
func routeTrunc(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
