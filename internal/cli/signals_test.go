package cli

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// hangGuard bounds what a test waits for; it is a failure, not a limit.
const hangGuard = 10 * time.Second

// A command that ignores its context (blocked in a read, say) is still
// ended after the grace; a second signal ends it at once; one that returns
// in time is not ended at all.
func TestWatchdogEndsWhatIgnoresItsContext(t *testing.T) {
	tests := []struct {
		name     string
		grace    time.Duration
		signals  int
		finish   bool // the command returns (done closes) after the first signal
		wantKill bool
	}{
		{"grace runs out", time.Millisecond, 1, false, true},
		{"second signal", time.Hour, 2, false, true},
		{"returns in time", time.Hour, 1, true, false},
		{"the command handles signals (exec)", -1, 2, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sigs := make(chan os.Signal, 2)
			done := make(chan struct{})
			cancelled := make(chan struct{})
			killed := make(chan struct{})
			ended := make(chan struct{})
			go func() {
				defer close(ended)
				watchdog(sigs, done, func() { close(cancelled) }, func() time.Duration { return tt.grace }, func() { close(killed) })
			}()
			sigs <- syscall.SIGTERM
			select {
			case <-cancelled:
			case <-time.After(hangGuard):
				t.Fatal("the first signal did not cancel the command's context")
			}
			if tt.signals == 2 {
				sigs <- syscall.SIGINT
			}
			if tt.finish {
				close(done)
			}
			select {
			case <-ended:
			case <-time.After(hangGuard):
				t.Fatal("the watchdog neither ended the process nor stood down")
			}
			select {
			case <-killed:
				if !tt.wantKill {
					t.Error("a command that returned in time was ended")
				}
			default:
				if tt.wantKill {
					t.Error("the command was not ended")
				}
			}
		})
	}
}
