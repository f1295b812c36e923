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

	"github.com/cozeauth/cozeauth/auth/internal/filestore"
)

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
	for _, dir := range s.RescueDirs {
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
	if err := filestore.PrepareRescueDir(dir); err != nil {
		return err
	}
	f := &tokenFile{Profiles: map[string]*Record{}}
	old, err := readRescue(dir, path)
	var ue *filestore.UntrustedError
	switch {
	case errors.As(err, &ue):
		return fmt.Errorf("%s was not written over: %w", path, err)
	case err == nil:
		f = old
	}
	f.Profiles[profile] = r
	return writeJSON(path, f)
}

// rescued returns the rescue files of this config directory that this user
// wrote, with what they hold. Any other file there — another user's, one
// others can read, a link, a FIFO — is named in a warning and left alone:
// not read, not imported, not removed.
func (s *Store) rescued() (paths []string, f *tokenFile) {
	for _, dir := range s.RescueDirs {
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
