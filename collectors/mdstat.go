package collectors

// This file parses /proc/mdstat.
//
// Why not github.com/prometheus/procfs (v0.23.0, FS.MDStat): it was checked
// against what redwatch needs and falls short in ways that matter here:
//   - one array it cannot parse fails the whole file, so one odd array hides
//     every other array (we need a per-array error, the rest still reported);
//   - a leading junk line such as "# cat /proc/mdstat" is taken for an array
//     and fails the file, and a one-letter word on the Personalities line
//     panics (word[1:len(word)-1]);
//   - it keeps only the count of '_' in "[UU_]", not the string, so which slot
//     is missing is lost; it drops "super external:" (IMSM/DDF containers),
//     "(read-only)"/"(auto-read-only)", and "resync=DELAYED"/"PENDING";
//   - an unknown personality silently becomes Type "unknown" instead of an error.
// Its per-member flags ((F), (S), (W), (J), (R) and the descriptor index) are
// right, and the tests use it as a cross-check of our counts and flags on the
// corpus samples it can parse (mdstat_procfs_test.go).

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// mdPersonalities are the personality names the kernel prints on an mdstat
// array line (the .name of each struct md_personality in drivers/md).
var mdPersonalities = map[string]bool{
	"linear": true, "raid0": true, "raid1": true, "raid4": true, "raid5": true,
	"raid6": true, "raid10": true, "multipath": true, "faulty": true,
}

// maxMDDisks bounds a slot count read from mdstat or sysfs (md's 1.x metadata
// allows 1920 devices); a larger number is a corrupt file, not an array.
const maxMDDisks = 4096

// errMDStatEmpty is returned for an empty /proc/mdstat: the kernel always
// prints at least the Personalities line, so an empty file is not "no md".
var errMDStatEmpty = errors.New("mdstat is empty")

// mdArrayError is a parse failure of one array in /proc/mdstat; the other
// arrays of the file are still reported.
type mdArrayError struct {
	// Array is the md device, e.g. "md0".
	Array string
	// Err says why.
	Err error
}

func (e *mdArrayError) Error() string { return "mdstat " + e.Array + ": " + e.Err.Error() }

func (e *mdArrayError) Unwrap() error { return e.Err }

// syncLineRE matches the sync part of an mdstat progress line as
// drivers/md/md.c status_resync prints it: "recovery = 12.6%", "check =
// 98.3%", "reshape = 48.4%", "resync=DELAYED", "resync=PENDING", and on a
// cluster array "resync=REMOTE", "recover=REMOTE", "reshape=REMOTE".
var syncLineRE = regexp.MustCompile(`\b(recovery|recover|resync|check|reshape|repair)\s*=\s*(\S+)`)

// mdArrayLikeRE matches a line that claims to be an array line ("x : active
// ...") whatever its name; one that splitMDStatHeader refuses is an error.
var mdArrayLikeRE = regexp.MustCompile(`^\S+\s*:\s*(in)?active\b`)

// mdNameLikeRE matches a line that starts with an md device name in any case.
var mdNameLikeRE = regexp.MustCompile(`^(?i:md)[0-9_]`)

// mdStatusLevels are the personalities whose status always prints "[n/m]
// [UU_]" (raid1_status, raid5_status, raid10_status, multipath_status).
var mdStatusLevels = map[string]bool{
	"raid1": true, "raid4": true, "raid5": true, "raid6": true, "raid10": true, "multipath": true,
}

// finishRE matches the "finish=12.3min" estimate of an mdstat progress line.
var finishRE = regexp.MustCompile(`\bfinish=(\S+)`)

// parseMDStat parses /proc/mdstat. The arrays it could parse are returned
// even when err is not nil; err is then either a whole-file error (empty, no
// Personalities line and no arrays) or an errors.Join of *mdArrayError, one
// per array that could not be parsed (that array is left out).
func parseMDStat(data []byte) ([]MDArray, error) {
	arrays, _, err := parseMDStatBlocks(data)
	return arrays, err
}

