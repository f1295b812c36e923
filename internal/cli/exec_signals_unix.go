//go:build unix

package cli

import (
	"os"
	"syscall"
)

// forwardedSignals are the signals `cozeauth exec` passes on to its child.
func forwardedSignals() []os.Signal {
	return []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH}
}
