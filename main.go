// Command cozeauth gets people a Coze API token that keeps working: an OAuth
// login wizard, a connectivity probe of coze.com, and a rotation-safe token
// store that scripts read with `cozeauth token`.
//
// main only wires the real world into [cli.Run]: the signals that end a
// command, the standard streams, the environment, the clock, the version,
// and the refresher process token renewals run in ([cli.Reexec]). It sets
// no package's globals and holds no behaviour; that lives in auth, probe,
// ui and internal/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cozeauth/cozeauth/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	if len(os.Args) == 2 && os.Args[1] == cli.RefresherCommand {
		os.Exit(refresher())
	}
	os.Exit(run())
}

func run() int {
	// SIGHUP (a closed terminal, a dropped SSH session) ends a command like
	// Ctrl-C: a refresh under way still finishes and is saved.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	env := realEnv()
	// Renewals run in a refresher process that outlives this one; without
	// a path to this binary they run here.
	if exe, err := os.Executable(); err == nil {
		env.Refresher = cli.Reexec{Path: exe}
	}
	return cli.Run(ctx, os.Args[1:], env)
}

// refresher is the process a command's token renewal runs in. The signals
// that end commands are ignored: it saves what Coze rotated even when its
// caller was told to stop. It ends by itself; if it has not well after
// its work's bound, it is stopped.
func refresher() int {
	signal.Ignore(os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	time.AfterFunc(cli.RefresherLimit+30*time.Second, func() { os.Exit(cli.ExitFailure) })
	request, answer := cli.RefresherFiles()
	return cli.ServeRefresher(request, answer, realEnv())
}

func realEnv() *cli.Env {
	return &cli.Env{
		Stdin:     os.Stdin,
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		Getenv:    os.Getenv,
		Now:       time.Now,
		Version:   version,
		UserAgent: "cozeauth/" + version,
	}
}
