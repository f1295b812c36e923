// Command cozeauth gets people a Coze API token that keeps working: an OAuth
// login wizard, a connectivity probe of coze.com, and a rotation-safe token
// store that scripts read with `cozeauth token`.
//
// main only wires the real world into [cli.Run]: the signals that end a
// command, the standard streams, the environment, the clock, the version,
// and the refresher process token renewals run in ([cli.Reexec]). It holds
// no behaviour; that lives in auth, probe, ui and internal/cli. The one
// package global it sets is github.com/pkg/browser's output writers, which
// are that library's API: what a browser launcher prints must never reach
// stdout (a token's) or draw over the TUI.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pkg/browser"

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
	// Ctrl-C and SIGTERM: cleanup gets cli.SignalGrace, then the process
	// exits 130 whatever it waits on; a second signal exits at once.
	ctx, stop := cli.NotifyContext(context.Background(), os.Stderr, os.Exit, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	quietBrowser()
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

// quietBrowser sends what the browser launcher prints to the null device.
// An *os.File, not io.Discard: exec copies any other writer through a pipe
// and waits for it to close, which a browser started by xdg-open keeps open
// until it exits.
func quietBrowser() {
	var w io.Writer = io.Discard
	if f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		w = f // kept open for the life of the process
	}
	browser.Stdout, browser.Stderr = w, w
}