// parseMDStatBlocks is parseMDStat also returning, for each array, the text
// of its block in the file: its line and the lines under it, up to the next
// line that is not the array's (blanks included), as md_seq_show printed
// them. The md source compares them between reads (mdMemo).
func parseMDStatBlocks(data []byte) ([]MDArray, []string, error) {
	text := string(data)
	if strings.TrimSpace(text) == "" {
		return nil, nil, errMDStatEmpty
	}
	var (
		arrays   []MDArray
		blocks   []string
		errs     []error
		cur      *MDArray
		curErr   error
		sawPers  bool
		curLines int
		curStart int // offset in text of cur's first line
		line0    int // offset in text of the line being read
	)
	flush := func() {
		if cur == nil {
			return
		}
		if curErr == nil {
			curErr = finishMDStatArray(cur)
		}
		if curErr != nil {
			errs = append(errs, &mdArrayError{Array: cur.Name, Err: curErr})
		} else {
			arrays = append(arrays, *cur)
			blocks = append(blocks, text[curStart:min(line0, len(text))])
		}
		cur, curErr, curLines = nil, nil, 0
	}
	n := 0
	next := 0 // offset of the line after the one being read
	for raw := range strings.SplitSeq(text, "\n") {
		n++
		line0, next = next, next+len(raw)+1
		line := strings.TrimRight(raw, " \t\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		indented := line[0] == ' ' || line[0] == '\t'
		if !indented {
			switch {
			case strings.HasPrefix(line, "Personalities"):
				flush()
				sawPers = true
				continue
			case strings.HasPrefix(line, "unused devices"), strings.HasPrefix(line, "read_ahead"):
				flush()
				continue
			}
			if name, rest, ok := splitMDStatHeader(line); ok {
				flush()
				a := newMDArray(name)
				cur, curStart = &a, line0
				curErr = parseMDStatHeader(cur, rest)
				continue
			}
			if looksLikeMDArray(line) {
				// md_seq_show prints "<mdname> : ": a line that claims to be
				// an array but is not one is an error, never skipped with the
				// status lines under it.
				flush()
				a := newMDArray(fmt.Sprintf("line %d", n))
				cur = &a
				curErr = fmt.Errorf("%q looks like an array line but is not one the kernel prints (\"md<N> : active|inactive ...\")", line)
				continue
			}
			if cur == nil {
				continue // leading junk, e.g. a "# cat /proc/mdstat" prompt
			}
		}
		if cur == nil || curErr != nil {
			continue
		}
		curLines++
		if curLines > 16 {
			curErr = errors.New("too many lines")
			continue
		}
		if err := parseMDStatDetail(cur, strings.TrimSpace(line)); err != nil {
			if !indented {
				// Not the array's (a capture that lost its indentation keeps
				// its detail lines parsable): a prompt or other text after
				// the array's block ends it; the block is judged as it is.
				flush()
				continue
			}
			curErr = fmt.Errorf("line %d: %w", n, err)
		}
	}
	line0 = len(text)
	flush()
	if !sawPers && len(arrays) == 0 && len(errs) == 0 {
		return nil, nil, errors.New("mdstat has no Personalities line")
	}
	return arrays, blocks, errors.Join(errs...)
}

// newMDArray is an array with every integer fact Unknown.
func newMDArray(name string) MDArray {
	return MDArray{
		Name: name, RaidDisks: Unknown, ActiveDisks: Unknown, Degraded: Unknown,
		SyncProgress: Unknown, MismatchCount: Unknown,
	}
}

// looksLikeMDArray reports whether an unindented line claims to be an array
// line: it reads "<name> : active|inactive ...", or its name is one the md
// driver gives ("md" then a digit or "_", in any case: "MD0 :"). A shell
// prompt around a capture ("mdhost:~# cat /proc/mdstat") is neither.
func looksLikeMDArray(line string) bool {
	return mdArrayLikeRE.MatchString(line) || mdNameLikeRE.MatchString(line)
}

// splitMDStatHeader recognises an array line "md0 : active raid1 ..." and
// returns the array name and what follows the colon.
func splitMDStatHeader(line string) (name, rest string, ok bool) {
	name, rest, ok = strings.Cut(line, " : ")
	if !ok || !strings.HasPrefix(name, "md") || !validDevName(name) {
		return "", "", false
	}
	return name, rest, true
}

// validDevName reports whether s can be a kernel block device name (and so is
// safe to join into a sysfs path).
func validDevName(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 64 {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_', c == '-', c == '.', c == '!', c == ':', c == '+':
		default:
			return false
		}
	}
	return true
}

// parseMDStatHeader parses what follows "md0 : " on an array line:
// "active [(read-only)|(auto-read-only)] <personality> <member>...", or
// "inactive <member>...".
func parseMDStatHeader(a *MDArray, rest string) error {
	f := strings.Fields(rest)
	if len(f) == 0 {
		return errors.New("no state after the colon")
	}
	switch f[0] {
	case "active":
		a.Active = true
	case "inactive":
	case "broken": // not printed by current kernels (they keep it in array_state) but harmless
		a.Active, a.ArrayState = true, "broken"
	default:
		return fmt.Errorf("unknown state %q", f[0])
	}
	i := 1
	for ; i < len(f) && strings.HasPrefix(f[i], "("); i++ {
		switch f[i] {
		case "(read-only)", "(auto-read-only)":
			a.ReadOnly = true
		default:
			return fmt.Errorf("unknown array flag %q", f[i])
		}
	}
	if i < len(f) && !strings.Contains(f[i], "[") {
		if !mdPersonalities[f[i]] {
			return fmt.Errorf("unknown personality %q", f[i])
		}
		a.Level = f[i]
		i++
	}
	a.Members = make([]MDMember, 0, len(f)-i)
	for ; i < len(f); i++ {
		m, err := parseMDStatMember(f[i])
		if err != nil {
			return err
		}
		a.Members = append(a.Members, m)
	}
	return nil
}

