// Package input bounds what a person hands cozeauth: the small files flags
// name (--config, --scope-file, --private-key-file), read only when they are
// regular files, and the length of a pasted line. It is shared by auth
// (a JWT app's key file), the commands and the wizard; it prints nothing.
package input

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// MaxPaste bounds what a person may paste: an address, or a line of input.
const MaxPaste = 64 << 10

// MaxFile bounds the files cozeauth reads because a flag named them
// (--config, --scope-file, --private-key-file): each is a few KiB at most.
const MaxFile = 64 << 10

// ReadFile reads a small file a person named: a console config, a
// scope, a private key. Only a regular file (or a symlink to one) of at most
// [MaxFile] bytes is read: a FIFO, a device such as /dev/zero or a
// directory is refused before it is opened, since reading one could wait or
// run forever, and a larger file is refused unread past the bound.
func ReadFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := checkRegular(path, info); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNonBlock, 0) // a FIFO swapped in meanwhile does not block
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err = f.Stat(); err != nil { // it may have been swapped since
		return nil, err
	}
	if err := checkRegular(path, info); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFile {
		return nil, fmt.Errorf("%s is larger than %d KiB, more than such a file ever holds: check that the path names the right file", path, MaxFile>>10)
	}
	return data, nil
}

// errNotRegular is wrapped by ReadFile's refusal of a FIFO, device or
// directory.
var errNotRegular = errors.New("not a regular file")

func checkRegular(path string, info fs.FileInfo) error {
	if info.Mode().IsRegular() {
		return nil
	}
	return fmt.Errorf("%s is %s, %w: save the content to a file and pass that file's path", path, KindOf(info.Mode()), errNotRegular)
}

// KindOf names a file mode that is not a regular file's, for a refusal:
// "a named pipe (FIFO)", "a directory", …
func KindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "a special file"
}
