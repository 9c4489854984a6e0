// Package webhook is the webhook alert channel: it POSTs each group of
// notifications (see notify.Group) as one JSON message in the Alertmanager
// webhook format (version "4": groupLabels, commonLabels, alerts[]), so
// receivers that already accept Alertmanager (Grafana OnCall, alerta, chat
// bridges) take it unchanged.
//
// Every request carries:
//
//	Content-Type: application/json
//	User-Agent: redwatch
//	X-Redwatch-Notification-Id: <id>       (the group's; each alert's own is in its annotations.notification_id)
//	X-Redwatch-Fingerprint: <fp>[,<fp>...] (the alerts' fingerprints, in alerts[] order)
//	X-Redwatch-Signature: sha256=<hex>     (when an HMAC secret is configured)
//	Authorization: Bearer <token>          (when a bearer token is configured)
//
// The signature is HMAC-SHA256 keyed with the shared secret over the raw
// request body, hex-encoded. To verify it, a receiver computes
// hex(HMAC-SHA256(secret, body)) over the bytes exactly as received and
// compares it to the header value after "sha256=" in constant time, e.g.
//
//	mac := hmac.New(sha256.New, secret)
//	mac.Write(body)
//	ok := hmac.Equal([]byte(r.Header.Get("X-Redwatch-Signature")),
//		[]byte("sha256="+hex.EncodeToString(mac.Sum(nil))))
//
// or in a shell: openssl dgst -sha256 -hmac "$SECRET" < body.
// Deliveries are at-least-once: drop a repeated X-Redwatch-Notification-Id.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/redwatch/redwatch/alerts/notify"
	"github.com/redwatch/redwatch/internal/secret"
)

// Header names.
const (
	HeaderSignature      = "X-Redwatch-Signature"
	HeaderNotificationID = "X-Redwatch-Notification-Id"
	HeaderFingerprint    = "X-Redwatch-Fingerprint"
)

// DefaultTimeout bounds one POST when the configuration sets none.
const DefaultTimeout = 10 * time.Second

// Config is a webhook channel's `webhook:` block.
type Config struct {
	// URL is where to POST (http or https).
	URL string `yaml:"url" json:"url"`
	// Headers are added to every request. Their values are treated as secrets
	// (API keys often live there) and never printed.
	Headers map[string]secret.String `yaml:"headers" json:"headers,omitempty"`
	// BearerToken or BearerTokenFile set "Authorization: Bearer <token>".
	BearerToken     secret.String `yaml:"bearer_token" json:"bearer_token,omitempty"`
	BearerTokenFile string        `yaml:"bearer_token_file" json:"bearer_token_file,omitempty"`
	// HMACSecret or HMACSecretFile sign each body (X-Redwatch-Signature).
	HMACSecret     secret.String `yaml:"hmac_secret" json:"hmac_secret,omitempty"`
	HMACSecretFile string        `yaml:"hmac_secret_file" json:"hmac_secret_file,omitempty"`
	// Timeout bounds one request (default 10s).
	Timeout time.Duration `yaml:"timeout" json:"timeout,omitempty"`
	// CAFile, when set, is the only CA bundle trusted for https.
	CAFile string `yaml:"ca_file" json:"ca_file,omitempty"`
}

// Validate checks the block without reading secret files.
func (c *Config) Validate() error {
	var errs []error
	u, err := url.Parse(c.URL)
	if c.URL == "" {
		errs = append(errs, errors.New("webhook: url is required"))
	} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("webhook: url %s: want an http or https URL", notify.RedactURL(c.URL)))
	}
	if c.BearerToken != "" && c.BearerTokenFile != "" {
		errs = append(errs, errors.New("webhook: set bearer_token or bearer_token_file, not both"))
	}
	if c.HMACSecret != "" && c.HMACSecretFile != "" {
		errs = append(errs, errors.New("webhook: set hmac_secret or hmac_secret_file, not both"))
	}
	if c.Timeout < 0 {
		errs = append(errs, errors.New("webhook: timeout must not be negative"))
	}
	for k := range c.Headers {
		if http.CanonicalHeaderKey(k) == "Content-Type" || http.CanonicalHeaderKey(k) == HeaderSignature {
			errs = append(errs, fmt.Errorf("webhook: header %q is set by redwatch", k))
		}
	}
	return errors.Join(errs...)
}

