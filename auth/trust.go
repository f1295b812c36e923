package auth

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/cozeauth/cozeauth/auth/internal/filestore"
	"github.com/cozeauth/cozeauth/internal/input"
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
		return unsafeDir(dir, "is "+input.KindOf(fi.Mode())+", not a directory", "remove it, or "+own)
	case !filestore.OwnedByMe(fi):
		return unsafeDir(dir, "is owned by "+filestore.OwnerOf(fi), own)
	case perm&0o022 != 0:
		fix := fmt.Sprintf("run `chmod 700 %s`, or %s", dir, own)
		return unsafeDir(dir, fmt.Sprintf("can be written by other users (mode %04o)", filestore.UnixMode(fi.Mode())), fix)
	case perm&0o077 == 0 || !fix:
	case link:
		s.warn(fmt.Sprintf("warning: the config directory %s (a link) is open to other users (mode %04o); cozeauth does not chmod through a link: run `chmod 700 %s/`", dir, perm, dir))
	default:
		if err := filestore.ChmodDir(dir, lfi, 0o700); err != nil {
			s.warn(fmt.Sprintf("warning: %s is open to other users (mode %04o) and could not be changed (%v); run `chmod 700 %s`", dir, perm, err, dir))
			return nil
		}
		s.warn(fmt.Sprintf("warning: %s was open to other users (mode %04o); it is now 0700", dir, perm))
	}
	return nil
}

// readRescue reads a rescue file only when it and its directory are this
// user's and private: a regular file (never followed) of this user's, mode
// 0600 or stricter, of at most filestore.MaxFile bytes, in a directory that
// passes filestore.CheckPrivateDir. A missing file is fs.ErrNotExist; anything else
// that is not used is a [*filestore.UntrustedError] or a decoding error.
func readRescue(dir, path string) (*tokenFile, error) {
	if _, err := filestore.CheckPrivateDir(dir); err != nil {
		if _, lerr := os.Lstat(path); filestore.Missing(lerr) {
			return nil, fs.ErrNotExist // nothing rescued there: nothing to warn about
		}
		return nil, err
	}
	f, fi, err := filestore.OpenRegular(path)
	if filestore.IsUnsafe(err) {
		return nil, &filestore.UntrustedError{Why: "it is " + err.(*filestore.UnsafeFileError).Kind}
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	switch {
	case !filestore.OwnedByMe(fi):
		return nil, &filestore.UntrustedError{Why: "it is owned by " + filestore.OwnerOf(fi)}
	case fi.Mode().Perm()&0o077 != 0:
		return nil, &filestore.UntrustedError{Why: fmt.Sprintf("it is open to other users (mode %04o)", fi.Mode().Perm())}
	case fi.Size() > filestore.MaxFile:
		return nil, &filestore.UntrustedError{Why: fmt.Sprintf("it is larger than %d bytes", filestore.MaxFile)}
	}
	data, err := filestore.ReadAllBounded(f)
	if err != nil {
		return nil, err
	}
	return decodeTokens(data)
}
