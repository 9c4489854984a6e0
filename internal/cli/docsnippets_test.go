package cli

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
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

// otherToolMarker is the first line of a YAML block that is another tool's
// file (Prometheus's prometheus.yml in docs/fleet.md), which `config check`
// does not read.
const otherToolMarker = "# config-check: not redwatch's"

// TestDocSnippetsPassConfigCheck runs `config check` on every YAML block of
// README.md and docs/*.md: each is a complete configuration file (the docs
// write even short examples whole, so none is a fragment) and must pass,
// unless its first line is "# config-check: invalid", when it must fail, or
// "# config-check: not redwatch's" (another tool's file), when it is skipped.
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
			if strings.HasPrefix(s.body, otherToolMarker) {
				continue
			}
			checked++
			where := fmt.Sprintf("%s:%d", s.file, s.line)
			dir := t.TempDir()
			p := filepath.Join(dir, "snippet.yaml")
			if err := os.WriteFile(p, []byte(placeFiles(t, dir, s.body)), 0o600); err != nil {
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

// fileKey is a key naming a file that `config check` reads: secrets
// (*_file) and CA bundles.
var fileKey = regexp.MustCompile(`(?m)^(\s*(?:-\s+)?[a-z_]+_file:\s*)(/\S+)`)

// placeFiles moves every file a snippet names (/etc/redwatch/hook-token,
// ca_file: /etc/redwatch/ca.pem) into dir and creates it there as a
// documented setup would have it: a secret with mode 0600, a CA file with a
// certificate. config check reads them as the daemon does.
func placeFiles(t *testing.T, dir, body string) string {
	t.Helper()
	return fileKey.ReplaceAllStringFunc(body, func(m string) string {
		sub := fileKey.FindStringSubmatch(m)
		p := filepath.Join(dir, filepath.Base(sub[2]))
		content := []byte("s3cret\n")
		if strings.Contains(sub[1], "ca_file") {
			content = selfSignedPEM(t)
		}
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
		return sub[1] + p
	})
}

// selfSignedPEM is a throwaway self-signed certificate in PEM.
func selfSignedPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "redwatch test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestPackagedConfigCommentedPower: the packaged configuration's commented
// power block (packaging/redwatch.yaml: power.ipmi and power.redfish),
// uncommented, passes `config check` with its secret and CA files in place;
// the file as shipped passes too.
func TestPackagedConfigCommentedPower(t *testing.T) {
	p := filepath.Join("..", "..", "packaging", "redwatch.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := runCLI(t, "config", "check", p); code != exitOK {
		t.Fatalf("config check %s: exit %d: %s%s", p, code, out, stderr)
	}
	var block []string
	for _, line := range strings.Split(string(b), "\n") {
		if line == "#power:" {
			block = append(block, "power:")
			continue
		}
		if len(block) == 0 {
			continue
		}
		if !strings.HasPrefix(line, "#  ") {
			break
		}
		block = append(block, line[1:])
	}
	body := strings.Join(block, "\n") + "\n"
	for _, key := range []string{"ipmi:", "redfish:", "password_file:", "endpoint:", "ca_file:"} {
		if !strings.Contains(body, key) {
			t.Fatalf("%s: the commented power block lacks %s:\n%s", p, key, body)
		}
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "power.yaml")
	if err := os.WriteFile(conf, []byte(placeFiles(t, dir, body)), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := runCLI(t, "config", "check", conf); code != exitOK {
		t.Errorf("%s's power block, uncommented: config check exit %d: %s%s\n%s", p, code, out, stderr, body)
	}
}
