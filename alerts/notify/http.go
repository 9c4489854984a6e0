package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"time"

	"github.com/redwatch/redwatch/internal/safefile"
)

// MaxCAFile bounds a ca_file: a bundle of PEM certificates.
const MaxCAFile = 4 << 20

// HTTPClient returns the client the HTTP channels use: the given timeout per
// request, redirects not followed (a redirected POST is a configuration
// error, reported as a Permanent failure), and, when caFile is set, only the
// CAs in that PEM file trusted.
func HTTPClient(timeout time.Duration, caFile string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 2
	if caFile != "" {
		pem, err := safefile.ReadFile(caFile, MaxCAFile)
		if err != nil {
			return nil, fmt.Errorf("notify: ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("notify: ca_file %s: no PEM certificate in it", caFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}, nil
}

// PostJSON POSTs body to url with the headers and classifies the answer with
// HTTPError. Transport errors (refused, timed out) are retryable. Errors name
// the prefix and the URL but never a header value.
func PostJSON(ctx context.Context, c *http.Client, prefix, url string, body []byte, headers http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Permanent(fmt.Errorf("%s: bad URL %s", prefix, RedactURL(url)))
	}
	for k, vs := range headers {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		// *url.Error repeats the full URL; name only its host.
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%s: POST %s: %w", prefix, RedactURL(url), err)
	}
	defer resp.Body.Close()
	defer io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) //nolint:errcheck // drain for keep-alive
	return HTTPError(fmt.Sprintf("%s: POST %s", prefix, RedactURL(url)), resp)
}
