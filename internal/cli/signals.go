package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
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
// later (or its own grace, [setSignalGrace]), or a second signal arrives,
// exit(ExitInterrupted) is called. stop
// releases the signals and the watchdog; main defers it.
func NotifyContext(parent context.Context, stderr io.Writer, exit func(int), sigs ...os.Signal) (ctx context.Context, stop func()) {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, sigs...)
	grace := &commandGrace{}
	grace.d.Store(int64(SignalGrace))
	ctx, cancel := context.WithCancel(context.WithValue(parent, graceKey{}, grace))
	done := make(chan struct{})
	go watchdog(ch, done, cancel, grace.get, func() {
		fmt.Fprintln(stderr, "cozeauth: interrupted")
		exit(ExitInterrupted)
	})
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel()
	}
}

// commandGrace is the watchdog's grace, which a command that bounds its own
// shutdown may change ([setSignalGrace]).
type commandGrace struct{ d atomic.Int64 }

func (g *commandGrace) get() time.Duration { return time.Duration(g.d.Load()) }

type graceKey struct{}

// setSignalGrace replaces SignalGrace for the command running under ctx:
// `proxy` lets its requests under way finish within its own bound (5 s);
// `exec` passes signals to its child and waits for it, so it asks for no
// watchdog at all (a negative d). Outside [NotifyContext] it does nothing.
func setSignalGrace(ctx context.Context, d time.Duration) {
	if g, ok := ctx.Value(graceKey{}).(*commandGrace); ok {
		g.d.Store(int64(d))
	}
}

// watchdog cancels at the first signal on sigs, then calls kill after grace
// (read then) or at a second signal, unless done closes first. A negative
// grace means the command handles signals itself: no kill.
func watchdog(sigs <-chan os.Signal, done <-chan struct{}, cancel func(), grace func() time.Duration, kill func()) {
	select {
	case <-sigs:
		cancel()
	case <-done:
		return
	}
	d := grace()
	if d < 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-sigs:
	case <-t.C:
	case <-done:
		return
	}
	kill()
}