// Notifier posts notifications to one webhook.
type Notifier struct {
	receiver string
	url      string
	client   *http.Client
	headers  http.Header
	token    string
	hmacKey  []byte
}

// New builds the notifier of channel receiver, reading the secret files.
func New(receiver string, c Config) (*Notifier, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	n := &Notifier{receiver: receiver, url: c.URL, headers: http.Header{}}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	var err error
	if n.client, err = notify.HTTPClient(timeout, c.CAFile); err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	for k, v := range c.Headers {
		n.headers.Set(k, v.Reveal())
	}
	if c.BearerToken != "" || c.BearerTokenFile != "" {
		if n.token, err = secret.Resolve(c.BearerToken.Reveal(), c.BearerTokenFile); err != nil {
			return nil, fmt.Errorf("webhook: bearer token: %w", err)
		}
	}
	if c.HMACSecret != "" || c.HMACSecretFile != "" {
		key, err := secret.Resolve(c.HMACSecret.Reveal(), c.HMACSecretFile)
		if err != nil {
			return nil, fmt.Errorf("webhook: hmac secret: %w", err)
		}
		n.hmacKey = []byte(key)
	}
	return n, nil
}

// Message is the Alertmanager webhook payload (version 4).
type Message struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []Alert           `json:"alerts"`
}

// Alert is one alert of a Message.
type Alert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// NewMessage renders g as the webhook payload for receiver: one message for
// the group, one entry of alerts[] per alert, as Alertmanager sends it.
func NewMessage(receiver string, g *notify.Group) Message {
	m := Message{
		Version:           "4",
		GroupKey:          "{}:" + g.Key,
		Status:            string(g.Status),
		Receiver:          receiver,
		GroupLabels:       g.Labels,
		CommonLabels:      g.CommonLabels(),
		CommonAnnotations: g.CommonAnnotations(),
		ExternalURL:       g.ExternalURL,
		Alerts:            make([]Alert, 0, len(g.Alerts)),
	}
	for i := range g.Alerts {
		n := &g.Alerts[i]
		m.Alerts = append(m.Alerts, Alert{
			Status:       string(n.Status),
			Labels:       n.Labels(),
			Annotations:  n.Annotations(),
			StartsAt:     n.StartsAt.UTC(),
			EndsAt:       n.EndsAt.UTC(),
			GeneratorURL: n.ExternalURL,
			Fingerprint:  n.Fingerprint,
		})
	}
	return m
}

// Sign returns the X-Redwatch-Signature value of body under key.
func Sign(key, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether signature (the header value) signs body under key.
func Verify(key, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(key, body)), []byte(signature))
}

// Notify implements notify.Notifier.
func (w *Notifier) Notify(ctx context.Context, g *notify.Group) error {
	body, err := json.Marshal(NewMessage(w.receiver, g))
	if err != nil {
		return notify.Permanent(fmt.Errorf("webhook: %w", err))
	}
	h := w.headers.Clone()
	h.Set("User-Agent", "redwatch")
	h.Set(HeaderNotificationID, g.ID)
	h.Set(HeaderFingerprint, strings.Join(g.Fingerprints(), ","))
	if w.token != "" {
		h.Set("Authorization", "Bearer "+w.token)
	}
	if w.hmacKey != nil {
		h.Set(HeaderSignature, Sign(w.hmacKey, body))
	}
	return notify.PostJSON(ctx, w.client, "webhook", w.url, body, h)
}
