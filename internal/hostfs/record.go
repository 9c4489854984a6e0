package hostfs

import (
	"bytes"
	"os"
	"sort"
	"sync"
	"sync/atomic"
)

// Read is one read recorded by a Recorder.
type Read struct {
	// Path is the file read, as the collector named it (under a root).
	Path string
	// Data is what the read returned (a sysfs attribute's short content,
	// not its 4096-byte size); nil when the read was only noted (RecordPath).
	Data []byte
	// Err is why the read failed, nil when it did not.
	Err error
	// Kept is false for a RecordPath note: the capture reads the path itself.
	Kept bool
	// List is true when the path was listed as a directory (ReadDir, Open):
	// the capture keeps its entries.
	List bool
}

// Output is a recorded tool output (smartctl, ipmitool, a RAID tool, lldpctl):
// the extension point for collectors that run a tool instead of reading a
// file. Such a collector calls RecordOutput with the path, relative to the
// captured tree, it reads the same output from under `--root` (for example
// "run/redwatch/smartctl/sda.json"), so that a capture replays it.
type Output struct {
	Name string
	Data []byte
}

// Recorder collects every read made through this package (ReadAttr,
// ReadAttrTimeout, ReadFile) and every path noted by RecordPath and
// RecordOutput while it is installed: `redwatch capture` installs one for a
// pass, so that it archives exactly what the pass read.
type Recorder struct {
	mu      sync.Mutex
	reads   map[string]Read
	outputs map[string][]byte
}

// recorder is the Recorder installed, nil when none is.
var recorder atomic.Pointer[Recorder]

// StartRecording installs a new Recorder and returns it; Stop uninstalls it.
// One Recorder at a time: a second StartRecording replaces the first.
func StartRecording() *Recorder {
	r := &Recorder{reads: map[string]Read{}, outputs: map[string][]byte{}}
	recorder.Store(r)
	return r
}

// Stop uninstalls r; reads after it are not recorded.
func (r *Recorder) Stop() { recorder.CompareAndSwap(r, nil) }

// record notes one read with the installed Recorder, if any. A path read
// twice keeps its first successful read.
func record(rd Read) {
	r := recorder.Load()
	if r == nil {
		return
	}
	rd.Data = bytes.Clone(rd.Data) // nil stays nil, empty stays empty
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.reads[rd.Path]; ok {
		list := old.List || rd.List
		if old.Kept && old.Err == nil || !rd.Kept && old.Err == nil {
			rd = old
		}
		rd.List = list
	}
	r.reads[rd.Path] = rd
}

// Recording reports whether a Recorder is installed: a collector that reads
// by file descriptor builds the paths to record only then.
func Recording() bool { return recorder.Load() != nil }

// RecordRead records a read a collector made itself (by file descriptor,
// openat): the path, what it returned and its error.
func RecordRead(path string, data []byte, err error) {
	record(Read{Path: path, Data: data, Err: err, Kept: true})
}

// RecordPath notes a path a collector read without ReadAttr or ReadFile,
// with the error of that read, so that a capture keeps it.
func RecordPath(path string, err error) { record(Read{Path: path, Err: err}) }

// RecordList notes a directory whose entries a collector read by name
// without listing it (an absent one is one it does not have), so that a
// capture keeps its entries as if it had been listed.
func RecordList(path string) {
	if Recording() {
		record(Read{Path: path, List: true})
	}
}

// ReadDir is os.ReadDir, recorded: a capture keeps the directory's entries.
func ReadDir(path string) ([]os.DirEntry, error) {
	ents, err := os.ReadDir(path)
	record(Read{Path: path, Err: err, List: true})
	return ents, err
}

// Open is os.Open, recorded, for a file a collector streams or a directory
// it lists in parts.
func Open(path string) (*os.File, error) {
	f, err := os.Open(path)
	record(Read{Path: path, Err: err, List: true})
	return f, err
}

// Stat is os.Stat, recorded.
func Stat(path string) (os.FileInfo, error) {
	fi, err := os.Stat(path)
	RecordPath(path, err)
	return fi, err
}

// Lstat is os.Lstat, recorded.
func Lstat(path string) (os.FileInfo, error) {
	fi, err := os.Lstat(path)
	RecordPath(path, err)
	return fi, err
}

// Readlink is os.Readlink, recorded.
func Readlink(path string) (string, error) {
	t, err := os.Readlink(path)
	RecordPath(path, err)
	return t, err
}

// RecordOutput notes a tool's output under name, its path relative to a
// captured tree; see Output.
func RecordOutput(name string, data []byte) {
	r := recorder.Load()
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outputs[name] = append([]byte{}, data...)
}

// Reads returns the reads recorded, sorted by path.
func (r *Recorder) Reads() []Read {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Read, 0, len(r.reads))
	for _, rd := range r.reads {
		out = append(out, rd)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Outputs returns the tool outputs recorded, sorted by name.
func (r *Recorder) Outputs() []Output {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Output, 0, len(r.outputs))
	for n, d := range r.outputs {
		out = append(out, Output{Name: n, Data: d})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
