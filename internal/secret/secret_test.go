package secret

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "smtp.pass")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestResolve(t *testing.T) {
	const pw = "hunter2-s3cr3t"
	good := write(t, pw+"\n", 0o600)
	open := write(t, pw+"\n", 0o644)
	group := write(t, pw, 0o640)
	empty := write(t, "\n", 0o600)
	tests := []struct {
		name, inline, file, want, errHas string
	}{
		{name: "inline", inline: pw, want: pw},
		{name: "file trims newline", file: good, want: pw},
		{name: "both", inline: pw, file: good, errHas: "set only one"},
		{name: "none", errHas: "neither"},
		{name: "others can read", file: open, errHas: "is readable by others (mode 0644); chmod 600 it"},
		{name: "group can read", file: group, errHas: "is readable by its group (mode 0640); chmod 600 it"},
		{name: "missing", file: filepath.Join(t.TempDir(), "nope"), errHas: "no such file"},
		{name: "empty", file: empty, errHas: "is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(tt.inline, tt.file)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("Resolve error = %v, want it to contain %q", err, tt.errHas)
				}
				if !strings.HasPrefix(err.Error(), "secret: ") {
					t.Errorf("error %q lacks the package prefix", err)
				}
				if strings.Contains(err.Error(), pw) {
					t.Errorf("error %q shows the secret", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Resolve = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := Resolve("", open); !errors.Is(err, ErrInsecure) {
		t.Errorf("insecure file error %v does not wrap ErrInsecure", err)
	}
}

func TestStringRedacts(t *testing.T) {
	s := String("hunter2")
	if s.Reveal() != "hunter2" {
		t.Fatalf("Reveal = %q", s.Reveal())
	}
	j, err := json.Marshal(struct{ P String }{s})
	if err != nil || strings.Contains(string(j), "hunter2") {
		t.Errorf("json = %s, %v", j, err)
	}
	var back struct{ P string }
	if err := json.Unmarshal(j, &back); err != nil || back.P != Redacted {
		t.Errorf("json round trip = %q, %v", back.P, err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "password", s)
	for what, out := range map[string]string{
		"%v": fmt.Sprintf("%v", s), "%s": fmt.Sprintf("%s", s), "%#v": fmt.Sprintf("%#v", s), //nolint:staticcheck // S1025: the verbs themselves are under test
		"slog": buf.String(),
	} {
		if strings.Contains(out, "hunter2") || !strings.Contains(out, Redacted) {
			t.Errorf("%s renders %q", what, out)
		}
	}
}
