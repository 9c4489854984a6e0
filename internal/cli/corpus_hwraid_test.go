package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hwraidLayout is where a hwraid corpus file goes in a --root tree: the
// folder of its tool under hwraid/ and the file name the collector reads
// there (docs/hwraid.md). The corpus keeps each source's own name; the
// MANIFEST marks them `reference`, so this mapping makes them audit inputs.
func hwraidLayout(sample string) (dir, name string) {
	kind, file, _ := strings.Cut(strings.TrimPrefix(sample, "hwraid/"), "/")
	base := strings.ToLower(filepath.Base(file))
	switch kind {
	case "storcli_text":
		return "storcli", "c0-vall-show.txt"
	case "arcconf":
		if strings.Contains(base, "getstatus") {
			return "arcconf", "getstatus-1.txt"
		}
		return "arcconf", "getconfig-1-al.txt"
	}
	// storcli, perccli, storcli2, ssacli, megacli read every output in their folder.
	return kind, strings.ReplaceAll(base, "_", "-")
}

// TestCorpusHWRaid runs every hardware RAID sample of the corpus (each row
// may name several outputs that together give the verdict) through the
// audit as a captured tree, T/hwraid/<tool>/<command>, and checks the
// status against MANIFEST.tsv.
func TestCorpusHWRaid(t *testing.T) {
	n := 0
	for _, s := range readManifest(t) {
		if !strings.HasPrefix(s.sample, "hwraid/") {
			continue
		}
		n++
		t.Run(s.sample, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			first := strings.Fields(s.sample)[0]
			folder := filepath.Dir(first)
			for _, part := range strings.Split(s.sample, " + ") {
				part = strings.TrimSpace(part)
				if !strings.Contains(part, "/") {
					part = filepath.Join(folder, siblingName(t, folder, filepath.Base(first), part))
				}
				dir, name := hwraidLayout(part)
				placeCorpusFile(t, part, filepath.Join(root, "hwraid", dir, name))
			}
			auditMatchesManifest(t, root, s)
		})
	}
	if n < 21 {
		t.Fatalf("%d hwraid rows in the manifest, want the 21 of the corpus (25 outputs)", n)
	}
}

// siblingName resolves a manifest's "a_getconfig.txt + _getstatus.txt"
// shorthand: the file of folder ending in the suffix that shares the
// longest prefix with the first file; a full name is itself.
func siblingName(t *testing.T, folder, first, part string) string {
	t.Helper()
	if !strings.HasPrefix(part, "_") {
		return part
	}
	ents, err := os.ReadDir(filepath.Join(corpusDir, folder))
	if err != nil {
		t.Fatal(err)
	}
	best, bestLen := "", -1
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), part) || e.Name() == first {
			continue
		}
		l := 0
		for l < len(first) && l < len(e.Name()) && first[l] == e.Name()[l] {
			l++
		}
		if l > bestLen {
			best, bestLen = e.Name(), l
		}
	}
	if best == "" {
		t.Fatalf("no file ending in %s beside %s", part, first)
	}
	return best
}
