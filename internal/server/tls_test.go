package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// writeCert writes a self-signed certificate for 127.0.0.1 and its key.
func writeCert(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "redwatch test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return pool
}

// TestTLSAndBasicAuth serves through an exporter-toolkit web configuration
// with a certificate and a bcrypt password, on 127.0.0.1.
func TestTLSAndBasicAuth(t *testing.T) {
	dir := t.TempDir()
	pool := writeCert(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	cfg := "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\nbasic_auth_users:\n  prometheus: " + string(hash) + "\n"
	if err := os.WriteFile(webConfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ValidateWebConfig(webConfig); err != nil {
		t.Fatal(err)
	}

	s := newTestServer(t, degraded(t), passTime)
	addr := serve(t, s, webConfig)

	base := "https://" + addr
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	do := func(user, pass, path string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		readAll(t, resp.Body)
		return resp.StatusCode
	}
	if code := do("", "", "/metrics"); code != http.StatusUnauthorized {
		t.Errorf("no credentials: %d, want 401", code)
	}
	if code := do("prometheus", "wrong", "/metrics"); code != http.StatusUnauthorized {
		t.Errorf("wrong password: %d, want 401", code)
	}
	if code := do("prometheus", "s3cret", "/metrics"); code != http.StatusOK {
		t.Errorf("right password: %d, want 200", code)
	}
	if code := do("prometheus", "s3cret", "/health"); code != http.StatusServiceUnavailable {
		t.Errorf("/health of a critical host: %d, want 503", code)
	}

	// Plain HTTP to the TLS port gets no page.
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + addr + "/metrics")
	if err == nil {
		body := readAll(t, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || strings.Contains(body, "redwatch_status") {
			t.Errorf("plain HTTP served the page: %d", resp.StatusCode)
		}
	}
	// An untrusted client refuses the certificate.
	if _, err := (&http.Client{Timeout: 10 * time.Second}).Get(base + "/metrics"); err == nil {
		t.Error("a client without the CA accepted the certificate")
	}
}

// TestValidateWebConfigRejects reports a broken web configuration.
func TestValidateWebConfigRejects(t *testing.T) {
	p := filepath.Join(t.TempDir(), "web.yml")
	if err := os.WriteFile(p, []byte("tls_server_config:\n  cert_file: /nonexistent.pem\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ValidateWebConfig(p); err == nil || !strings.HasPrefix(err.Error(), "server: web config") {
		t.Fatalf("err = %v", err)
	}
}

// serve runs s on a free loopback port with the web config (or none) until
// the test ends, and returns the address; Serve's error fails the test.
func serve(t *testing.T, s *Server, webConfig string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, webConfig, time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}
