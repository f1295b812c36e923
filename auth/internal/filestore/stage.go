package filestore

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// MaxFile bounds what the store reads: its files hold a few profiles of
// a few hundred bytes each.
const MaxFile = 1 << 20

// StageHeadroom is what a staged file is written with beyond the current
// token file, so that the record a grant brings back (two tokens at most
// coze.MaxTokenLen each, a user, a failure) surely fits.
const StageHeadroom = 16 << 10

// Staged is a temporary file in the store's directory that has already been
// written once, proving that the directory takes a new file of the size the
// result needs (space, quota, a read-only mount, permissions) before
// anything is spent at Coze. Commit then writes the real content into it
// and renames it over the target.
type Staged struct {
	f *os.File
}

// stagePattern names the temporary files that will replace target.
func stagePattern(target string) string { return "." + filepath.Base(target) + "-*.tmp" }

// Stage creates and writes a temporary file of size bytes next to target.
func Stage(target string, size int) (*Staged, error) {
	dir := filepath.Dir(target)
	f, err := os.CreateTemp(dir, stagePattern(target)) // 0600
	if err != nil {
		return nil, fmt.Errorf("could not create a file in %s: %w", dir, err)
	}
	st := &Staged{f: f}
	if _, err := f.Write(make([]byte, size)); err != nil {
		st.Abort()
		return nil, fmt.Errorf("could not write to %s: %w", dir, err)
	}
	if err := f.Sync(); err != nil {
		st.Abort()
		return nil, fmt.Errorf("could not write to %s: %w", dir, err)
	}
	return st, nil
}

// Commit replaces target with data, atomically: a reader sees the old file
// or the new one, never half of either, and the new one is 0600.
func (st *Staged) Commit(target string, data []byte) error {
	f := st.f
	st.f = nil
	err := errors.Join(f.Truncate(0), writeAt0(f, data), f.Sync(), f.Chmod(0o600))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), target)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("could not write %s: %w", target, err)
	}
	syncDir(filepath.Dir(target))
	return nil
}

func writeAt0(f *os.File, data []byte) error {
	_, err := f.WriteAt(data, 0)
	return err
}

// RemoveStale removes temporary files of target left by a process that was
// killed between staging and committing. Only the holder of the store's
// lock stages the token file, so under the lock none of them is in use.
func RemoveStale(target string) {
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(target), stagePattern(target)))
	for _, f := range stale {
		_ = os.Remove(f)
	}
}

// Abort removes a staged file that will not be used.
func (st *Staged) Abort() {
	if st == nil || st.f == nil {
		return
	}
	_ = st.f.Close()
	_ = os.Remove(st.f.Name())
	st.f = nil
}

// syncDir makes a rename durable. Windows cannot open a directory for it.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// WriteAtomic writes data to path through a staged file.
func WriteAtomic(path string, data []byte) error {
	st, err := Stage(path, len(data))
	if err != nil {
		return err
	}
	return st.Commit(path, data)
}

// EncodeJSON is v as the store writes its files: indented JSON and a newline.
func EncodeJSON(v any) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
