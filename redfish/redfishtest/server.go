// Package redfishtest serves Redfish resources over HTTPS on loopback for
// tests: a CA and a server certificate generated per server, basic and
// session authentication (SessionService), and the resources at their real
// paths. It is a stand-in for a BMC where none can run (a fake, named as
// such): the resources it serves are the DMTF's published mockups, given
// by the test.
package redfishtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a Redfish service on loopback.
type Server struct {
	// URL is the service's base URL, https://127.0.0.1:PORT.
	URL string
	// CAPEM is the PEM certificate of the CA that signed the server's.
	CAPEM []byte
	// Fingerprint is the SHA-256 of the server's certificate, in hex.
	Fingerprint string
	// Username and Password are the one account's.
	Username, Password string

	srv       *httptest.Server
	mu        sync.Mutex
	resources map[string][]byte
	sessions  map[string]string // token -> session path
	opened    int
	deleted   int
	seq       int
}

// Resources is what a server serves: JSON by resource path.
type Resources map[string][]byte

// LoadMockup adds the resources of a DMTF mockup sample: a JSON file,
// served at its @odata.id, or a tree of <path>/index.json files (the
// mockups' layout), each served at <path>.
func (r Resources) LoadMockup(t testing.TB, sample string) {
	t.Helper()
	fi, err := os.Stat(sample)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() {
		data, err := os.ReadFile(sample)
		if err != nil {
			t.Fatal(err)
		}
		var head struct {
			ID string `json:"@odata.id"`
		}
		if err := json.Unmarshal(data, &head); err != nil || head.ID == "" {
			t.Fatalf("redfishtest: %s has no @odata.id: %v", sample, err)
		}
		r[head.ID] = data
		return
	}
	err = filepath.WalkDir(sample, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "index.json" {
			return err
		}
		rel, err := filepath.Rel(sample, filepath.Dir(p))
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		r["/"+filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Complete adds what a service has around a chassis' power resources and
// a mockup sample lacks: the service root, the Chassis collection and each
// chassis linking its Power or PowerSubsystem resource (synthesized; a
// resource already given is kept).
func (r Resources) Complete() {
	chassis := map[string]map[string]bool{} // id -> link names
	for p := range r {
		rest, ok := strings.CutPrefix(p, "/redfish/v1/Chassis/")
		if !ok {
			continue
		}
		parts := strings.Split(rest, "/")
		if len(parts) == 2 && (parts[1] == "Power" || parts[1] == "PowerSubsystem") {
			if chassis[parts[0]] == nil {
				chassis[parts[0]] = map[string]bool{}
			}
			chassis[parts[0]][parts[1]] = true
		}
	}
	ids := make([]string, 0, len(chassis))
	for id := range chassis {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	add := func(p string, v any) {
		if _, ok := r[p]; ok {
			return
		}
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		r[p] = b
	}
	link := func(p string) map[string]string { return map[string]string{"@odata.id": p} }
	add("/redfish/v1", map[string]any{"@odata.id": "/redfish/v1", "Id": "RootService", "Name": "Root Service",
		"Chassis": link("/redfish/v1/Chassis"), "SessionService": link("/redfish/v1/SessionService")})
	var members []map[string]string
	for _, id := range ids {
		p := "/redfish/v1/Chassis/" + id
		members = append(members, link(p))
		c := map[string]any{"@odata.id": p, "Id": id, "Name": id}
		for name := range chassis[id] {
			c[name] = link(p + "/" + name)
		}
		add(p, c)
	}
	add("/redfish/v1/Chassis", map[string]any{"@odata.id": "/redfish/v1/Chassis", "Name": "Chassis Collection",
		"Members": members, "Members@odata.count": len(members)})
}

// CA is a certificate authority generated for a test.
type CA struct {
	PEM  []byte
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// NewCA generates a CA.
func NewCA(t testing.TB) *CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "redfishtest CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &CA{PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), cert: cert, key: key}
}

// serverCert issues a certificate for 127.0.0.1.
func (ca *CA) serverCert(t testing.TB) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "bmc"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, der
}

// Start serves the resources over HTTPS on a free loopback port with a new
// CA, until the test ends.
func Start(t testing.TB, res Resources) *Server {
	t.Helper()
	ca := NewCA(t)
	cert, der := ca.serverCert(t)
	sum := sha256.Sum256(der)
	s := &Server{CAPEM: ca.PEM, Fingerprint: hex.EncodeToString(sum[:]), Username: "monitor", Password: "s3cr3t-Pa55",
		resources: res, sessions: map[string]string{}}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	// Refused handshakes are what the TLS tests provoke: not worth a log line.
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	return s
}

// Sessions returns how many sessions were opened and deleted.
func (s *Server) Sessions() (opened, deleted int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opened, s.deleted
}

// SetResource replaces (or with nil removes) one resource.
func (s *Server) SetResource(p string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if data == nil {
		delete(s.resources, p)
		return
	}
	s.resources[p] = data
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := strings.TrimSuffix(path.Clean(r.URL.Path), "/")
	w.Header().Set("OData-Version", "4.0")
	switch {
	case p == "/redfish/v1/SessionService/Sessions" && r.Method == http.MethodPost:
		var creds struct{ UserName, Password string }
		if err := json.NewDecoder(r.Body).Decode(&creds); err != nil || creds.UserName != s.Username || creds.Password != s.Password {
			http.Error(w, `{"error":{"code":"Base.1.8.GeneralError","message":"bad credentials"}}`, http.StatusUnauthorized)
			return
		}
		s.seq++
		s.opened++
		tok := fmt.Sprintf("token-%d-%x", s.seq, time.Now().UnixNano())
		loc := fmt.Sprintf("/redfish/v1/SessionService/Sessions/%d", s.seq)
		s.sessions[tok] = loc
		w.Header().Set("X-Auth-Token", tok)
		w.Header().Set("Location", loc)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"@odata.id":%q,"Id":"%d","UserName":%q}`, loc, s.seq, s.Username)
		return
	case p == "/redfish/v1" && r.Method == http.MethodGet:
		// The service root needs no authentication (DSP0266).
	case !s.authorized(r):
		http.Error(w, `{"error":{"code":"Base.1.8.NoValidSession"}}`, http.StatusUnauthorized)
		return
	case strings.HasPrefix(p, "/redfish/v1/SessionService/Sessions/") && r.Method == http.MethodDelete:
		tok := r.Header.Get("X-Auth-Token")
		if s.sessions[tok] != p {
			http.Error(w, "{}", http.StatusNotFound)
			return
		}
		delete(s.sessions, tok)
		s.deleted++
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "{}", http.StatusMethodNotAllowed)
		return
	}
	data, ok := s.resources[p]
	if !ok {
		http.Error(w, `{"error":{"code":"Base.1.8.ResourceMissingAtURI"}}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(data)
}

// authorized reports whether r carries the account's basic credentials or
// an open session's token.
func (s *Server) authorized(r *http.Request) bool {
	if u, p, ok := r.BasicAuth(); ok {
		return u == s.Username && p == s.Password
	}
	_, ok := s.sessions[r.Header.Get("X-Auth-Token")]
	return ok
}

// Close stops the server (before the test ends: an unreachable service).
func (s *Server) Close() { s.srv.Close() }

// Files writes the account's password (mode 0600, as redwatch requires of
// a secret) and the CA's certificate into a temporary directory and
// returns their paths.
func (s *Server) Files(t testing.TB, password string) (passwordFile, caFile string) {
	t.Helper()
	dir := t.TempDir()
	passwordFile, caFile = filepath.Join(dir, "password"), filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(passwordFile, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caFile, s.CAPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return passwordFile, caFile
}

// ServeMockup serves one DMTF mockup sample (see LoadMockup) with the
// service root, Chassis collection and chassis around it (Complete).
func ServeMockup(t testing.TB, sample string) *Server {
	t.Helper()
	res := Resources{}
	res.LoadMockup(t, sample)
	res.Complete()
	return Start(t, res)
}
