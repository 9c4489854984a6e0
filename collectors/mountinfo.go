package collectors

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// mountInfo is one line of /proc/<pid>/mountinfo (proc(5)):
// "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue".
type mountInfo struct {
	// ID and Parent are the mount and parent mount IDs (fields 1 and 2).
	ID, Parent int
	// Major and Minor are the st_dev of the filesystem (field 3, "maj:min").
	Major, Minor int
	// Root is the path within the filesystem that forms the mount's root (field 4).
	Root string
	// MountPoint is where it is mounted (field 5), octal escapes decoded.
	MountPoint string
	// FSType is the filesystem type after the " - " separator.
	FSType string
	// Source is the mount source ("/dev/sda2", "rpool/ROOT/debian", "overlay"), escapes decoded.
	Source string
	// SuperOptions are the per-superblock options after the source
	// ("rw,degraded,space_cache=v2"); "" when the line has none.
	SuperOptions string
}

// parseMountInfo parses /proc/<pid>/mountinfo. Lines it cannot parse are
// skipped and reported together in err; the lines it could parse are returned.
func parseMountInfo(data []byte) ([]mountInfo, error) {
	var (
		mounts []mountInfo
		errs   []error
	)
	n := 0
	for line := range strings.SplitSeq(string(data), "\n") {
		n++
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		m, err := parseMountInfoLine(line)
		if err != nil {
			if len(errs) < 10 {
				errs = append(errs, fmt.Errorf("mountinfo line %d: %w", n, err))
			}
			continue
		}
		mounts = append(mounts, m)
	}
	return mounts, errors.Join(errs...)
}

// parseMountInfoLine parses one mountinfo line.
func parseMountInfoLine(line string) (mountInfo, error) {
	var m mountInfo
	f := strings.Fields(line)
	sep := -1
	for i := 6; i < len(f); i++ { // optional fields start at the 7th field
		if f[i] == "-" {
			sep = i
			break
		}
	}
	if len(f) < 6 || sep < 0 || len(f) < sep+3 {
		return m, errors.New("too few fields or no \" - \" separator")
	}
	var err1, err2 error
	m.ID, err1 = strconv.Atoi(f[0])
	m.Parent, err2 = strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return m, errors.New("mount IDs are not numbers")
	}
	majs, mins, ok := strings.Cut(f[2], ":")
	if !ok {
		return m, fmt.Errorf("device %q is not maj:min", f[2])
	}
	var err error
	if m.Major, err = strconv.Atoi(majs); err != nil || m.Major < 0 {
		return m, fmt.Errorf("device %q is not maj:min", f[2])
	}
	if m.Minor, err = strconv.Atoi(mins); err != nil || m.Minor < 0 {
		return m, fmt.Errorf("device %q is not maj:min", f[2])
	}
	m.Root = unescapeMount(f[3])
	m.MountPoint = unescapeMount(f[4])
	m.FSType = f[sep+1]
	m.Source = unescapeMount(f[sep+2])
	if len(f) > sep+3 {
		m.SuperOptions = f[sep+3]
	}
	return m, nil
}

// unescapeMount decodes the kernel's octal escapes in mountinfo paths
// ("\040" for a space, "\011" tab, "\012" newline, "\134" backslash).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			v := (s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0')
			b.WriteByte(v)
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
