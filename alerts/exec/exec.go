// Package exec is the exec alert channel: like mdadm's PROGRAM and smartd's
// -M exec, it runs a program for each notification, with the alert in
// environment variables and the notification as JSON on stdin.
//
// Environment (besides PATH, LANG and TZ from redwatch's own):
//
//	REDWATCH_STATUS          firing | resolved
//	REDWATCH_RULE            rule ID, e.g. bond-slave-down
//	REDWATCH_SEVERITY        info | warning | critical
//	REDWATCH_SUBJECT         e.g. bond0/eth1
//	REDWATCH_HOST            the host name
//	REDWATCH_MESSAGE         what broke
//	REDWATCH_REMEDIATION     what to do
//	REDWATCH_FINGERPRINT     stable alert identity (host, rule, subject)
//	REDWATCH_NOTIFICATION_ID unique per notification; repeated on retries
//	REDWATCH_STARTS_AT       RFC 3339; REDWATCH_ENDS_AT when resolved
//	REDWATCH_GROUP           e.g. "bond bond0"; REDWATCH_MEMBERS "eth0=up eth1=down"
//	REDWATCH_REPEAT, REDWATCH_TEST, REDWATCH_MAINTENANCE  "true" or "false"
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

// Env is the environment the program gets for n (without PATH, LANG, TZ).
func Env(n *notify.Notification) []string {
	members := make([]string, 0, len(n.Members))
	for _, m := range n.Members {
		members = append(members, m.Name+"="+m.State)
	}
	ends := ""
	if !n.EndsAt.IsZero() {
		ends = n.EndsAt.UTC().Format(time.RFC3339)
	}
	return []string{
		"REDWATCH_STATUS=" + string(n.Status),
		"REDWATCH_RULE=" + n.Rule,
		"REDWATCH_SEVERITY=" + n.Severity.String(),
		"REDWATCH_SUBJECT=" + n.Subject,
		"REDWATCH_HOST=" + n.Host,
		"REDWATCH_MESSAGE=" + n.Message,
		"REDWATCH_REMEDIATION=" + n.Remediation,
		"REDWATCH_FINGERPRINT=" + n.Fingerprint,
		"REDWATCH_NOTIFICATION_ID=" + n.ID,
		"REDWATCH_STARTS_AT=" + n.StartsAt.UTC().Format(time.RFC3339),
		"REDWATCH_ENDS_AT=" + ends,
		"REDWATCH_GROUP=" + n.Group,
		"REDWATCH_MEMBERS=" + strings.Join(members, " "),
		"REDWATCH_REPEAT=" + strconv.FormatBool(n.Repeat),
		"REDWATCH_TEST=" + strconv.FormatBool(n.Test),
		"REDWATCH_MAINTENANCE=" + strconv.FormatBool(n.Maintenance),
	}
}

// Notify implements notify.Notifier.
func (x *Notifier) Notify(ctx context.Context, n *notify.Notification) error {
	in, err := json.Marshal(n)
	if err != nil {
		return notify.Permanent(fmt.Errorf("exec: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, x.timeout)
	defer cancel()
	cmd := osexec.CommandContext(ctx, x.argv[0], x.argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// Negative pid: the whole process group, children included.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 2 * time.Second // a child that kept our pipes open
	cmd.Env = append(baseEnv(), Env(n)...)
	cmd.Stdin = bytes.NewReader(in)
	out := &tail{max: 512}
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Run()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("exec: %s: killed after %s: %w", x.argv[0], x.timeout, ctx.Err())
	}
	msg := fmt.Errorf("exec: %s: %w", x.argv[0], err)
	if s := out.String(); s != "" {
		msg = fmt.Errorf("exec: %s: %w: %s", x.argv[0], err, s)
	}
	var ee *osexec.ExitError
	if errors.As(err, &ee) {
		if c := ee.ExitCode(); c >= 64 && c <= 78 && c != 75 {
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
