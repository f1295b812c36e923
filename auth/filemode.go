package auth

import (
	"fmt"
	"io/fs"
	"os"

	"github.com/cozeauth/cozeauth/auth/internal/filestore"
)

// fixFileMode makes the open file f, which is path, 0600 when it lets others
// in, with a warning. f is what Lstat found and was opened without following
// a link, so the chmod reaches that file and no link's target; a file of
// another user's is only warned about.
func (s *Store) fixFileMode(path string, f *os.File, fi fs.FileInfo) {
	if fi.Mode().Perm()&0o077 == 0 {
		return
	}
	if !filestore.OwnedByMe(fi) {
		s.warn(fmt.Sprintf("warning: %s is open to other users (mode %04o) and belongs to %s, so cozeauth cannot change it: remove it, or run `chmod 600 %s` as its owner", path, fi.Mode().Perm(), filestore.OwnerOf(fi), path))
		return
	}
	if err := f.Chmod(0o600); err != nil {
		s.warn(fmt.Sprintf("warning: %s is open to other users (mode %04o) and could not be changed (%v); run `chmod 600 %s`", path, fi.Mode().Perm(), err, path))
		return
	}
	s.warn(fmt.Sprintf("warning: %s was open to other users (mode %04o); it is now 0600", path, fi.Mode().Perm()))
}
