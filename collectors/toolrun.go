package collectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/redwatch/redwatch/internal/hostfs"
)

// toolrun.go is the one place the collectors start a program (lldpcli,
// smartctl, the RAID tools, multipathd, btrfs, zpool) and read back a
// captured tree's copy of its output: lint allows os/exec in this file only.

// maxToolStderr bounds what a tool's standard error keeps for an error
// message.
const maxToolStderr = 4096

// findProgram is exec.LookPath: the path of an installed program.
func findProgram(name string) (string, error) { return exec.LookPath(name) }

// toolCmd is one bounded run of a program. Its output can be recorded for
// `redwatch capture` under the name `--root` reads it back from
// (hostfs.RecordOutput).
type toolCmd struct {
	// prog is the program's name (looked for on PATH) or path.
	prog string
	args []string
	// timeout bounds the run.
	timeout time.Duration
	// maxOutput bounds the standard output, in bytes.
	maxOutput int
	// record is the output's name in a captured tree; "" records nothing.
	// A run is recorded when it succeeds, and with recordFailed also when
	// it failed after printing something (the RAID tools print their JSON
	// with a failure status).
	record       string
	recordFailed bool
}

// toolFailure is a program that did not run to a zero exit status: it
// exited non-zero (an *exec.ExitError) or could not start.
type toolFailure struct {
	err error
	// exit is the exit status of a program that exited, -1 when it did
	// not (it could not start, or a signal ended it).
	exit int
	// stderr is the start of its standard error, trimmed.
	stderr string
}

func (f *toolFailure) Error() string { return fmt.Sprintf("%v: %s", f.err, f.stderr) }

func (f *toolFailure) Unwrap() error { return f.err }

// run runs the program and returns its standard output. The error is a
// timeout ("timed out after 5s: ..."), an output past maxOutput (wrapping
// hostfs.ErrTooLarge), or a *toolFailure; with a *toolFailure the output
// printed is returned too. A child holding the pipes open past the
// program's end is given a second.
func (c toolCmd) run(ctx context.Context) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.prog, c.args...)
	cmd.WaitDelay = time.Second
	stdout, stderr := &limitedBuffer{limit: c.maxOutput}, &limitedBuffer{limit: maxToolStderr}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("timed out after %s: %w", c.timeout, ctx.Err())
	case stdout.over:
		return nil, fmt.Errorf("output larger than %d bytes: %w", c.maxOutput, hostfs.ErrTooLarge)
	case err != nil:
		f := &toolFailure{err: err, exit: -1, stderr: strings.TrimSpace(stderr.String())}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			f.exit = ee.ExitCode()
		}
		if c.record != "" && c.recordFailed && stdout.Len() > 0 {
			hostfs.RecordOutput(c.record, stdout.Bytes())
		}
		return stdout.Bytes(), f
	}
	if c.record != "" {
		hostfs.RecordOutput(c.record, stdout.Bytes())
	}
	return stdout.Bytes(), nil
}

// readToolCapture reads a captured tree's copy of a tool's output,
// ROOT/<name> (ROOT is the folder of r.Sys), at most limit bytes, and records
// it under name so that a capture of the tree keeps it. It also returns the
// file's path; an absent file is an error wrapping fs.ErrNotExist.
func readToolCapture(r Roots, name string, limit int64) ([]byte, string, error) {
	path := filepath.Join(filepath.Dir(r.Sys), filepath.FromSlash(name))
	data, err := hostfs.ReadFile(path, limit)
	if err != nil {
		return nil, path, err
	}
	hostfs.RecordOutput(name, data)
	return data, path, nil
}

// limitedBuffer keeps the first limit bytes written to it and notes that
// more came.
type limitedBuffer struct {
	bytes.Buffer
	limit int
	over  bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - b.Len(); len(p) > room {
		b.over = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}
