package redfish

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// SessionsPath is the SessionService's Sessions collection, where session
// authentication POSTs the credentials.
const SessionsPath = "/redfish/v1/SessionService/Sessions"

// DefaultRequestTimeout bounds one HTTP request when Options.Timeout is 0.
const DefaultRequestTimeout = 10 * time.Second

// Options configure a Client.
type Options struct {
	// Endpoint is the service's base URL: https://host[:port], without a
	// path, user information, query or fragment.
	Endpoint string
	// Username and Password are the account's; Password is never put in
	// an error.
	Username string
	Password string
	// Basic selects HTTP basic authentication on every request; false (the
	// default) opens a session (POST SessionService/Sessions, X-Auth-Token)
	// that Close deletes.
	Basic bool
	// CAPEM are the PEM certificates of the CAs the service's certificate
	// must chain to; nil means the system's roots (unless Fingerprint).
	CAPEM []byte
	// Fingerprint is the SHA-256 of the service's leaf certificate (DER),
	// in hex, colons allowed: the certificate must be that one. Without
	// CAPEM the chain is then not checked (a BMC's self-signed
	// certificate); with it, both must hold.
	Fingerprint string
	// Timeout bounds one request; 0 means DefaultRequestTimeout.
	Timeout time.Duration
}

// Client reads resources from a Redfish service over HTTPS.
type Client struct {
	base  *url.URL
	http  *http.Client
	opts  Options
	mu    sync.Mutex
	token string // X-Auth-Token of the open session
	where string // the session's URI, to DELETE on Close
}

// ParseFingerprint parses a SHA-256 fingerprint: 64 hex digits, colons
// and case ignored, an optional "sha256:" prefix.
func ParseFingerprint(s string) ([]byte, error) {
	h := strings.ToLower(strings.TrimSpace(s))
	h = strings.TrimPrefix(h, "sha256:")
	h = strings.ReplaceAll(h, ":", "")
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("redfish: fingerprint %q is not a SHA-256 (64 hex digits, colons allowed)", clip(s))
	}
	return b, nil
}

// ParseEndpoint checks a service's base URL: https, a host, nothing else.
func ParseEndpoint(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("redfish: endpoint: %w", err)
	}
	switch {
	case u.Scheme != "https":
		return nil, errors.New("redfish: endpoint must be an https:// URL (credentials never go over plain HTTP)")
	case u.Host == "":
		return nil, errors.New("redfish: endpoint has no host")
	case u.User != nil:
		return nil, errors.New("redfish: endpoint must not hold user information (use username and password_file)")
	case strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "":
		return nil, errors.New("redfish: endpoint must be the service's base URL, https://host[:port], without a path")
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// New returns a client for the service; nothing is sent before the first
// Fetch.
func New(o Options) (*Client, error) {
	base, err := ParseEndpoint(o.Endpoint)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.CAPEM != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(o.CAPEM) {
			return nil, errors.New("redfish: the CA file holds no PEM certificate")
		}
		cfg.RootCAs = pool
	}
	if o.Fingerprint != "" {
		want, err := ParseFingerprint(o.Fingerprint)
		if err != nil {
			return nil, err
		}
		roots := cfg.RootCAs
		checkChain := o.CAPEM != nil
		// The pin replaces the default check (a BMC's certificate is
		// mostly self-signed); VerifyConnection checks the chain itself
		// when a CA is given as well.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("redfish: the service sent no certificate")
			}
			got := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if !bytes.Equal(got[:], want) {
				return fmt.Errorf("redfish: the service's certificate has SHA-256 fingerprint %s, not the pinned %s",
					hex.EncodeToString(got[:]), hex.EncodeToString(want))
			}
			if checkChain {
				inter := x509.NewCertPool()
				for _, c := range cs.PeerCertificates[1:] {
					inter.AddCert(c)
				}
				if _, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: cs.ServerName}); err != nil {
					return fmt.Errorf("redfish: %w", err)
				}
			}
			return nil
		}
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	tr := &http.Transport{TLSClientConfig: cfg, TLSHandshakeTimeout: timeout, ResponseHeaderTimeout: timeout,
		MaxIdleConns: 2, IdleConnTimeout: 90 * time.Second, ForceAttemptHTTP2: true}
	hc := &http.Client{Transport: tr, Timeout: timeout,
		// A redirect could lead the credentials elsewhere: none is followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Client{base: base, http: hc, opts: o}, nil
}

