// Command gen-man writes redwatch's man page and shell completions from the
// commands' --help (go run ./internal/tools/gen-man [DIR], DIR defaulting to
// packaging): DIR/man/redwatch.1 and DIR/completions/redwatch.{bash,zsh,fish}.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/redwatch/redwatch/internal/cli"
)

func main() {
	dir := "packaging"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := write(dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen-man:", err)
		os.Exit(1)
	}
}

func write(dir string) error {
	files, err := cli.GeneratedDocs()
	if err != nil {
		return err
	}
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
