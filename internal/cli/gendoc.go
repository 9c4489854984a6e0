package cli

import (
	"bytes"
	"errors"

	"github.com/redwatch/redwatch/rules"
)

// Markers around the generated rule reference in docs/rules.md.
const (
	rulesBegin = "<!-- rules:begin -->"
	rulesEnd   = "<!-- rules:end -->"
)

// RulesReadme returns readme (docs/rules.md) with the rule reference between the rules
// markers regenerated from the rule catalog (`go run ./internal/tools/gen-rules-doc`).
func RulesReadme(readme []byte) ([]byte, error) {
	i := bytes.Index(readme, []byte(rulesBegin))
	j := bytes.Index(readme, []byte(rulesEnd))
	if i < 0 || j < i {
		return nil, errors.New("cli: rule reference has no " + rulesBegin + " ... " + rulesEnd + " markers")
	}
	var b bytes.Buffer
	b.Write(readme[:i+len(rulesBegin)])
	b.WriteString("\n")
	b.WriteString(rules.Markdown())
	b.Write(readme[j:])
	return b.Bytes(), nil
}
