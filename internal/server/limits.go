package server

import (
	"fmt"
	"net"

	"golang.org/x/net/netutil"
	"golang.org/x/sys/unix"
)

// DefaultMaxConnections is the default cap on concurrent connections to the
// endpoint (--web.max-connections). A node is scraped by a few Prometheus
// servers and checked by a few load balancers and people: 512 leaves ample
// room, and bounds the endpoint's memory (see MaxHeaderBytes) well inside
// the unit's MemoryMax.
const DefaultMaxConnections = 512

// DefaultMaxRequests is the default cap on /metrics requests served at once
// (--web.max-requests, node_exporter's flag): one more is answered 503 at
// once. Every request serves the last pass, so the cap bounds the CPU and
// memory that encoding takes, not collection.
const DefaultMaxRequests = 8

// FDReserve is how many file descriptors the endpoint leaves to the rest of
// the daemon: the collectors of a pass, the state and its lock, the alert
// outbox and state, the notifiers' connections, netlink and inotify sockets.
// The connection cap never exceeds RLIMIT_NOFILE minus this reserve, so that
// however many clients connect, a pass and the alert path still have the
// descriptors they need.
const FDReserve = 128

// ConnMemory is the memory budget of one open connection: a client that
// sends a header just under MaxHeaderBytes and then stalls costs about 41
// KiB (measured: 512 such connections raise the daemon's RSS from 16 MiB to
// 37 MiB); the rest is room for a TLS handshake. The unit's MemoryMax must
// hold BaseMemory plus the connection cap times this.
const ConnMemory = 64 << 10

// BaseMemory is the memory budget of the daemon without connections: a
// pass, the alerts, the metrics registry (about 16 MiB measured at rest),
// with room for large hosts.
const BaseMemory = 64 << 20

// MaxHeaderBytes bounds the request header a client may send (net/http adds
// 4 KiB of slack); scrapes and health checks send well under 1 KiB.
const MaxHeaderBytes = 16 << 10

// ConnectionCap is the cap on concurrent connections: want (0 means
// DefaultMaxConnections), lowered to leave FDReserve descriptors of the
// nofile limit to the rest of the daemon. It fails when the limit leaves no
// room for even one connection. lowered reports that want did not fit.
func ConnectionCap(want int, nofile uint64) (limit int, lowered bool, err error) {
	if want < 0 {
		return 0, false, fmt.Errorf("server: --web.max-connections must not be negative, got %d", want)
	}
	if want == 0 {
		want = DefaultMaxConnections
	}
	if nofile <= FDReserve {
		return 0, false, fmt.Errorf("server: the open files limit (RLIMIT_NOFILE %d) leaves no descriptor for the endpoint after the %d kept for collection, state and alerts: raise LimitNOFILE", nofile, FDReserve)
	}
	if room := nofile - FDReserve; uint64(want) > room {
		return int(room), true, nil
	}
	return want, false, nil
}

// OpenFilesLimit is the process's soft RLIMIT_NOFILE. The Go runtime has
// already raised it to the hard limit at start (since Go 1.19), so this is
// the most the process may open.
func OpenFilesLimit() (uint64, error) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 0, fmt.Errorf("server: getrlimit: %w", err)
	}
	return rl.Cur, nil
}

// limitListener caps l at n concurrent connections: past n, Accept waits
// and new connections stay in the kernel's backlog, holding no descriptor
// of the process.
func limitListener(l net.Listener, n int) net.Listener {
	if n <= 0 {
		return l
	}
	return netutil.LimitListener(l, n)
}
