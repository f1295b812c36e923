// Command cozeauth gets people a Coze API token that keeps working: an OAuth
// login wizard, a connectivity probe of coze.com, and a rotation-safe token
// store that scripts read with `cozeauth token`.
//
// main only wires the real world into [cli.Run]: the signals that end a
// command, the standard streams, the environment, the clock, the version.
// It sets no package's globals and holds no behaviour; that lives in auth,
// probe, ui and internal/cli.
package main

import (
	"context"
	"os"
	"syscall"
	"time"

	"github.com/cozeauth/cozeauth/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() { os.Exit(run()) }

func run() int {
	// SIGHUP (a closed terminal, a dropped SSH session) ends a command like
	// Ctrl-C and SIGTERM: cleanup gets cli.SignalGrace, then the process
	// exits 130 whatever it waits on; a second signal exits at once.
	ctx, stop := cli.NotifyContext(context.Background(), os.Stderr, os.Exit, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	return cli.Run(ctx, os.Args[1:], &cli.Env{
		Stdin:     os.Stdin,
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		Getenv:    os.Getenv,
		Now:       time.Now,
		Version:   version,
		UserAgent: "cozeauth/" + version,
	})
}