// parseMDStatMember parses one member token, "sdb1[1]", "sdc1[3](F)",
// "sdk[5](S)", "sda1[0](W)(F)": the kernel prints the name, the descriptor
// number, then (W)rite-mostly, (J)ournal, (F)aulty, (S)pare, (R)eplacement.
func parseMDStatMember(tok string) (MDMember, error) {
	m := MDMember{Slot: Unknown, DescNr: Unknown, State: MemberInSync}
	open := strings.IndexByte(tok, '[')
	if open <= 0 {
		return m, fmt.Errorf("malformed member %q", tok)
	}
	closing := strings.IndexByte(tok[open:], ']')
	if closing < 0 {
		return m, fmt.Errorf("malformed member %q", tok)
	}
	closing += open
	m.Name = tok[:open]
	if !validDevName(strings.ReplaceAll(m.Name, "/", "!")) {
		return m, fmt.Errorf("malformed member name %q", m.Name)
	}
	n, err := strconv.Atoi(tok[open+1 : closing])
	if err != nil || n < 0 {
		return m, fmt.Errorf("malformed member number in %q", tok)
	}
	m.DescNr = n
	flags := tok[closing+1:]
	m.RawState = flags
	var faulty, spare, journal, unknown bool
	for flags != "" {
		if len(flags) < 3 || flags[0] != '(' || flags[2] != ')' {
			unknown = true
			break
		}
		switch flags[1] {
		case 'F':
			faulty = true
		case 'S':
			spare = true
		case 'J':
			journal = true
		case 'W':
			m.WriteMostly = true
		case 'R':
			m.Replacement = true
		default:
			unknown = true
		}
		flags = flags[3:]
	}
	switch {
	case unknown:
		m.State = MemberUnknown
	case faulty:
		m.State = MemberFaulty
	case journal:
		m.State = MemberJournal
	case spare:
		m.State = MemberSpare
	case m.Replacement:
		m.State = MemberRebuilding // a replacement sits in its slot until it has been rebuilt
	}
	return m, nil
}

// parseMDStatDetail parses one indented line under an array line, as
// md_seq_show prints them: the "<n> blocks" line with "super ...", the
// personality's status ("[n/m] [UU_]") and, on raid5/6, "level, chunk,
// algorithm"; the sync line of status_resync; the bitmap line. Any other
// line (a cut-off progress bar, a number without "blocks") is an error: it
// is not something the kernel prints, so the file is not what it seems.
func parseMDStatDetail(a *MDArray, line string) error {
	if strings.HasPrefix(line, "bitmap:") {
		return nil
	}
	if strings.Contains(line, "=") {
		m := syncLineRE.FindStringSubmatch(line)
		if m == nil {
			return fmt.Errorf("unrecognised line %q", line)
		}
		if a.SyncAction != "" {
			return errors.New("two sync lines")
		}
		a.SyncAction = m[1]
		if a.SyncAction == "recovery" {
			a.SyncAction = "recover"
		}
		switch v := m[2]; v {
		case "DELAYED", "PENDING", "REMOTE":
			a.SyncPending = strings.ToLower(v)
		default:
			p, err := parsePercent(v)
			if err != nil {
				return fmt.Errorf("sync progress %q: %w", v, err)
			}
			a.SyncProgress = p
		}
		if f := finishRE.FindStringSubmatch(line); f != nil {
			a.SyncFinish = f[1]
		}
		return nil
	}
	f := strings.Fields(line)
	if len(f) < 2 || f[1] != "blocks" || strings.Trim(f[0], "0123456789") != "" {
		return fmt.Errorf("unrecognised line %q", line)
	}
	for i := 2; i < len(f); i++ {
		tok := f[i]
		switch {
		case tok == "super" && i+1 < len(f):
			if v := f[i+1]; strings.HasPrefix(v, "external:") {
				a.External = v
			}
			i++
		case strings.HasPrefix(tok, "["):
			if len(tok) < 2 || tok[len(tok)-1] != ']' {
				return fmt.Errorf("cut-off status %q", tok)
			}
			inner := tok[1 : len(tok)-1]
			if ns, ms, ok := strings.Cut(inner, "/"); ok {
				n, err1 := strconv.Atoi(ns)
				m, err2 := strconv.Atoi(ms)
				if err1 != nil || err2 != nil || n < 0 || m < 0 || n > maxMDDisks || m > n {
					return fmt.Errorf("malformed disk count %q", tok)
				}
				a.RaidDisks, a.ActiveDisks = n, m
			} else if strings.Trim(inner, "U_") == "" {
				a.Status = inner
			} else {
				return fmt.Errorf("malformed status %q", tok)
			}
		}
	}
	return nil
}

