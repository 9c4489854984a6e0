package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMetric(t *testing.T) {
	b := []byte(`# HELP redwatch_passes_total Passes.
# TYPE redwatch_passes_total counter
redwatch_passes_total{trigger="interval"} 7
redwatch_passes_total{trigger="start"} 1
redwatch_passes_total_other 100
go_memstats_mallocs_total 1.5e+06
`)
	if v, ok := metric(b, "redwatch_passes_total"); !ok || v != 8 {
		t.Errorf("passes = %g, %v; want 8 (labels summed, a longer name not)", v, ok)
	}
	if v, ok := metric(b, "go_memstats_mallocs_total"); !ok || v != 1.5e6 {
		t.Errorf("mallocs = %g, %v", v, ok)
	}
	if _, ok := metric(b, "absent"); ok {
		t.Error("absent metric found")
	}
}

func TestReplaceBlock(t *testing.T) {
	p := filepath.Join(t.TempDir(), "README.md")
	if err := os.WriteFile(p, []byte("a\n<!-- bench:begin -->\nold\n<!-- bench:end -->\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := replaceBlock(p, "new\n"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "a\n<!-- bench:begin -->\nnew\n<!-- bench:end -->\nb\n" {
		t.Errorf("got %q", b)
	}
	if err := os.WriteFile(p, []byte("no block"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := replaceBlock(p, "x"); err == nil || !strings.Contains(err.Error(), "bench:begin") {
		t.Errorf("err = %v", err)
	}
}

func TestFormat(t *testing.T) {
	if got := thousands(1234567); got != "1,234,567" {
		t.Errorf("thousands = %s", got)
	}
	if got := ms([]float64{0.002, 0.001, 0.003}); got != "2.0 ms (1.0–3.0)" {
		t.Errorf("ms = %s", got)
	}
}
