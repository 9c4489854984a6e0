package alerts

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/redwatch/redwatch/alerts/notify"
	"github.com/redwatch/redwatch/internal/safefile"
)

// The outbox is one directory per channel under <state>/alerts/outbox/, with
// one file per queued notification, named <seq>-<id>.json where seq is a
// zero-padded sequence number that orders the queue. A file is written
// atomically (temp, fsync, rename, fsync dir) before the first delivery
// attempt and removed once the channel accepted it or it was dropped.
//
// One file per notification rather than an append-only log: alert volume is
// low (tens an hour; a storm is hundreds), so a file each costs nothing,
// while it makes each enqueue and each acknowledgement a single atomic
// filesystem operation — no torn tail to repair after a crash, no compaction,
// no index to keep in step, and a human can inspect or delete one entry.

const outboxVersion = 1

// outboxFile is the on-disk form of one queued notification.
type outboxFile struct {
	Version      int                 `json:"version"`
	Channel      string              `json:"channel"`
	Seq          uint64              `json:"seq"`
	Notification notify.Notification `json:"notification"`
}

// entry is one queued notification in memory.
type entry struct {
	seq  uint64
	path string
	n    notify.Notification
}

// outbox is the queue directory of one channel.
type outbox struct {
	channel string
	dir     string
}

func newOutbox(stateDir, channel string) (*outbox, error) {
	dir := filepath.Join(stateDir, "alerts", "outbox", channel)
	if err := safefile.MkdirChecked(dir, 0o700); err != nil {
		return nil, fmt.Errorf("alerts: outbox: %w", err)
	}
	return &outbox{channel: channel, dir: dir}, nil
}

// load reads every queued notification in sequence order. Leftover temporary
// files (a crash mid-write) are removed; a file that does not decode is
// renamed to *.corrupt and reported in bad, never silently lost.
func (o *outbox) load() (entries []entry, bad []string, err error) {
	des, err := os.ReadDir(o.dir)
	if err != nil {
		return nil, nil, fmt.Errorf("alerts: outbox: %w", err)
	}
	for _, de := range des {
		name := de.Name()
		path := filepath.Join(o.dir, name)
		if strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-") { // safefile.WriteAtomic's temporary
			_ = os.Remove(path)
			continue
		}
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		e, derr := readEntry(path)
		if derr != nil {
			_ = os.Rename(path, path+".corrupt")
			bad = append(bad, fmt.Sprintf("%s: %v", path, derr))
			continue
		}
		entries = append(entries, e)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].seq < entries[j].seq })
	return entries, bad, nil
}

// maxEntry bounds one outbox file.
const maxEntry = 1 << 20

func readEntry(path string) (entry, error) {
	b, err := safefile.ReadFileNoFollow(path, maxEntry)
	if err != nil {
		return entry{}, err
	}
	var f outboxFile
	if err := json.Unmarshal(b, &f); err != nil {
		return entry{}, err
	}
	if f.Version != outboxVersion || f.Notification.ID == "" {
		return entry{}, errors.New("not a redwatch outbox entry")
	}
	name := filepath.Base(path)
	seqText, _, _ := strings.Cut(name, "-")
	if seq, err := strconv.ParseUint(seqText, 10, 64); err != nil || seq != f.Seq {
		return entry{}, errors.New("file name does not match its sequence number")
	}
	return entry{seq: f.Seq, path: path, n: f.Notification}, nil
}

// put writes one notification and returns its entry. The file is fsynced and
// renamed into place; the caller fsyncs the directory (sync) once per batch
// before it counts the batch as queued.
func (o *outbox) put(seq uint64, n notify.Notification) (entry, error) {
	b, err := json.Marshal(outboxFile{Version: outboxVersion, Channel: o.channel, Seq: seq, Notification: n})
	if err != nil {
		return entry{}, fmt.Errorf("alerts: outbox: %w", err)
	}
	path := filepath.Join(o.dir, fmt.Sprintf("%020d-%s.json", seq, n.ID))
	if err := safefile.WriteAtomic(path, b, 0o600, false); err != nil {
		return entry{}, err
	}
	return entry{seq: seq, path: path, n: n}, nil
}

// sync makes the renames of a batch of puts durable.
func (o *outbox) sync() error { return safefile.SyncDir(o.dir) }

// remove deletes a delivered or dropped entry. A removal lost in a crash only
// means one more delivery, which at-least-once allows, so the directory is
// not fsynced.
func (o *outbox) remove(e entry) error {
	if err := os.Remove(e.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("alerts: outbox: %w", err)
	}
	return nil
}
