// Package alertmanager is the Alertmanager alert channel: it POSTs alerts to
// Alertmanager's API v2 (/api/v2/alerts) on every configured URL at once, the
// way Prometheus does, so that a fleet routes, groups, silences and pages
// redwatch alerts through the Alertmanager it already runs.
//
// Labels: alertname (the rule), severity, instance (the host), subject.
// Annotations: summary, description, remediation, fingerprint,
// notification_id. A firing alert is sent with endsAt = now + 4 × the resend
// interval and re-sent every resend interval (default 1m) while it fires, so
// Alertmanager resolves it by itself if redwatch dies; a resolved alert is
// sent with endsAt = the time it resolved.
package alertmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/redwatch/redwatch/alerts/notify"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/secret"
)

// Defaults for Config fields left zero.
const (
	DefaultTimeout        = 10 * time.Second
	DefaultResendInterval = time.Minute
)

// Config is an alertmanager channel's `alertmanager:` block.
type Config struct {
	// URLs are the Alertmanager base URLs (e.g. http://am1:9093), every member
	// of an HA cluster; each alert is posted to all of them.
	URLs []string `yaml:"urls" json:"urls"`
	// ResendInterval is how often a firing alert is re-sent (default 1m).
	ResendInterval time.Duration `yaml:"resend_interval" json:"resend_interval,omitempty"`
	// Timeout bounds one request (default 10s).
	Timeout time.Duration `yaml:"timeout" json:"timeout,omitempty"`
	// BearerToken or BearerTokenFile set "Authorization: Bearer <token>".
	BearerToken     secret.String `yaml:"bearer_token" json:"bearer_token,omitempty"`
	BearerTokenFile string        `yaml:"bearer_token_file" json:"bearer_token_file,omitempty"`
	// CAFile, when set, is the only CA bundle trusted for https.
	CAFile string `yaml:"ca_file" json:"ca_file,omitempty"`
}

// Validate checks the block without reading secret files.
func (c *Config) Validate() error {
	var errs []error
	if len(c.URLs) == 0 {
		errs = append(errs, errors.New("alertmanager: urls: at least one is required"))
	}
	for _, raw := range c.URLs {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("alertmanager: url %s: want an http or https URL", notify.RedactURL(raw)))
		}
	}
	if c.BearerToken != "" && c.BearerTokenFile != "" {
		errs = append(errs, errors.New("alertmanager: set bearer_token or bearer_token_file, not both"))
	}
	if c.Timeout < 0 || c.ResendInterval < 0 {
		errs = append(errs, errors.New("alertmanager: durations must not be negative"))
	}
	return errors.Join(errs...)
}

// Notifier posts to a set of Alertmanagers.
type Notifier struct {
	urls   []string
	client *http.Client
	token  string
	resend time.Duration
	clock  clock.Clock
	log    *slog.Logger
}

// New builds the notifier. clk is the clock endsAt is computed from (nil:
// clock.Real{}); logger
// (may be nil) hears about single Alertmanagers failing while others accept.
func New(c Config, clk clock.Clock, logger *slog.Logger) (*Notifier, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if clk == nil {
		clk = clock.Real{}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{resend: c.ResendInterval, clock: clk, log: logger}
	if n.resend == 0 {
		n.resend = DefaultResendInterval
	}
	for _, u := range c.URLs {
		n.urls = append(n.urls, strings.TrimRight(u, "/")+"/api/v2/alerts")
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	var err error
	if n.client, err = notify.HTTPClient(timeout, c.CAFile); err != nil {
		return nil, fmt.Errorf("alertmanager: %w", err)
	}
	if c.BearerToken != "" || c.BearerTokenFile != "" {
		if n.token, err = secret.Resolve(c.BearerToken.Reveal(), c.BearerTokenFile); err != nil {
			return nil, fmt.Errorf("alertmanager: bearer token: %w", err)
		}
	}
	return n, nil
}

// RepeatInterval implements notify.Repeater: a firing alert must be re-sent
// before its endsAt passes.
func (a *Notifier) RepeatInterval() time.Duration { return a.resend }

// PostableAlert is one alert of the API v2 POST body.
type PostableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Alert renders n for Alertmanager at time now.
func (a *Notifier) Alert(n *notify.Notification, now time.Time) PostableAlert {
	p := PostableAlert{
		Labels:       n.Labels(),
		Annotations:  n.Annotations(),
		StartsAt:     n.StartsAt.UTC(),
		GeneratorURL: n.ExternalURL,
	}
	if n.Status == notify.Resolved {
		p.EndsAt = n.EndsAt.UTC()
		if n.EndsAt.IsZero() {
			p.EndsAt = now.UTC()
		}
	} else {
		p.EndsAt = now.Add(4 * a.resend).UTC()
	}
	return p
}

// Notify implements notify.Notifier: it posts the group's alerts in one
// request (the API takes a list; Alertmanager does its own grouping) to every
// URL at once and succeeds when at least one Alertmanager accepted them (the cluster
// gossips it to the others). When all fail the error is permanent only if
// every failure was.
func (a *Notifier) Notify(ctx context.Context, g *notify.Group) error {
	now := a.clock.Now()
	alerts := make([]PostableAlert, len(g.Alerts))
	for i := range g.Alerts {
		alerts[i] = a.Alert(&g.Alerts[i], now)
	}
	body, err := json.Marshal(alerts)
	if err != nil {
		return notify.Permanent(fmt.Errorf("alertmanager: %w", err))
	}
	h := http.Header{"User-Agent": {"redwatch"}}
	if a.token != "" {
		h.Set("Authorization", "Bearer "+a.token)
	}
	errs := make([]error, len(a.urls))
	var wg sync.WaitGroup
	for i, u := range a.urls {
		wg.Go(func() { errs[i] = notify.PostJSON(ctx, a.client, "alertmanager", u, body, h) })
	}
	wg.Wait()
	ok, permanent := 0, 0
	for _, e := range errs {
		switch {
		case e == nil:
			ok++
		case notify.IsPermanent(e):
			permanent++
		}
	}
	if ok > 0 {
		for _, e := range errs {
			if e != nil {
				a.log.Warn("alertmanager: one Alertmanager did not take the alerts; others did", "group", g.Key, "id", g.ID, "err", e)
			}
		}
		return nil
	}
	joined := errors.Join(errs...)
	if permanent == len(errs) {
		return notify.Permanent(joined)
	}
	// Some failures are worth retrying: report the text without the
	// Permanent marks, which errors.As would otherwise find in the join.
	return errors.New(joined.Error())
}
