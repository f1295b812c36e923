package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

// SignalGrace is what a command has, after SIGINT, SIGTERM or SIGHUP ended
// its context, to clean up (restore the terminal, remove a sandbox's
// directory, let a refresh under way be saved) before the process exits
// anyway. A command blocked where no context reaches — a read no one
// answers, a file system that hangs — must still end within 2 seconds.
const SignalGrace = 1500 * time.Millisecond

// NotifyContext is signal.NotifyContext with a watchdog: the first of sigs
// ends the returned context; when the command has not returned SignalGrace
// later, or a second signal arrives, exit(ExitInterrupted) is called. stop
// releases the signals and the watchdog; main defers it.
func NotifyContext(parent context.Context, stderr io.Writer, exit func(int), sigs ...os.Signal) (ctx context.Context, stop func()) {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, sigs...)
	ctx, cancel := context.WithCancel(parent)
	done := make(chan struct{})
	go watchdog(ch, done, cancel, SignalGrace, func() {
		fmt.Fprintln(stderr, "cozeauth: interrupted")
		exit(ExitInterrupted)
	})
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel()
	}
}

// watchdog cancels at the first signal on sigs, then calls kill after grace
// or at a second signal, unless done closes first.
func watchdog(sigs <-chan os.Signal, done <-chan struct{}, cancel func(), grace time.Duration, kill func()) {
	select {
	case <-sigs:
		cancel()
	case <-done:
		return
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-sigs:
	case <-t.C:
	case <-done:
		return
	}
	kill()
}
