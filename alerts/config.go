package alerts

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/redwatch/redwatch/alerts/alertmanager"
	"github.com/redwatch/redwatch/alerts/email"
	"github.com/redwatch/redwatch/alerts/exec"
	"github.com/redwatch/redwatch/alerts/notify"
	"github.com/redwatch/redwatch/alerts/webhook"
	"github.com/redwatch/redwatch/rules"
)

// Defaults for Config fields left zero.
const (
	DefaultRepeatInterval = 4 * time.Hour
	DefaultMaxAge         = 24 * time.Hour
	DefaultMaxQueue       = 10000
	// DefaultAttemptTimeout caps one delivery attempt whatever the channel's
	// own timeout, so that no receiver can hold a channel forever.
	DefaultAttemptTimeout = 2 * time.Minute
	// MaxGroupAlerts bounds the alerts of one message; a longer run of the
	// queue goes out in several.
	MaxGroupAlerts = 200
)

// DefaultGroupBy groups by host: everything a pass produces for a channel
// goes out as one message.
var DefaultGroupBy = []string{"instance"}

// groupLabels are the labels group_by may name: those of every alert.
var groupLabels = []string{"alertname", "severity", "instance", "subject"}

// Channel types.
const (
	TypeWebhook      = "webhook"
	TypeEmail        = "email"
	TypeAlertmanager = "alertmanager"
	TypeExec         = "exec"
)

// Config is the `alerts:` block of the redwatch configuration.
//
//	alerts:
//	  repeat_interval: 4h        # re-notify a still-firing alert this often
//	  max_age: 24h               # drop an undeliverable notification after this
//	  external_url: https://host:9258/   # link in notifications (optional)
//	  retry: {initial: 1s, max: 5m}
//	  group_by: [instance]       # one message per host (default); [...] = one per alert
//	  group_wait: 0s             # hold a new group this long to gather more passes
//	  channels:
//	    - name: ops
//	      type: webhook
//	      min_severity: warning
//	      rules: ["md-*"]        # optional globs on the rule ID
//	      subjects: ["md0*"]     # optional globs on the subject
//	      webhook: {url: https://hooks.example/redwatch, hmac_secret_file: /etc/redwatch/hmac}
type Config struct {
	// RepeatInterval is how often a still-firing alert is notified again
	// (default 4h).
	RepeatInterval time.Duration `yaml:"repeat_interval" json:"repeat_interval"`
	// MaxAge is how long a notification is retried before it is dropped with
	// an error log and redwatch_alert_dropped_total (default 24h).
	MaxAge time.Duration `yaml:"max_age" json:"max_age"`
	// MaxQueue bounds each channel's outbox (default 10000); beyond it new
	// notifications for that channel are dropped and counted.
	MaxQueue int `yaml:"max_queue" json:"max_queue"`
	// ExternalURL is where notifications link back to (the status page).
	ExternalURL string `yaml:"external_url" json:"external_url"`
	// Retry is the backoff between delivery attempts.
	Retry RetryConfig `yaml:"retry" json:"retry"`
	// GroupBy are the labels (alertname, severity, instance, subject) whose
	// values make a group: the notifications queued together for a channel
	// with the same values go out as one message, like Alertmanager's
	// group_by. Default [instance]: one message per pass; ["..."] groups by
	// every label, i.e. one message per alert.
	GroupBy []string `yaml:"group_by" json:"group_by,omitempty"`
	// GroupWait holds the first notification of a message this long so that
	// later passes can join it (default 0: a pass goes out as soon as it is
	// evaluated, with what that pass produced).
	GroupWait time.Duration `yaml:"group_wait" json:"group_wait,omitempty"`
	// Channels are the receivers, each with its routing.
	Channels []ChannelConfig `yaml:"channels" json:"channels"`
}

// RetryConfig is the exponential backoff between attempts: Initial, doubling,
// capped at Max, with ±20 % jitter.
type RetryConfig struct {
	Initial time.Duration `yaml:"initial" json:"initial"`
	Max     time.Duration `yaml:"max" json:"max"`
}

// ChannelConfig is one receiver: its name, its routing and the block of its type.
type ChannelConfig struct {
	// Name names the channel in logs, metrics and `notify test --channel`
	// (letters, digits, '.', '_' and '-').
	Name string `yaml:"name" json:"name"`
	// Type is webhook, email, alertmanager or exec; its block must be set.
	Type string `yaml:"type" json:"type"`
	// MinSeverity is the least severe finding the channel gets (default info).
	MinSeverity rules.Severity `yaml:"min_severity" json:"min_severity"`
	// Rules and Subjects, when set, restrict the channel to findings whose
	// rule ID and subject match one of the globs ('*' any run, '?' one char).
	Rules    []string `yaml:"rules" json:"rules,omitempty"`
	Subjects []string `yaml:"subjects" json:"subjects,omitempty"`
	// SendResolved sends a notification when the alert resolves (default true).
	SendResolved *bool `yaml:"send_resolved" json:"send_resolved,omitempty"`
	// RepeatInterval overrides the global repeat_interval for this channel.
	RepeatInterval time.Duration `yaml:"repeat_interval" json:"repeat_interval,omitempty"`
	// GroupBy and GroupWait override the global group_by and group_wait.
	GroupBy   []string       `yaml:"group_by" json:"group_by,omitempty"`
	GroupWait *time.Duration `yaml:"group_wait" json:"group_wait,omitempty"`

	Webhook      *webhook.Config      `yaml:"webhook" json:"webhook,omitempty"`
	Email        *email.Config        `yaml:"email" json:"email,omitempty"`
	Alertmanager *alertmanager.Config `yaml:"alertmanager" json:"alertmanager,omitempty"`
	Exec         *exec.Config         `yaml:"exec" json:"exec,omitempty"`
}

