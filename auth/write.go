package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// MaxStoreFile bounds what the store reads: its files hold a few profiles of
// a few hundred bytes each.
const MaxStoreFile = 1 << 20

// stageHeadroom is what a staged file is written with beyond the current
// token file, so that the record a grant brings back (two tokens at most
// coze.MaxTokenLen each, a user, a failure) surely fits.
const stageHeadroom = 16 << 10

// staged is a temporary file in the store's directory that has already been
// written once, proving that the directory takes a new file of the size the
// result needs (space, quota, a read-only mount, permissions) before
// anything is spent at Coze. commit then writes the real content into it
// and renames it over the target.
type staged struct {
	f *os.File
}

// stagePattern names the temporary files that will replace target.
func stagePattern(target string) string { return "." + filepath.Base(target) + "-*.tmp" }

// stage creates and writes a temporary file of size bytes next to target.
func stage(target string, size int) (*staged, error) {
	dir := filepath.Dir(target)
	f, err := os.CreateTemp(dir, stagePattern(target)) // 0600
	if err != nil {
		return nil, fmt.Errorf("could not create a file in %s: %w", dir, err)
	}
	st := &staged{f: f}
	if _, err := f.Write(make([]byte, size)); err != nil {
		st.abort()
		return nil, fmt.Errorf("could not write to %s: %w", dir, err)
	}
	if err := f.Sync(); err != nil {
		st.abort()
		return nil, fmt.Errorf("could not write to %s: %w", dir, err)
	}
	return st, nil
}

// commit replaces target with data, atomically: a reader sees the old file
// or the new one, never half of either, and the new one is 0600.
func (st *staged) commit(target string, data []byte) error {
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

// removeStale removes temporary files of target left by a process that was
// killed between staging and committing. Only the holder of the store's
// lock stages the token file, so under the lock none of them is in use.
func removeStale(target string) {
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(target), stagePattern(target)))
	for _, f := range stale {
		_ = os.Remove(f)
	}
}

// abort removes a staged file that will not be used.
func (st *staged) abort() {
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

// writeFileAtomic writes data to path through a staged file.
func writeFileAtomic(path string, data []byte) error {
	st, err := stage(path, len(data))
	if err != nil {
		return err
	}
	return st.commit(path, data)
}

func marshalFile(v any) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// rescueName is the rescue file of a config directory: named after a hash
// of its absolute path, so that each config directory has its own.
func (s *Store) rescueName() string {
	abs, err := filepath.Abs(s.Dir)
	if err != nil {
		abs = s.Dir
	}
	sum := sha256.Sum256([]byte(filepath.Clean(abs)))
	return "tokens-" + hex.EncodeToString(sum[:8]) + ".json"
}

// rescueDirs are where a token pair goes when the config directory cannot
// take it: [Store.RescueDirs], as the caller gave them.
func (s *Store) rescueDirs() []string { return s.RescueDirs }

// DefaultRescueDirs lists, best first, where tokens go when the config
// directory cannot take them: the user's state directory (it survives a
// reboot), then the runtime directory. Both are places only this user can
// create. The shared temporary directory is not one: whatever name a rescue
// there had, another user could take it first, and a pointer to a random one
// would have to be kept in the state directory, the place that just failed.
func DefaultRescueDirs(getenv func(string) string) []string {
	var dirs []string
	if d := getenv("XDG_STATE_HOME"); d != "" {
		dirs = append(dirs, filepath.Join(d, "cozeauth", "rescue"))
	} else if home := getenv("HOME"); home != "" {
		dirs = append(dirs, filepath.Join(home, ".local", "state", "cozeauth", "rescue"))
	} else if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".local", "state", "cozeauth", "rescue"))
	}
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		dirs = append(dirs, filepath.Join(d, "cozeauth", "rescue"))
	}
	return dirs
}

// rescue keeps profile's record, which the config directory could not take,
// in the first rescue directory that takes it, and returns the file's path.
// The next command using this config directory imports it.
func (s *Store) rescue(profile string, r *Record) (string, error) {
	var errs []error
	for _, dir := range s.rescueDirs() {
		path := filepath.Join(dir, s.rescueName())
		err := s.rescueTo(dir, path, profile, r)
		if err == nil {
			return path, nil
		}
		errs = append(errs, err)
	}
	return "", errors.Join(errs...)
}

func (s *Store) rescueTo(dir, path, profile string, r *Record) error {
	if err := prepareRescueDir(dir); err != nil {
		return err
	}
	f := &tokenFile{Profiles: map[string]*Record{}}
	old, err := readRescue(dir, path)
	var ue *untrustedError
	switch {
	case errors.As(err, &ue):
		return fmt.Errorf("%s was not written over: %w", path, err)
	case err == nil:
		f = old
	}
	f.Profiles[profile] = r
	data, err := marshalFile(f)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data)
}

// rescued returns the rescue files of this config directory that this user
// wrote, with what they hold. Any other file there — another user's, one
// others can read, a link, a FIFO — is named in a warning and left alone:
// not read, not imported, not removed.
func (s *Store) rescued() (paths []string, f *tokenFile) {
	for _, dir := range s.rescueDirs() {
		path := filepath.Join(dir, s.rescueName())
		rf, err := readRescue(dir, path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			s.warn(fmt.Sprintf("warning: the rescue file %s was skipped: %v; it was not read and was left as it is (remove it if you did not make it)", path, err))
			continue
		}
		paths = append(paths, path)
		if f == nil {
			f = rf
			continue
		}
		for p, r := range rf.Profiles {
			f.Profiles[p] = newer(f.Profiles[p], r)
		}
	}
	return paths, f
}

// newer is whichever record was issued later.
func newer(a, b *Record) *Record {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case b.IssuedAt.After(a.IssuedAt):
		return b
	}
	return a
}

// decodeTokens parses a token file's content.
func decodeTokens(data []byte) (*tokenFile, error) {
	var f tokenFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	if f.Profiles == nil {
		f.Profiles = map[string]*Record{}
	}
	for name, r := range f.Profiles {
		if r == nil {
			delete(f.Profiles, name)
		}
	}
	return &f, nil
}
