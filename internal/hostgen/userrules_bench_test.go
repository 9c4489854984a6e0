package hostgen

import (
	"context"
	"testing"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/config"
	"github.com/redwatch/redwatch/internal/engine"
	"github.com/redwatch/redwatch/rules"
)

// BenchmarkPassUserRules is BenchmarkPass with the user rules of
// docs/configuration.md configured (none fires on the healthy host).
func BenchmarkPassUserRules(b *testing.B) {
	dir := b.TempDir()
	if err := Generate(dir, Large); err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Parse("redwatch.yaml", []byte(`user_rules:
  - id: too_few_healthy_bonds
    expr: 'len(filter(groups, .kind == "bond" && .healthy >= 1)) < 2'
    severity: critical
    message: "fewer than 2 bonds with a healthy member each"
  - id: group_below_needed
    for_each: groups
    expr: .healthy < .needed
    subject: "{{.name}}"
    message: "{{.name}}: {{.healthy}} of {{.needed}} members healthy"
  - id: disk_worn_out
    for_each: disks
    expr: .percentage_used > 80
`))
	if err != nil {
		b.Fatal(err)
	}
	e := &engine.Engine{Roots: collectors.TreeRoots(dir), Config: cfg}
	p := e.Run(context.Background())
	for _, f := range p.Result.Findings {
		if f.Severity > rules.Info {
			b.Fatalf("the large host is not healthy with the rules: %+v", f)
		}
	}
	if len(p.Result.Errors) != 0 {
		b.Fatalf("the large host has errors: %+v", p.Result.Errors)
	}
	b.ReportAllocs()
	for b.Loop() {
		e.Run(context.Background())
	}
}
