//go:build unix

package coze

import "golang.org/x/sys/unix"

// osVersion is the kernel's release (uname -r), or "" when unknown.
func osVersion() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}
