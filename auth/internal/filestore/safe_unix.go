//go:build unix

package filestore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// openNoFollow opens a file without following a final link and without
// blocking on a FIFO or device that was swapped in after Lstat.
const openNoFollow = syscall.O_NOFOLLOW | openNonBlock

// openNonBlock opens without blocking on a FIFO or device.
const openNonBlock = syscall.O_NONBLOCK | syscall.O_CLOEXEC

// isLinkErr reports open's answer to O_NOFOLLOW on a link.
func isLinkErr(err error) bool { return errors.Is(err, syscall.ELOOP) }

func fileUID(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// OwnedByMe reports whether this process's user owns fi.
func OwnedByMe(fi fs.FileInfo) bool {
	uid, ok := fileUID(fi)
	return ok && uid == os.Getuid()
}

// OwnerOf names fi's owner for a message.
func OwnerOf(fi fs.FileInfo) string {
	uid, _ := fileUID(fi)
	return fmt.Sprintf("uid %d, not you (uid %d)", uid, os.Getuid())
}

// ChmodDir sets the mode of dir, a directory this user owns as found by
// Lstat (fi), through a descriptor opened without following a link, so a
// link swapped in meanwhile is not followed either.
func ChmodDir(dir string, fi fs.FileInfo, mode fs.FileMode) error {
	d, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY|openNoFollow, 0)
	if err != nil {
		return err
	}
	defer d.Close()
	got, err := d.Stat()
	if err != nil {
		return err
	}
	if !os.SameFile(fi, got) {
		return fmt.Errorf("%s changed while it was checked", dir)
	}
	return d.Chmod(mode)
}
