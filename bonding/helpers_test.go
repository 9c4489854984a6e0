package bonding

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/redwatch/redwatch/internal/testtree"
)

// corpusDir is the shared real-world corpus, ../shared/corpus from the
// module root (see ../shared/corpus/README.md); tests never copy it.
var corpusDir = filepath.Join("..", "..", "shared", "corpus")

// needCorpus returns dir under the corpus (see testtree.Corpus: skipped in
// a user's clone, a failure in CI).
func needCorpus(t testing.TB, dir ...string) string {
	t.Helper()
	return testtree.Corpus(t, dir...)
}

// corpusFiles returns the corpus files matching the glob, or nil when the
// corpus is absent (fuzz seeding: the fuzz target itself still runs).
func corpusFiles(t testing.TB, glob string) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(corpusDir, glob))
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[p] = data
	}
	return out
}

// labTrees are the live-kernel captures under the corpus.
var labTrees = []string{"kernel61_healthy", "kernel61_faults", "kernel61_recovering"}

// slaveFacts are the per-slave facts the rules read, for comparisons.
type slaveFacts struct {
	Name         string
	MIIStatus    string
	State        string
	AggregatorID int
	LinkFailures int
	Speed        int
}

func factsOf(b Bond) []slaveFacts {
	out := make([]slaveFacts, 0, len(b.Slaves))
	for _, s := range b.Slaves {
		out = append(out, slaveFacts{s.Name, s.MIIStatus, s.State, s.AggregatorID, s.LinkFailures, s.Speed})
	}
	return out
}

func bondByName(t *testing.T, bonds []Bond, name string) Bond {
	t.Helper()
	for _, b := range bonds {
		if b.Name == name {
			return b
		}
	}
	t.Fatalf("bond %s not read; have %d bonds", name, len(bonds))
	return Bond{}
}
