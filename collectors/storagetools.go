package collectors

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"
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
	// lookPath finds a program; nil means findProgram (exec.LookPath).
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
		data, _, err := readToolCapture(r, name, maxStorageToolOutput)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errToolAbsent
		}
		return data, err
	}
	look := t.lookPath
	if look == nil {
		look = findProgram
	}
	path, err := look(prog)
	if err != nil {
		return nil, errToolAbsent
	}
	out, err := toolCmd{prog: path, args: args, timeout: storageToolTimeout, maxOutput: maxStorageToolOutput, record: name}.run(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", prog, err)
	}
	return out, nil
}
