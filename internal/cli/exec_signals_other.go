//go:build !unix

package cli

import (
	"os"
	"syscall"
)

// forwardedSignals are the signals `cozeauth exec` passes on to its child.
func forwardedSignals() []os.Signal { return []os.Signal{os.Interrupt, syscall.SIGTERM} }
