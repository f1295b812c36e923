//go:build unix

package input

import "syscall"

// openNonBlock keeps an open of a FIFO swapped in after the check from
// waiting for a writer.
const openNonBlock = syscall.O_NONBLOCK | syscall.O_CLOEXEC
