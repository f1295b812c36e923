package proxy

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// ShutdownGrace is how long requests under way may take to finish once the
// proxy is asked to stop; then their connections are closed.
const ShutdownGrace = 5 * time.Second

// Serve answers h on ln until ctx ends, then stops accepting, lets the
// requests under way finish within grace (0 means [ShutdownGrace]), closes
// what is left and returns ctx's error. Requests do not inherit ctx: a
// signal ends the listening, not the answers in flight. When h has a Flush
// method (the handler [New] returns does: its request log), it is called
// last, so no log line is lost; pass that handler itself, not a wrapper.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration) error {
	if grace <= 0 {
		grace = ShutdownGrace
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close() // streams still going after the grace are cut
	}
	err := <-done
	if f, ok := h.(interface{ Flush() }); ok { // the last log lines
		f.Flush()
	}
	if !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return ctx.Err()
}
