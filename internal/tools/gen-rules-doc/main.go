// Command gen-rules-doc regenerates the rule reference in docs/rules.md from the
// rule catalog: go run ./internal/tools/gen-rules-doc [docs/rules.md].
package main

import (
	"fmt"
	"os"

	"github.com/redwatch/redwatch/internal/cli"
)

func main() {
	path := "docs/rules.md"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	b, err := os.ReadFile(path)
	if err == nil {
		b, err = cli.RulesReadme(b)
	}
	if err == nil {
		err = os.WriteFile(path, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-rules-doc:", err)
		os.Exit(1)
	}
}
