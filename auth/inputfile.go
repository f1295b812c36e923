package auth

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// MaxInputFile bounds the files cozeauth reads because a flag named them
// (--config, --scope-file, --private-key-file): each is a few KiB at most.
const MaxInputFile = 64 << 10

// ReadInputFile reads a small file a person named: a console config, a
// scope, a private key. Only a regular file (or a symlink to one) of at most
// [MaxInputFile] bytes is read: a FIFO, a device such as /dev/zero or a
// directory is refused before it is opened, since reading one could wait or
// run forever, and a larger file is refused unread past the bound.
func ReadInputFile(path string) ([]byte, error) {
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
	data, err := io.ReadAll(io.LimitReader(f, MaxInputFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxInputFile {
		return nil, fmt.Errorf("%s is larger than %d KiB, more than such a file ever holds: check that the path names the right file", path, MaxInputFile>>10)
	}
	return data, nil
}

// errNotRegular is wrapped by ReadInputFile's refusal of a FIFO, device or
// directory.
var errNotRegular = errors.New("not a regular file")

func checkRegular(path string, info fs.FileInfo) error {
	if info.Mode().IsRegular() {
		return nil
	}
	kind := "a special file"
	switch m := info.Mode(); {
	case m.IsDir():
		kind = "a directory"
	case m&fs.ModeNamedPipe != 0:
		kind = "a named pipe (FIFO)"
	case m&fs.ModeDevice != 0:
		kind = "a device"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	}
	return fmt.Errorf("%s is %s, %w: save the content to a file and pass that file's path", path, kind, errNotRegular)
}
