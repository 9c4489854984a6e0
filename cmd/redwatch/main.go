// Command redwatch watches the redundancy of a bare-metal Linux server.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/redwatch/redwatch/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
