//go:build !unix

package cli

import "syscall"

// ownSession is the default elsewhere: a process there does not end with
// its parent's process group.
func ownSession() *syscall.SysProcAttr { return nil }
