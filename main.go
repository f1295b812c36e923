// Command cozeauth gets people a Coze API token that keeps working: an OAuth
// login wizard, a connectivity probe of coze.com, and a rotation-safe token
// store that scripts read with `cozeauth token`.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pkg/browser"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() { os.Exit(run()) }

func run() int {
	// SIGHUP (a closed terminal, a dropped SSH session) ends a command like
	// Ctrl-C: a refresh under way still finishes and is saved.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	auth.UserAgent = "cozeauth/" + version
	// What xdg-open and friends print must not reach stdout (a token's) or
	// draw over the wizard.
	browser.Stdout, browser.Stderr = io.Discard, io.Discard
	return cli.Run(ctx, os.Args[1:], &cli.Env{
		Stdin:   os.Stdin,
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
		Getenv:  os.Getenv,
		Now:     time.Now,
		Version: version,
	})
}
