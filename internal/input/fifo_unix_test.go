//go:build unix

package input

import "syscall"

const nonBlock = syscall.O_NONBLOCK

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o600) }
