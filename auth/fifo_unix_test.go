//go:build unix

package auth

import "syscall"

const nonBlock = syscall.O_NONBLOCK

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o600) }
