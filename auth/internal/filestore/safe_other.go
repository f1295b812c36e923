//go:build !unix

package filestore

import (
	"io/fs"
	"os"
)

// openNoFollow: Windows has no O_NOFOLLOW; Lstat before the open and the
// fstat after it still refuse a link or a special file.
const openNoFollow = 0

const openNonBlock = 0

func isLinkErr(error) bool { return false }

// ownedByMe: Windows files carry ACLs, not a uid; the user's profile
// directories are private by default.
func OwnedByMe(fs.FileInfo) bool { return true }

func OwnerOf(fs.FileInfo) string { return "another user" }

func ChmodDir(dir string, _ fs.FileInfo, mode fs.FileMode) error { return os.Chmod(dir, mode) }
