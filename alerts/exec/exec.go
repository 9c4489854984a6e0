// Package exec is the exec alert channel: like mdadm's PROGRAM and smartd's
// -M exec, it runs a program for each message, with the group of alerts in
// environment variables and the group as JSON on stdin (notify.Group: id,
// group_key, group_labels, status, host, alerts[] with each alert's rule,
// severity, subject, message, remediation, members, fingerprint and id).
//
// Environment (besides PATH, LANG and TZ from redwatch's own):
//
//	REDWATCH_STATUS          firing (at least one alert fires) | resolved
//	REDWATCH_SEVERITY        worst severity of the firing alerts (of all when none fires)
//	REDWATCH_HOST            the host name
//	REDWATCH_NOTIFICATION_ID the message's ID; repeated on retries
//	REDWATCH_GROUP_KEY       the group's labels, e.g. {instance="db7"}
//	REDWATCH_ALERTS          how many alerts; REDWATCH_FIRING, REDWATCH_RESOLVED by status
//	REDWATCH_SUMMARY         one line per alert: "FIRING critical md_degraded md0: message"
//	REDWATCH_FINGERPRINTS    the alerts' fingerprints, space-separated
//	REDWATCH_TEST            "true" or "false"
//
// and, when the group holds exactly one alert, that alert as before:
//
//	REDWATCH_RULE, REDWATCH_SUBJECT, REDWATCH_MESSAGE, REDWATCH_REMEDIATION,
//	REDWATCH_FINGERPRINT, REDWATCH_STARTS_AT, REDWATCH_ENDS_AT (RFC 3339),
//	REDWATCH_GROUP ("bond bond0"), REDWATCH_MEMBERS ("eth0=up eth1=down"),
//	REDWATCH_REPEAT, REDWATCH_MAINTENANCE ("true" or "false")
//
// Exit status: 0 means delivered. 64–78 other than 75 (the sysexits usage,
// data and configuration errors) are permanent: the notification is dropped.
// Anything else — another status, 75 (EX_TEMPFAIL), a signal, the timeout —
// is retried. On timeout or shutdown the whole process group is killed.
package exec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redwatch/redwatch/alerts/notify"
)

// DefaultTimeout bounds one run when the configuration sets none.
const DefaultTimeout = 30 * time.Second

// Config is an exec channel's `exec:` block.
type Config struct {
	// Command is the program and its arguments (no shell).
	Command []string `yaml:"command" json:"command"`
	// Timeout bounds one run (default 30s); then the process group is killed.
	Timeout time.Duration `yaml:"timeout" json:"timeout,omitempty"`
}

// Validate checks the block.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Command) == 0 || c.Command[0] == "" {
		errs = append(errs, errors.New("exec: command is required"))
	} else if !strings.Contains(c.Command[0], "/") {
		errs = append(errs, fmt.Errorf("exec: command %q: give an absolute path", c.Command[0]))
	}
	if c.Timeout < 0 {
		errs = append(errs, errors.New("exec: timeout must not be negative"))
	}
	return errors.Join(errs...)
}

// Notifier runs the program.
type Notifier struct {
	argv    []string
	timeout time.Duration
}

// New builds the notifier.
func New(c Config) (*Notifier, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	n := &Notifier{argv: append([]string(nil), c.Command...), timeout: c.Timeout}
	if n.timeout == 0 {
		n.timeout = DefaultTimeout
	}
	return n, nil
}

