package filestore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/cozeauth/cozeauth/internal/input"
)

// UntrustedError is why a rescue file was not used.
type UntrustedError struct{ Why string }

func (e *UntrustedError) Error() string { return e.Why }

// CheckPrivateDir vets a rescue directory as found by Lstat: a real
// directory (not a link) of this user's that no one else can enter.
func CheckPrivateDir(dir string) (fs.FileInfo, error) {
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, err
	}
	switch {
	case !fi.IsDir():
		return fi, &UntrustedError{Why: fmt.Sprintf("its directory %s is %s", dir, input.KindOf(fi.Mode()))}
	case !OwnedByMe(fi):
		return fi, &UntrustedError{Why: fmt.Sprintf("its directory %s is owned by %s", dir, OwnerOf(fi))}
	case fi.Mode().Perm()&0o077 != 0:
		return fi, &UntrustedError{Why: fmt.Sprintf("its directory %s is open to other users (mode %04o)", dir, fi.Mode().Perm())}
	}
	return fi, nil
}

// PrepareRescueDir makes dir a rescue directory to write into: created
// 0700, and then, as found by Lstat, a real directory of this user's, which
// is tightened to 0700 if it is open to others.
func PrepareRescueDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := CheckPrivateDir(dir)
	var ue *UntrustedError
	if errors.As(err, &ue) && fi.IsDir() && OwnedByMe(fi) {
		return ChmodDir(dir, fi, 0o700)
	}
	if err != nil {
		return fmt.Errorf("%s is not a private directory of this user's: %w", dir, err)
	}
	return nil
}

// UnixMode is m as chmod writes it: the permissions and the sticky bit.
func UnixMode(m fs.FileMode) fs.FileMode {
	if m&fs.ModeSticky != 0 {
		return m.Perm() | 0o1000
	}
	return m.Perm()
}

// Missing reports a path that is not there, or whose parent is not a
// directory.
func Missing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}
