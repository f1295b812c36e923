//go:build unix

package cli

import "syscall"

// ownSession puts the refresher in a new session: a SIGKILL of its
// caller's process group, or a hang-up of its terminal, does not reach it.
func ownSession() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
