package filestore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/cozeauth/cozeauth/internal/input"
)

// The files cozeauth keeps (tokens.json, config.json, tokens.lock, rescue
// files) are found with Lstat and never followed: a link, FIFO, device or
// directory in their place is refused by name, before anything opens it, so
// that no command hangs on a planted FIFO, reads another file through a
// link, or chmods a link's target. What is opened is checked again with
// fstat, since the name may have been swapped in between.

// UnsafeFileError means something other than a regular file is where
// cozeauth keeps one of its files. Nothing was read from it, written
// through it or changed.
type UnsafeFileError struct {
	Path string
	Kind string // "a symbolic link", "a named pipe (FIFO)", …
}

func (e *UnsafeFileError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file, so cozeauth did not open it: remove it (`rm %s`) and run the command again", e.Path, e.Kind, e.Path)
}

// CheckRegular refuses by name ([UnsafeFileError]) whatever Lstat finds at
// path that is not a regular file. Nothing there is no error; an Lstat that
// fails otherwise is returned as it is.
func CheckRegular(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return &UnsafeFileError{Path: path, Kind: input.KindOf(fi.Mode())}
	}
	return nil
}

// OpenRegular opens path for reading when it is a regular file as found by
// Lstat, without following a link and without blocking. What fstat says of
// the file opened is what counts: another cozeauth process's atomic save
// may have renamed a new file into place since the Lstat, which is as
// regular as the old one (and refusing it told a user to delete a good
// store). A missing file is fs.ErrNotExist.
func OpenRegular(path string) (*os.File, fs.FileInfo, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, &UnsafeFileError{Path: path, Kind: input.KindOf(fi.Mode())}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNoFollow, 0)
	if err != nil {
		if isLinkErr(err) {
			return nil, nil, &UnsafeFileError{Path: path, Kind: "a symbolic link"}
		}
		return nil, nil, err
	}
	opened, err := f.Stat()
	if err == nil && !opened.Mode().IsRegular() {
		err = &UnsafeFileError{Path: path, Kind: input.KindOf(opened.Mode())}
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, opened, nil
}

// ReadAllBounded reads f whole, refusing more than MaxFile bytes.
func ReadAllBounded(f *os.File) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(f, MaxFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFile {
		return nil, fmt.Errorf("it is larger than %d bytes, far more than any token store", MaxFile)
	}
	return data, nil
}

// ReadBounded reads a store file: a regular file (never followed) of at most
// MaxFile bytes.
func ReadBounded(path string) ([]byte, error) {
	f, _, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAllBounded(f)
}

// IsUnsafe reports a refusal of OpenRegular, which is not a corrupt file:
// a login must not move it aside, and nothing may be written over it.
func IsUnsafe(err error) bool {
	var ue *UnsafeFileError
	return errors.As(err, &ue)
}
