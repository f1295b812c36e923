//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package filestore

import (
	"context"

	"github.com/gofrs/flock"
)

type gofrsLock struct{ fl *flock.Flock }

func (l gofrsLock) Unlock() { _ = l.fl.Unlock() }

// LockPath takes the lock with gofrs/flock where flock(2) is missing
// (Windows' LockFileEx, fcntl elsewhere), after refusing by name anything
// but a regular file found with Lstat.
func LockPath(ctx context.Context, path string) (Lock, error) {
	if err := CheckRegular(path); err != nil {
		return nil, err
	}
	fl := flock.New(path)
	ok, err := fl.TryLockContext(ctx, lockPoll)
	if err == nil && !ok {
		err = ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	return gofrsLock{fl}, nil
}