var channelName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Validate checks the configuration's shape without touching the network or
// reading secret files (those are read when the channels are built). Every
// problem is reported, joined.
func (c *Config) Validate() error {
	var errs []error
	if c.RepeatInterval < 0 {
		errs = append(errs, errors.New("alerts: repeat_interval must not be negative"))
	}
	if c.MaxAge < 0 {
		errs = append(errs, errors.New("alerts: max_age must not be negative"))
	}
	if c.MaxQueue < 0 {
		errs = append(errs, errors.New("alerts: max_queue must not be negative"))
	}
	if c.Retry.Initial < 0 || c.Retry.Max < 0 {
		errs = append(errs, errors.New("alerts: retry durations must not be negative"))
	}
	if c.GroupWait < 0 {
		errs = append(errs, errors.New("alerts: group_wait must not be negative"))
	}
	if err := validateGroupBy(c.GroupBy); err != nil {
		errs = append(errs, fmt.Errorf("alerts: %w", err))
	}
	seen := map[string]bool{}
	for i := range c.Channels {
		ch := &c.Channels[i]
		where := fmt.Sprintf("alerts: channels[%d]", i)
		if ch.Name != "" {
			where = fmt.Sprintf("alerts: channel %q", ch.Name)
		}
		if err := ch.validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
		if seen[ch.Name] {
			errs = append(errs, fmt.Errorf("%s: duplicate channel name", where))
		}
		seen[ch.Name] = true
	}
	return errors.Join(errs...)
}

func (ch *ChannelConfig) validate() error {
	var errs []error
	if !channelName.MatchString(ch.Name) {
		errs = append(errs, fmt.Errorf("name %q: want 1-64 letters, digits, '.', '_' or '-'", ch.Name))
	}
	if ch.MinSeverity < rules.Info || ch.MinSeverity > rules.Critical {
		errs = append(errs, fmt.Errorf("min_severity %v: want info, warning or critical", ch.MinSeverity))
	}
	if ch.RepeatInterval < 0 {
		errs = append(errs, errors.New("repeat_interval must not be negative"))
	}
	if ch.GroupWait != nil && *ch.GroupWait < 0 {
		errs = append(errs, errors.New("group_wait must not be negative"))
	}
	if err := validateGroupBy(ch.GroupBy); err != nil {
		errs = append(errs, err)
	}
	for _, g := range append(append([]string(nil), ch.Rules...), ch.Subjects...) {
		if g == "" {
			errs = append(errs, errors.New("empty rule or subject glob"))
		}
	}
	set := map[string]bool{
		TypeWebhook:      ch.Webhook != nil,
		TypeEmail:        ch.Email != nil,
		TypeAlertmanager: ch.Alertmanager != nil,
		TypeExec:         ch.Exec != nil,
	}
	if _, ok := set[ch.Type]; !ok {
		errs = append(errs, fmt.Errorf("type %q: want webhook, email, alertmanager or exec", ch.Type))
	} else if !set[ch.Type] {
		errs = append(errs, fmt.Errorf("type %s needs a %q block", ch.Type, ch.Type))
	}
	for t, on := range set {
		if on && t != ch.Type {
			errs = append(errs, fmt.Errorf("has a %q block but type is %q", t, ch.Type))
		}
	}
	var err error
	switch {
	case ch.Type == TypeWebhook && ch.Webhook != nil:
		err = ch.Webhook.Validate()
	case ch.Type == TypeEmail && ch.Email != nil:
		err = ch.Email.Validate()
	case ch.Type == TypeAlertmanager && ch.Alertmanager != nil:
		err = ch.Alertmanager.Validate()
	case ch.Type == TypeExec && ch.Exec != nil:
		err = ch.Exec.Validate()
	}
	if err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// validateGroupBy accepts the alert labels, once each, or "..." alone.
func validateGroupBy(by []string) error {
	if len(by) == 1 && by[0] == "..." {
		return nil
	}
	seen := map[string]bool{}
	for _, l := range by {
		if l == "..." {
			return errors.New(`group_by: "..." (every label) stands alone`)
		}
		if !slices.Contains(groupLabels, l) {
			return fmt.Errorf("group_by: label %q: want %s or \"...\"", l, strings.Join(groupLabels, ", "))
		}
		if seen[l] {
			return fmt.Errorf("group_by: label %q twice", l)
		}
		seen[l] = true
	}
	return nil
}

// groupBy is the channel's group_by in force; "..." becomes every label.
func (c *Config) groupBy(ch *ChannelConfig) []string {
	by := c.GroupBy
	if ch.GroupBy != nil {
		by = ch.GroupBy
	}
	switch {
	case len(by) == 0:
		return DefaultGroupBy
	case len(by) == 1 && by[0] == "...":
		return groupLabels
	}
	return by
}

// groupWait is the channel's group_wait in force.
func (c *Config) groupWait(ch *ChannelConfig) time.Duration {
	if ch.GroupWait != nil {
		return *ch.GroupWait
	}
	return c.GroupWait
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.RepeatInterval == 0 {
		c.RepeatInterval = DefaultRepeatInterval
	}
	if c.MaxAge == 0 {
		c.MaxAge = DefaultMaxAge
	}
	if c.MaxQueue == 0 {
		c.MaxQueue = DefaultMaxQueue
	}
	return c
}

func (c Config) backoff() notify.Backoff {
	b := notify.DefaultBackoff
	if c.Retry.Initial > 0 {
		b.Initial = c.Retry.Initial
	}
	if c.Retry.Max > 0 {
		b.Max = c.Retry.Max
	}
	return b
}

func (ch *ChannelConfig) sendResolved() bool { return ch.SendResolved == nil || *ch.SendResolved }
