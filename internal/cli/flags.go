package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// flagSet is one command's flags: a standard FlagSet that also knows the
// other spellings of each flag (-o and --output, node_exporter's
// --path.sysfs for --sysfs), so that help lists every flag once.
type flagSet struct {
	*flag.FlagSet
	// path is the command's path, e.g. "baseline accept".
	path string
	// aliases maps a flag's name to its other spellings; isAlias the reverse.
	aliases map[string][]string
	isAlias map[string]bool
}

// newFlagSet returns the flags of the command at path ("audit", "baseline accept").
func newFlagSet(path string) *flagSet {
	return &flagSet{FlagSet: flag.NewFlagSet(path, flag.ContinueOnError), path: path,
		aliases: map[string][]string{}, isAlias: map[string]bool{}}
}

// alias makes each of names another spelling of the flag primary, which
// must be defined already.
func (f *flagSet) alias(primary string, names ...string) {
	fl := f.Lookup(primary)
	for _, n := range names {
		f.Var(fl.Value, n, fl.Usage)
		f.isAlias[n] = true
	}
	f.aliases[primary] = append(f.aliases[primary], names...)
}

// dashed is a flag name as help writes it: -o, --output.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// writeUsage prints the command's synopsis, summary and flags: each flag
// once, with all its spellings, its argument and its default.
func (f *flagSet) writeUsage(w io.Writer) {
	c := lookupCommand(strings.Fields(f.path))
	args := ""
	summary := ""
	if c != nil {
		args, summary = c.args, c.summary
	}
	fmt.Fprintf(w, "usage: redwatch %s [FLAGS]%s\n", f.path, prefixSpace(args))
	if summary != "" {
		fmt.Fprintf(w, "\n%s\n", summary)
	}
	var lines []string
	f.VisitAll(func(fl *flag.Flag) {
		if f.isAlias[fl.Name] {
			return
		}
		names := append([]string{fl.Name}, f.aliases[fl.Name]...)
		sort.SliceStable(names, func(i, j int) bool { return len(names[i]) == 1 && len(names[j]) != 1 })
		for i, n := range names {
			names[i] = dashed(n)
		}
		arg, usage := flag.UnquoteUsage(fl)
		line := "  " + strings.Join(names, ", ")
		if arg != "" {
			line += " " + arg
		}
		line += "\n        " + usage
		if d := fl.DefValue; d != "" && d != "0" && d != "0s" && d != "false" && !strings.Contains(usage, "(default") {
			line += fmt.Sprintf(" (default %s)", d)
		}
		lines = append(lines, line)
	})
	fmt.Fprintln(w, "\nflags:\n  -h, --help\n        print this help and exit")
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

func prefixSpace(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}

// parse parses args. -h or --help prints the usage to stdout (exit 0); a
// bad flag prints the error and the usage to stderr (exit 3). It returns
// false with the exit code when the command should stop.
func (f *flagSet) parse(e *env, args []string) (int, bool) {
	var buf bytes.Buffer
	f.SetOutput(&buf)
	f.Usage = func() { f.writeUsage(&buf) }
	err := f.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		e.stdout.Write(buf.Bytes())
		return exitOK, false
	case err != nil:
		e.stderr.Write(buf.Bytes())
		return exitError, false
	}
	return 0, true
}

// parseInterleaved parses args, allowing flags after positional arguments
// (`baseline accept bond0 --state-dir DIR`). It returns the positional
// arguments, or false with the exit code.
func (f *flagSet) parseInterleaved(e *env, args []string) ([]string, int, bool) {
	var pos []string
	for {
		if code, ok := f.parse(e, args); !ok {
			return nil, code, false
		}
		if f.NArg() == 0 {
			return pos, 0, true
		}
		pos = append(pos, f.Arg(0))
		args = f.Args()[1:]
	}
}
