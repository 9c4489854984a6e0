package server

import (
	"crypto/sha256"
	"net"
	"net/http"
	"sync"

	"golang.org/x/time/rate"

	"github.com/redwatch/redwatch/internal/clock"
)

// Failed basic-auth attempts cost a bcrypt comparison each (tens of
// milliseconds of CPU); exporter-toolkit runs one at a time and caches the
// outcome of each exact user and password, but a client that varies the
// password makes every request a new comparison. The auth gate bounds that
// cost: a request with credentials that have not yet been accepted takes a
// token from a bucket of AuthChecksPerSecond (burst AuthCheckBurst); with
// none left it gets 429 at once and never reaches the comparison.
// Credentials once accepted (Prometheus's, after its first scrape) pass
// without a token, so a brute force does not lock out the scrapers.
const (
	AuthChecksPerSecond = 5
	AuthCheckBurst      = 10
)

// knownGoodMax bounds the accepted credentials the gate remembers (as
// SHA-256 hashes of the Authorization header, never the header itself).
const knownGoodMax = 64

// authGate is the gate in front of exporter-toolkit's authentication.
type authGate struct {
	next  http.Handler
	clock clock.Clock
	lim   *rate.Limiter

	mu   sync.Mutex
	good map[[32]byte]struct{}
}

func newAuthGate(next http.Handler, clk clock.Clock) *authGate {
	return &authGate{next: next, clock: clk, lim: rate.NewLimiter(AuthChecksPerSecond, AuthCheckBurst), good: map[[32]byte]struct{}{}}
}

func (g *authGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	if auth == "" { // nothing to compare: the toolkit answers 401 for free
		g.next.ServeHTTP(w, r)
		return
	}
	key := sha256.Sum256([]byte(auth))
	g.mu.Lock()
	_, known := g.good[key]
	g.mu.Unlock()
	if !known && !g.lim.AllowN(g.clock.Now(), 1) {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "too many authentication attempts", http.StatusTooManyRequests)
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	g.next.ServeHTTP(sw, r)
	if !known && sw.status != http.StatusUnauthorized && sw.status != 0 {
		g.mu.Lock()
		if len(g.good) >= knownGoodMax {
			clear(g.good)
		}
		g.good[key] = struct{}{}
		g.mu.Unlock()
	}
}

// statusWriter records the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// gateListener puts the auth gate in front of the handler exporter-toolkit
// installs: web.Serve sets srv.Handler to its authenticating handler and
// then accepts on this listener in the same goroutine, so wrapping the
// handler at the first Accept happens before any connection is served.
type gateListener struct {
	net.Listener
	once    sync.Once
	install func()
}

func (l *gateListener) Accept() (net.Conn, error) {
	l.once.Do(l.install)
	return l.Listener.Accept()
}
