package auth

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// Whom cozeauth trusts: a config directory, and each rescue directory, that
// belongs to this user and that no one else can write. Anyone who can write
// a directory can plant a token file there, and the tokens of a planted file
// are someone else's account: the caller's scripts would then talk to Coze
// as that account. So a foreign or shared config directory is refused, not
// read, and a rescue file is used only when it and its directory are this
// user's and private.

// unsafeDir is the usage error of a config directory that belongs to
// another user or can be written by others: cozeauth neither reads tokens
// from it nor writes tokens to it. reason is like "is owned by uid 65534,
// not you (uid 0)".
func unsafeDir(dir, reason, fix string) *UsageError {
	return &UsageError{Msg: fmt.Sprintf("refusing the config directory %s: it %s, so the tokens in it could be another user's and tokens written there could be read or replaced: %s", dir, reason, fix)}
}

// checkDir vets the config directory before any token or setting is read
// from it or written to it. One that does not exist yet is fine (it is
// created 0700). One of this user's that others can read but not write is
// read as it is (the token file in it is 0600); before a write (fix) it is
// tightened to 0700 with a warning, when it is a real directory; through a
// link it is only warned about, since chmod would reach the link's target.
func (s *Store) checkDir(fix bool) error {
	dir := s.Dir
	lfi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("could not read the config directory %s: %w", dir, err)
	}
	fi := lfi
	link := lfi.Mode()&fs.ModeSymlink != 0
	if link {
		if fi, err = os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return nil // a link to nothing: creating the directory fails and says so
		} else if err != nil {
			return fmt.Errorf("could not read the config directory %s: %w", dir, err)
		}
	}
	own := "use a directory of your own: set $COZEAUTH_CONFIG_DIR to one (it is created 0700)"
	switch perm := fi.Mode().Perm(); {
	case !fi.IsDir():
		return unsafeDir(dir, "is "+kindOf(fi.Mode())+", not a directory", "remove it, or "+own)
	case !ownedByMe(fi):
		return unsafeDir(dir, "is owned by "+ownerOf(fi), own)
	case perm&0o022 != 0:
		fix := fmt.Sprintf("run `chmod 700 %s`, or %s", dir, own)
		return unsafeDir(dir, fmt.Sprintf("can be written by other users (mode %04o)", unixMode(fi.Mode())), fix)
	case perm&0o077 == 0 || !fix:
	case link:
		s.warn(fmt.Sprintf("warning: the config directory %s (a link) is open to other users (mode %04o); cozeauth does not chmod through a link: run `chmod 700 %s/`", dir, perm, dir))
	default:
		if err := chmodDir(dir, lfi, 0o700); err != nil {
			s.warn(fmt.Sprintf("warning: %s is open to other users (mode %04o) and could not be changed (%v); run `chmod 700 %s`", dir, perm, err, dir))
			return nil
		}
		s.warn(fmt.Sprintf("warning: %s was open to other users (mode %04o); it is now 0700", dir, perm))
	}
	return nil
}

// untrustedError is why a rescue file was not used.
type untrustedError struct{ why string }

func (e *untrustedError) Error() string { return e.why }

// checkPrivateDir vets a rescue directory as found by Lstat: a real
// directory (not a link) of this user's that no one else can enter.
func checkPrivateDir(dir string) (fs.FileInfo, error) {
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, err
	}
	switch {
	case !fi.IsDir():
		return fi, &untrustedError{fmt.Sprintf("its directory %s is %s", dir, kindOf(fi.Mode()))}
	case !ownedByMe(fi):
		return fi, &untrustedError{fmt.Sprintf("its directory %s is owned by %s", dir, ownerOf(fi))}
	case fi.Mode().Perm()&0o077 != 0:
		return fi, &untrustedError{fmt.Sprintf("its directory %s is open to other users (mode %04o)", dir, fi.Mode().Perm())}
	}
	return fi, nil
}

// readRescue reads a rescue file only when it and its directory are this
// user's and private: a regular file (never followed) of this user's, mode
// 0600 or stricter, of at most MaxStoreFile bytes, in a directory that
// passes checkPrivateDir. A missing file is fs.ErrNotExist; anything else
// that is not used is an *untrustedError or a decoding error.
func readRescue(dir, path string) (*tokenFile, error) {
	if _, err := checkPrivateDir(dir); err != nil {
		if _, lerr := os.Lstat(path); missing(lerr) {
			return nil, fs.ErrNotExist // nothing rescued there: nothing to warn about
		}
		return nil, err
	}
	f, fi, err := openRegular(path)
	if isUnsafe(err) {
		return nil, &untrustedError{"it is " + err.(*UnsafeFileError).Kind}
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	switch {
	case !ownedByMe(fi):
		return nil, &untrustedError{"it is owned by " + ownerOf(fi)}
	case fi.Mode().Perm()&0o077 != 0:
		return nil, &untrustedError{fmt.Sprintf("it is open to other users (mode %04o)", fi.Mode().Perm())}
	case fi.Size() > MaxStoreFile:
		return nil, &untrustedError{fmt.Sprintf("it is larger than %d bytes", MaxStoreFile)}
	}
	data, err := readAllBounded(f)
	if err != nil {
		return nil, err
	}
	return decodeTokens(data)
}

// prepareRescueDir makes dir a rescue directory to write into: created
// 0700, and then, as found by Lstat, a real directory of this user's, which
// is tightened to 0700 if it is open to others.
func prepareRescueDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := checkPrivateDir(dir)
	var ue *untrustedError
	if errors.As(err, &ue) && fi.IsDir() && ownedByMe(fi) {
		return chmodDir(dir, fi, 0o700)
	}
	if err != nil {
		return fmt.Errorf("%s is not a private directory of this user's: %w", dir, err)
	}
	return nil
}

// unixMode is m as chmod writes it: the permissions and the sticky bit.
func unixMode(m fs.FileMode) fs.FileMode {
	if m&fs.ModeSticky != 0 {
		return m.Perm() | 0o1000
	}
	return m.Perm()
}

// missing reports a path that is not there, or whose parent is not a
// directory.
func missing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}
