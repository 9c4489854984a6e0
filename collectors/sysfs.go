package collectors

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// maxAttrSize bounds one sysfs/procfs attribute read. sysfs attributes are at
// most a page; /proc files we read whole (mdstat, bonding) are bounded separately.
const maxAttrSize = 4096

// maxFileSize bounds a whole procfs file read (/proc/mdstat, /proc/net/bonding/*).
const maxFileSize = 1 << 20

// readAttr reads a sysfs attribute with one bounded read: some hwmon drivers
// block or misbehave on a second read.
func readAttr(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, maxAttrSize)
	n, err := f.Read(buf)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:n], nil
}

// readFile reads a whole procfs file, bounded by maxFileSize.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("collectors: %s is larger than %d bytes", path, maxFileSize)
	}
	return b, nil
}
