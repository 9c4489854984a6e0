package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

func checkCmd(args []string) error {
	fs := flag.NewFlagSet("check", flag.ExitOnError)
	accept := fs.String("accept", "", "file of accepted vulnerabilities: one `GO-ID reason` a line, # comments")
	_ = fs.Parse(args)
	accepted := map[string]string{}
	if *accept != "" {
		b, err := os.ReadFile(*accept)
		if err != nil {
			return fmt.Errorf("vulncheck: %w", err)
		}
		if accepted, err = parseAccept(*accept, b); err != nil {
			return err
		}
	}
	return check(os.Stdin, os.Stdout, accepted)
}

// parseAccept reads an accept file: `GO-YYYY-NNNN reason`, the reason
// required, blank lines and # comments ignored.
func parseAccept(name string, b []byte) (map[string]string, error) {
	m := map[string]string{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, " ")
		if !strings.HasPrefix(id, "GO-") || strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("vulncheck: %s:%d: want `GO-ID reason`, got %q", name, i+1, line)
		}
		m[id] = strings.TrimSpace(reason)
	}
	return m, nil
}

// frame is one step of a govulncheck trace (its -format json protocol v1).
type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
	Receiver string `json:"receiver"`
	Position *struct {
		Filename string `json:"filename"`
		Line     int    `json:"line"`
	} `json:"position"`
}

// message is one value of govulncheck's JSON stream; only config and finding
// matter here.
type message struct {
	Config *struct {
		GoVersion      string `json:"go_version"`
		DB             string `json:"db"`
		DBLastModified string `json:"db_last_modified"`
		ScanLevel      string `json:"scan_level"`
	} `json:"config"`
	Finding *struct {
		OSV          string  `json:"osv"`
		FixedVersion string  `json:"fixed_version"`
		Trace        []frame `json:"trace"`
	} `json:"finding"`
}

// called is a vulnerability whose vulnerable symbol the program reaches.
type called struct {
	id, module, version, fixed, symbol, from string
}

// check reads govulncheck's JSON stream and fails when the program calls
// vulnerable code that is not accepted. Findings only imported or required
// (no function in the trace) are counted, not fatal, as govulncheck itself
// does. An accepted ID that is no longer found is reported so that the
// accept file shrinks.
func check(r io.Reader, w io.Writer, accepted map[string]string) error {
	dec := json.NewDecoder(bufio.NewReader(r))
	found := map[string]called{}
	other := map[string]bool{}
	scanned := false
	for {
		var m message
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("vulncheck: reading govulncheck's JSON: %w", err)
		}
		if c := m.Config; c != nil {
			scanned = true
			fmt.Fprintf(w, "govulncheck: %s, database %s (modified %s), scan level %s\n", c.GoVersion, c.DB, c.DBLastModified, c.ScanLevel)
		}
		f := m.Finding
		if f == nil || len(f.Trace) == 0 {
			continue
		}
		top := f.Trace[0]
		if top.Function == "" {
			other[f.OSV] = true
			continue
		}
		c := called{id: f.OSV, module: top.Module, version: top.Version, fixed: f.FixedVersion, symbol: symbol(top)}
		if last := f.Trace[len(f.Trace)-1]; last.Position != nil {
			c.from = fmt.Sprintf("%s:%d %s", last.Position.Filename, last.Position.Line, symbol(last))
		}
		if _, dup := found[f.OSV]; !dup {
			found[f.OSV] = c
		}
	}
	if !scanned {
		return errors.New("vulncheck: no govulncheck output (no config message): did the scan run?")
	}
	ids := make([]string, 0, len(found))
	for id := range found {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var bad []string
	for _, id := range ids {
		c := found[id]
		verdict := "NOT ACCEPTED"
		if reason, ok := accepted[id]; ok {
			verdict = "accepted: " + reason
		} else {
			bad = append(bad, id)
		}
		fmt.Fprintf(w, "%s %s@%s (fixed in %s) %s, reached from %s — %s\n", id, c.module, c.version, orNone(c.fixed), c.symbol, c.from, verdict)
	}
	var stale []string
	for id := range accepted {
		if _, ok := found[id]; !ok {
			stale = append(stale, id)
		}
	}
	sort.Strings(stale)
	for _, id := range stale {
		fmt.Fprintf(w, "%s is accepted but no longer found: remove it from the accept file\n", id)
	}
	fmt.Fprintf(w, "vulncheck: %d called (%d accepted), %d more in packages or modules required but not called\n", len(found), len(found)-len(bad), len(other))
	if len(bad) > 0 {
		return fmt.Errorf("vulncheck: the program calls vulnerable code: %s", strings.Join(bad, ", "))
	}
	return nil
}

func symbol(f frame) string {
	s := f.Package + "." + f.Function
	if f.Receiver != "" {
		s = f.Package + "." + strings.TrimPrefix(f.Receiver, "*") + "." + f.Function
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "no fixed version"
	}
	return s
}
