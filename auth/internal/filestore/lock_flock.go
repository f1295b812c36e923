//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package filestore

import (
	"context"
	"errors"
	"os"
	"syscall"

	"github.com/cozeauth/cozeauth/internal/input"
)

// flockFile is a lock file held with flock(2).
type flockFile struct{ f *os.File }

func (l flockFile) Unlock() {
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
}

// LockPath takes an exclusive flock on path, creating it 0600, waiting
// until ctx is done. The file is opened by cozeauth itself, never through a
// link (so a dangling link does not create its target) and without
// blocking; a FIFO, device or directory there is refused by name.
func LockPath(ctx context.Context, path string) (Lock, error) {
	if err := CheckRegular(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|openNoFollow, 0o600) // read-only: flock needs no more, and a read-only mount allows it
	if isLinkErr(err) {
		return nil, &UnsafeFileError{Path: path, Kind: "a symbolic link"}
	}
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err != nil {
			return nil, err
		}
		return nil, &UnsafeFileError{Path: path, Kind: input.KindOf(fi.Mode())}
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return flockFile{f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, err
		}
		if err := waitPoll(ctx); err != nil {
			f.Close()
			return nil, err
		}
	}
}