// parsePercent parses "12.6%" into 12.6; it must lie in [0, 100].
func parsePercent(s string) (float64, error) {
	v, ok := strings.CutSuffix(s, "%")
	if !ok {
		return 0, errors.New("no % sign")
	}
	p, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, err
	}
	if !(p >= 0 && p <= 100) { // also rejects NaN
		return 0, errors.New("out of range")
	}
	return p, nil
}

// finishMDStatArray checks an array's facts against each other and derives
// what mdstat says only implicitly: a container's level, the degraded count,
// which members are rebuilding, and the missing slots.
//
// An active array of a personality whose status always prints "[n/m]
// [UU_]" (raid1, raid4/5/6, raid10, multipath) without it, or with no slot
// at all, is an error: the file was cut short or is not mdstat. When the
// counts and the status string disagree (md_seq_show reads mddev->degraded
// and each slot's In_sync flag without one lock, so a failure or a reshape
// can show "[3/3] [UU_]"), the worse of the two is the degraded count.
func finishMDStatArray(a *MDArray) error {
	if a.Active && mdStatusLevels[a.Level] {
		switch {
		case a.RaidDisks == Unknown:
			return fmt.Errorf("active %s without its \"[n/m]\" count (the file is cut short?)", a.Level)
		case a.RaidDisks == 0:
			return fmt.Errorf("active %s with no slots ([0/%d])", a.Level, a.ActiveDisks)
		case a.Status == "":
			return fmt.Errorf("active %s without its \"[UU_]\" status (the file is cut short?)", a.Level)
		}
	}
	if a.Status != "" {
		if a.RaidDisks == Unknown {
			return errors.New("status without [n/m]")
		}
		if len(a.Status) != a.RaidDisks {
			return fmt.Errorf("[%s] has %d slots, [%d/%d] says %d", a.Status, len(a.Status), a.RaidDisks, a.ActiveDisks, a.RaidDisks)
		}
	}
	if !a.Active && a.Level == "" && strings.HasPrefix(a.External, "external:") && !strings.HasPrefix(a.External, "external:/") &&
		!strings.HasPrefix(a.External, "external:-") {
		a.Level = "container" // "external:/md127/0" (or "-md127/0" while mdmon is blocked) is a member array
	}
	if a.RaidDisks != Unknown {
		a.Degraded = a.RaidDisks - a.ActiveDisks
		a.Degraded = max(a.Degraded, strings.Count(a.Status, "_"))
	}
	if a.SyncAction == "" && a.Active && a.Redundant() {
		a.SyncAction = "idle" // mdstat prints a sync line only while one runs
	}
	inferMDStatSlots(a)
	byDesc := func(x, y MDMember) int { return cmp.Compare(x.DescNr, y.DescNr) }
	if slices.IsSortedFunc(a.Members, func(x, y MDMember) int { return -byDesc(x, y) }) {
		slices.Reverse(a.Members) // the kernel lists the newest member first
	}
	slices.SortStableFunc(a.Members, byDesc) // a no-op when already in order
	return nil
}

// inferMDStatSlots marks the members that mdstat shows only implicitly as
// rebuilding and fills MissingSlots from the '_' of Status. mdstat prints no
// flag for a member that sits in a slot but is not yet in sync: when more
// members hold slots than Status has 'U', the excess are rebuilding, and they
// are the ones added last — the kernel gives a newly added device a
// descriptor number past the original slots (sdc1[6] in a 6-disk array).
// Only a unique answer is used; otherwise no member is marked.
func inferMDStatSlots(a *MDArray) {
	if a.Status == "" {
		return
	}
	var slotted, candidates []int
	for i, m := range a.Members {
		if m.State == MemberInSync || m.State == MemberRebuilding {
			slotted = append(slotted, i)
			if m.State == MemberInSync && m.DescNr >= a.RaidDisks {
				candidates = append(candidates, i)
			}
		}
	}
	rebuilding := 0
	for _, i := range slotted {
		if a.Members[i].State == MemberRebuilding {
			rebuilding++
		}
	}
	excess := len(slotted) - (a.RaidDisks - a.Degraded) - rebuilding
	if excess > 0 && len(candidates) == excess {
		for _, i := range candidates {
			a.Members[i].State = MemberRebuilding
		}
	}
	if excess > 0 {
		rebuilding += excess // counted whether or not we could tell which members they are
	}
	a.MissingSlots = nil
	for i := 0; i < len(a.Status); i++ {
		if a.Status[i] != '_' {
			continue
		}
		if rebuilding > 0 {
			rebuilding--
			continue
		}
		a.MissingSlots = append(a.MissingSlots, i)
	}
}