// Fetch GETs one resource by its path and returns its body (at most
// MaxResource bytes). A session is opened first when needed, and once
// more when the service answers 401 (the session expired).
func (c *Client) Fetch(ctx context.Context, p string) ([]byte, error) {
	p, err := CleanPath(p)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		if !c.opts.Basic {
			if err := c.login(ctx); err != nil {
				return nil, err
			}
		}
		body, status, err := c.do(ctx, http.MethodGet, c.base.String()+p, nil)
		if err != nil {
			return nil, err
		}
		if status == http.StatusUnauthorized && !c.opts.Basic && attempt == 0 {
			c.mu.Lock()
			c.token, c.where = "", ""
			c.mu.Unlock()
			continue
		}
		if status != http.StatusOK {
			return nil, statusError("GET "+p, status)
		}
		return body, nil
	}
}

// statusError says what an HTTP status means for the read, without the
// body (which may echo the request).
func statusError(what string, status int) error {
	switch status {
	case http.StatusUnauthorized:
		return fmt.Errorf("redfish: %s: HTTP 401: the service refused the credentials", what)
	case http.StatusForbidden:
		return fmt.Errorf("redfish: %s: HTTP 403: the account may not read this resource", what)
	case http.StatusNotFound:
		return fmt.Errorf("redfish: %s: HTTP 404: no such resource", what)
	}
	return fmt.Errorf("redfish: %s: HTTP %d %s", what, status, http.StatusText(status))
}

// do sends one request with the authentication and returns the body
// (bounded) and the status.
func (c *Client) do(ctx context.Context, method, u string, body []byte) ([]byte, int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, 0, fmt.Errorf("redfish: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.opts.Basic {
		req.SetBasicAuth(c.opts.Username, c.opts.Password)
	} else {
		c.mu.Lock()
		if c.token != "" {
			req.Header.Set("X-Auth-Token", c.token)
		}
		c.mu.Unlock()
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("redfish: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResource+1))
	if err != nil {
		return nil, 0, fmt.Errorf("redfish: %s %s: reading the answer: %w", method, req.URL.Path, err)
	}
	if len(b) > MaxResource {
		return nil, 0, fmt.Errorf("redfish: %s %s: answer larger than %d bytes", method, req.URL.Path, MaxResource)
	}
	if method == http.MethodPost && resp.StatusCode/100 == 2 {
		c.mu.Lock()
		c.token = resp.Header.Get("X-Auth-Token")
		c.where = resp.Header.Get("Location")
		c.mu.Unlock()
	}
	return b, resp.StatusCode, nil
}

// login opens a session unless one is open.
func (c *Client) login(ctx context.Context) error {
	c.mu.Lock()
	open := c.token != ""
	c.mu.Unlock()
	if open {
		return nil
	}
	body, err := json.Marshal(map[string]string{"UserName": c.opts.Username, "Password": c.opts.Password})
	if err != nil {
		return fmt.Errorf("redfish: %w", err)
	}
	_, status, err := c.do(ctx, http.MethodPost, c.base.String()+SessionsPath, body)
	if err != nil {
		return err
	}
	if status/100 != 2 {
		return statusError("open a session (POST "+SessionsPath+")", status)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == "" {
		return fmt.Errorf("redfish: open a session (POST %s): HTTP %d without an X-Auth-Token", SessionsPath, status)
	}
	return nil
}

// Close deletes the open session, if any (a BMC keeps only a few), and
// closes idle connections.
func (c *Client) Close(ctx context.Context) error {
	defer c.http.CloseIdleConnections()
	c.mu.Lock()
	where := c.where
	c.mu.Unlock()
	if where == "" {
		c.mu.Lock()
		c.token = ""
		c.mu.Unlock()
		return nil
	}
	u, err := c.base.Parse(where)
	if err != nil || u.Host != c.base.Host {
		c.mu.Lock()
		c.token, c.where = "", ""
		c.mu.Unlock()
		return fmt.Errorf("redfish: the session's Location %q is not on the service", clip(where))
	}
	_, status, err := c.do(ctx, http.MethodDelete, u.String(), nil)
	c.mu.Lock()
	c.token, c.where = "", ""
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if status/100 != 2 {
		return statusError("close the session (DELETE "+u.Path+")", status)
	}
	return nil
}
