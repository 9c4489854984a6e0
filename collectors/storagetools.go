package collectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/redwatch/redwatch/internal/hostfs"
)

// storageToolTimeout bounds one run of a storage tool (multipathd, btrfs,
// zpool): each asks the kernel or a local daemon and answers in
// milliseconds; a pool that is suspended can make zpool hang.
const storageToolTimeout = 5 * time.Second

// maxStorageToolOutput bounds one storage tool's output (zpool status of a
// pool with hundreds of disks is well under it).
const maxStorageToolOutput = 4 << 20

// storageTool runs the storage tools (multipathd, btrfs, zpool) on a live
// host and reads their captured outputs in a tree: in --root mode the
// output of capture name is ROOT/<name> and no program runs; on a live host
// the program runs (bounded in time and output) only when it is installed,
// and its output is recorded under name (hostfs.RecordOutput) so that
// `redwatch capture` keeps it for --root to read back.
type storageTool struct {
	// lookPath finds a program; nil means exec.LookPath.
	lookPath func(string) (string, error)
}

// errToolAbsent is the error of a tool that is not installed, or an output
// that a tree does not hold: no data, which is not a failure.
var errToolAbsent = errors.New("not installed or not captured")

// output returns the output of `prog args...` on a live host, or the tree's
// ROOT/<name>. It returns errToolAbsent when the program is not installed
// (live) or the tree holds no such file.
func (t storageTool) output(ctx context.Context, r Roots, name, prog string, args ...string) ([]byte, error) {
	if !r.Live {
		if r.Sys == "" {
			return nil, errToolAbsent
		}
		path := filepath.Join(filepath.Dir(r.Sys), filepath.FromSlash(name))
		data, err := hostfs.ReadFile(path, maxStorageToolOutput)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errToolAbsent
		}
		if err != nil {
			return nil, err
		}
		hostfs.RecordOutput(name, data) // a capture of a tree keeps it
		return data, nil
	}
	look := t.lookPath
	if look == nil {
		look = exec.LookPath
	}
	path, err := look(prog)
	if err != nil {
		return nil, errToolAbsent
	}
	ctx, cancel := context.WithTimeout(ctx, storageToolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	var stdout, stderr limitedBuffer
	stdout.limit, stderr.limit = maxStorageToolOutput, 4096
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%s: timed out after %s: %w", prog, storageToolTimeout, ctx.Err())
	case err != nil:
		return nil, fmt.Errorf("%s: %w: %s", prog, err, bytes.TrimSpace(stderr.Bytes()))
	case stdout.over:
		return nil, fmt.Errorf("%s: output larger than %d bytes: %w", prog, maxStorageToolOutput, hostfs.ErrTooLarge)
	}
	hostfs.RecordOutput(name, stdout.Bytes())
	return stdout.Bytes(), nil
}