// Env is the environment the program gets for g (without PATH, LANG, TZ).
func Env(g *notify.Group) []string {
	var summary, fps []string
	for _, n := range g.Alerts {
		summary = append(summary, fmt.Sprintf("%s %s %s %s: %s", strings.ToUpper(string(n.Status)), n.Severity, n.Rule, n.Subject, n.Message))
		fps = append(fps, n.Fingerprint)
	}
	env := []string{
		"REDWATCH_STATUS=" + string(g.Status),
		"REDWATCH_SEVERITY=" + g.Severity().String(),
		"REDWATCH_HOST=" + g.Host,
		"REDWATCH_NOTIFICATION_ID=" + g.ID,
		"REDWATCH_GROUP_KEY=" + g.Key,
		"REDWATCH_ALERTS=" + strconv.Itoa(len(g.Alerts)),
		"REDWATCH_FIRING=" + strconv.Itoa(len(g.Firing())),
		"REDWATCH_RESOLVED=" + strconv.Itoa(len(g.Resolved())),
		"REDWATCH_SUMMARY=" + strings.Join(summary, "\n"),
		"REDWATCH_FINGERPRINTS=" + strings.Join(fps, " "),
		"REDWATCH_TEST=" + strconv.FormatBool(g.Test),
	}
	if len(g.Alerts) != 1 {
		return env
	}
	n := g.Alerts[0]
	members := make([]string, 0, len(n.Members))
	for _, m := range n.Members {
		members = append(members, m.Name+"="+m.State)
	}
	ends := ""
	if !n.EndsAt.IsZero() {
		ends = n.EndsAt.UTC().Format(time.RFC3339)
	}
	return append(env,
		"REDWATCH_RULE="+n.Rule,
		"REDWATCH_SUBJECT="+n.Subject,
		"REDWATCH_MESSAGE="+n.Message,
		"REDWATCH_REMEDIATION="+n.Remediation,
		"REDWATCH_FINGERPRINT="+n.Fingerprint,
		"REDWATCH_STARTS_AT="+n.StartsAt.UTC().Format(time.RFC3339),
		"REDWATCH_ENDS_AT="+ends,
		"REDWATCH_GROUP="+n.Group,
		"REDWATCH_MEMBERS="+strings.Join(members, " "),
		"REDWATCH_REPEAT="+strconv.FormatBool(n.Repeat),
		"REDWATCH_MAINTENANCE="+strconv.FormatBool(n.Maintenance),
	)
}

// Notify implements notify.Notifier.
func (x *Notifier) Notify(ctx context.Context, g *notify.Group) error {
	in, err := json.Marshal(g)
	if err != nil {
		return notify.Permanent(fmt.Errorf("exec: %w", err))
	}
	return Run(ctx, x.argv, x.timeout, Env(g), in, PermanentExit)
}

// PermanentExit says whether a program's exit status is not worth retrying:
// 64–78 (sysexits.h) except 75, EX_TEMPFAIL.
func PermanentExit(code int) bool { return code >= 64 && code <= 78 && code != 75 }

// Run runs argv (argv[0] an absolute path, no shell) in its own process
// group with env added to the base environment (PATH, LANG, TZ) and stdin on
// its standard input, bounded by timeout: the whole group is killed then or
// when ctx ends. It returns nil on exit 0; an exit status for which permanent
// says true is a Permanent error, anything else a retryable one; the error
// carries the last bytes of the program's output. The sendmail transport of
// alerts/email runs through it too, so that one place in the alerts starts
// processes.
func Run(ctx context.Context, argv []string, timeout time.Duration, env []string, stdin []byte, permanent func(code int) bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := osexec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// Negative pid: the whole process group, children included.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 2 * time.Second // a child that kept our pipes open
	cmd.Env = append(baseEnv(), env...)
	cmd.Stdin = bytes.NewReader(stdin)
	out := &tail{max: 512}
	cmd.Stdout, cmd.Stderr = out, out
	err := cmd.Run()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("exec: %s: killed after %s: %w", argv[0], timeout, ctx.Err())
	}
	msg := fmt.Errorf("exec: %s: %w", argv[0], err)
	if s := out.String(); s != "" {
		msg = fmt.Errorf("exec: %s: %w: %s", argv[0], err, s)
	}
	var ee *osexec.ExitError
	if errors.As(err, &ee) {
		if c := ee.ExitCode(); c >= 0 && permanent(c) {
			return notify.Permanent(msg)
		}
	}
	return msg
}

func baseEnv() []string {
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	for _, k := range []string{"PATH", "LANG", "TZ"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// tail keeps the last max bytes written, on one line.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(strings.Fields(string(t.b)), " ")
}
