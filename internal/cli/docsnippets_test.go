package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// snippet is one fenced code block of a Markdown file.
type snippet struct {
	file string
	line int // of the opening fence
	lang string
	body string
}

// fencedBlocks returns the fenced code blocks of a Markdown file.
func fencedBlocks(t *testing.T, path string) []snippet {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []snippet
	var cur *snippet
	var body strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			cur = &snippet{file: path, line: n, lang: strings.TrimSpace(strings.TrimPrefix(trimmed, "```"))}
			body.Reset()
		case cur != nil && trimmed == "```":
			cur.body = body.String()
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			body.WriteString(line + "\n")
		}
	}
	if cur != nil {
		t.Fatalf("%s:%d: unterminated code block", path, cur.line)
	}
	return out
}

// invalidMarker is the first line of a YAML block that shows a
// configuration `config check` must refuse.
const invalidMarker = "# config-check: invalid"

// TestDocSnippetsPassConfigCheck runs `config check` on every YAML block of
// README.md and docs/*.md: each is a complete configuration file (the docs
// write even short examples whole, so none is a fragment) and must pass,
// unless its first line is "# config-check: invalid", when it must fail.
func TestDocSnippetsPassConfigCheck(t *testing.T) {
	root := filepath.Join("..", "..")
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{filepath.Join(root, "README.md")}, files...)
	checked := 0
	for _, f := range files {
		for _, s := range fencedBlocks(t, f) {
			if s.lang != "yaml" && s.lang != "yml" {
				continue
			}
			checked++
			where := fmt.Sprintf("%s:%d", s.file, s.line)
			p := filepath.Join(t.TempDir(), "snippet.yaml")
			if err := os.WriteFile(p, []byte(s.body), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, stderr := runCLI(t, "config", "check", p)
			if strings.HasPrefix(s.body, invalidMarker) {
				if code != exitInvalid {
					t.Errorf("%s: marked invalid, but config check says (exit %d) %s%s", where, code, out, stderr)
				}
				continue
			}
			if code != exitOK {
				t.Errorf("%s: config check fails (exit %d): %s%s\n%s", where, code, out, stderr, s.body)
			}
		}
	}
	if checked < 4 {
		t.Errorf("only %d YAML blocks found in the docs: is the extraction broken?", checked)
	}
}
