package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// corpusDir is the real-world corpus beside the repository (../shared/corpus).
var corpusDir = filepath.Join("..", "..", "..", "shared", "corpus")

// corpusKinds are the sample kinds the audit reads today.
var corpusKinds = []string{"bonding", "mdstat", "lab", "power_supply", "smartctl"}

// corpusSample is one row of MANIFEST.tsv.
type corpusSample struct {
	sample, place string
	expect        []string
	what          string
}

func readManifest(t *testing.T) []corpusSample {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir, "MANIFEST.tsv"))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the corpus must be present in CI: %v", err)
		}
		t.Skipf("no corpus at %s (a user's clone): %v", corpusDir, err)
	}
	defer f.Close()
	var out []corpusSample
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for first := true; sc.Scan(); first = false {
		cols := strings.Split(sc.Text(), "\t")
		if first || len(cols) < 6 {
			continue
		}
		out = append(out, corpusSample{sample: cols[0], place: cols[1], expect: strings.Split(cols[2], ","), what: cols[5]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCorpusVerdicts runs every bonding, mdstat, power_supply, smartctl and lab sample of the corpus
// through the audit and checks the status against MANIFEST.tsv.
func TestCorpusVerdicts(t *testing.T) {
	n := 0
	for _, s := range readManifest(t) {
		kind, _, _ := strings.Cut(s.sample, "/")
		if !slices.Contains(corpusKinds, kind) {
			continue
		}
		n++
		t.Run(s.sample, func(t *testing.T) {
			t.Parallel()
			root := filepath.Join(corpusDir, s.sample)
			if s.place != "tree" {
				root = t.TempDir()
				placeCorpusFile(t, s.sample, filepath.Join(root, s.place))
			}
			auditMatchesManifest(t, root, s)
		})
	}
	if n == 0 {
		t.Fatal("no bonding, mdstat or lab sample in the manifest")
	}
}

// placeCorpusFile copies the corpus file sample to dst, the place in a
// --root tree the audit reads it from, making its folders.
func placeCorpusFile(t *testing.T, sample, dst string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, sample))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// auditMatchesManifest audits the tree root and checks its status (and
// exit code) against the manifest row s.
func auditMatchesManifest(t *testing.T, root string, s corpusSample) {
	t.Helper()
	code, out, stderr := runCLI(t, "audit", "--root", root, "-o", "json")
	var got auditJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\nstderr: %s", err, stderr)
	}
	if !slices.Contains(s.expect, got.Status) {
		t.Errorf("status %q, manifest allows %v: %s\n%s", got.Status, s.expect, s.what, out)
	}
	if code != exitCodes[got.Status] {
		t.Errorf("exit code %d for status %s", code, got.Status)
	}
}
