package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/cozeauth/cozeauth/auth/internal/filestore"
)

// Store keeps tokens in one 0600 JSON file per config directory and the
// profiles' non-secret settings in another. Writes are atomic (temp file,
// fsync, rename), so a reader without the lock sees the old file or the new
// one, never half of either. Changes to tokens happen under [Store.Lock].
type Store struct {
	Dir string
	// Warn receives non-fatal findings, such as a token file others can read.
	Warn func(string)
	// Keyring is the system keyring, given by the caller ([Open] and the
	// cozeauth command give [NewKeyring]); the store never creates one. A
	// record whose secrets are in it is read and deleted through it; with
	// none, such a record reads as a [KeyringError] and its entry is left.
	Keyring *Keyring
	// UseKeyring sends the secrets of every record saved to Keyring (see
	// [Store.For]); a keyring that is missing, fails or does not answer
	// falls back to the file, with a warning.
	UseKeyring bool
	// RescueDirs are where tokens go when Dir cannot take them, best first
	// ([DefaultRescueDirs] are the usual ones); nil means nowhere.
	RescueDirs []string
	// Getenv reads the variables a shared engine takes its TLS and
	// credentials from (ETCDCTL_*, PG*); nil reads none.
	Getenv func(string) string

	engines *engineSet // the shared engines opened, shared by the copies For makes
}

// File names inside the config directory.
const (
	tokensFile   = "tokens.json"
	settingsFile = "config.json"
	lockFile     = "tokens.lock"
)

// NewStore returns a store in dir.
func NewStore(dir string) *Store { return &Store{Dir: dir, engines: &engineSet{}} }

// DefaultDir is $COZEAUTH_CONFIG_DIR, else the user's configuration
// directory (as [os.UserConfigDir] finds it) and cozeauth in it, with the
// environment read through getenv.
func DefaultDir(getenv func(string) string) (string, error) {
	if d := getenv("COZEAUTH_CONFIG_DIR"); d != "" {
		return d, nil
	}
	base, err := userConfigDir(getenv, runtime.GOOS)
	if err != nil {
		return "", fmt.Errorf("no config directory (set COZEAUTH_CONFIG_DIR): %w", err)
	}
	return filepath.Join(base, "cozeauth"), nil
}

// Path is the token file.
func (s *Store) Path() string { return filepath.Join(s.Dir, tokensFile) }

// SettingsPath is the file of non-secret profile settings.
func (s *Store) SettingsPath() string { return filepath.Join(s.Dir, settingsFile) }

// CorruptError means the token file exists but cannot be read as tokens. The
// file is left as it is: only a login may move it aside.
type CorruptError struct {
	Path string
	Err  error
	// Shared says Path names a record in a shared store, not a file.
	Shared bool
}

func (e *CorruptError) Error() string {
	if e.Shared {
		return fmt.Sprintf("the record of %s is not cozeauth's (%v): run `cozeauth login` to replace it, or `cozeauth logout` to remove it", e.Path, e.Err)
	}
	return fmt.Sprintf("token store %s is unreadable (%v); it was left as it is: fix or remove it, or run `cozeauth login`, which moves it aside", e.Path, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

type tokenFile struct {
	Profiles map[string]*Record `json:"profiles"`
}

// Load returns profile's record without taking the lock, or nil when the
// profile has none.
func (s *Store) Load(profile string) (*Record, error) {
	r, err := s.Meta(profile)
	if err != nil {
		return nil, err
	}
	if r != nil && r.InKeyring() {
		// Written with --storage keyring, maybe read without it.
		if err := s.Keyring.fill(s.Dir, profile, r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Meta returns profile's record as the file has it: when its secrets are in
// the keyring, without them and without asking the keyring. Enough to tell
// whether a profile is logged in and when its tokens expire.
func (s *Store) Meta(profile string) (*Record, error) {
	f, err := s.readTokens()
	if err != nil {
		return nil, err
	}
	return f.Profiles[profile], nil
}

// Profiles lists the profiles that have tokens or settings, sorted.
func (s *Store) Profiles() ([]string, error) {
	seen := map[string]bool{}
	f, err := s.readTokens()
	if err != nil {
		return nil, err
	}
	for p := range f.Profiles {
		seen[p] = true
	}
	doc, err := s.readSettings()
	if err != nil {
		return nil, err
	}
	for p := range doc.Profiles {
		seen[p] = true
	}
	names := make([]string, 0, len(seen))
	for p := range seen {
		names = append(names, p)
	}
	sort.Strings(names)
	return names, nil
}

func (s *Store) readTokens() (*tokenFile, error) {
	f, _, err := s.readTokensRescued()
	return f, err
}

// readTokensRescued reads the token file and lays over it any newer record
// rescued from a command that could not write here; rescued names the
// rescue files, to remove once their records are written here.
func (s *Store) readTokensRescued() (f *tokenFile, rescued []string, err error) {
	if err := s.checkDir(false); err != nil {
		return nil, nil, err
	}
	path := s.Path()
	f, err = s.readTokenStore(path)
	if err != nil {
		return nil, nil, err
	}
	rescued, rf := s.rescued()
	if rf != nil {
		for p, r := range rf.Profiles {
			f.Profiles[p] = newer(f.Profiles[p], r)
		}
	}
	return f, rescued, nil
}

// readTokenStore reads the token file: none is an empty store; anything but
// a regular file is refused by name ([filestore.UnsafeFileError]); one that cannot be
// decoded is a [CorruptError]. A file open to others is made 0600.
func (s *Store) readTokenStore(path string) (*tokenFile, error) {
	file, fi, err := filestore.OpenRegular(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &tokenFile{Profiles: map[string]*Record{}}, nil
	case filestore.IsUnsafe(err):
		return nil, err
	case err != nil:
		return nil, &CorruptError{Path: path, Err: err}
	}
	defer file.Close()
	s.fixFileMode(path, file, fi)
	data, err := filestore.ReadAllBounded(file)
	if err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	f, err := decodeTokens(data)
	if err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	return f, nil
}

func (s *Store) warn(msg string) {
	if s.Warn != nil {
		s.Warn(msg)
	}
}

func (s *Store) ensureDir() error {
	if err := s.checkDir(false); err != nil { // before MkdirAll walks into it
		return err
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("could not create config directory %s: %w", s.Dir, err)
	}
	return s.checkDir(true)
}

// writeJSON writes v to path atomically, 0600.
func writeJSON(path string, v any) error {
	data, err := filestore.EncodeJSON(v)
	if err != nil {
		return err
	}
	return filestore.WriteAtomic(path, data)
}

// Lock takes the cross-process lock that guards every change to the token
// file, waiting until ctx is done. The token file is re-read after locking by
// [Locked.Load], so a token another process rotated meanwhile is seen.
func (s *Store) Lock(ctx context.Context) (*Locked, error) {
	if err := s.ensureDir(); err != nil {
		return nil, err
	}
	fl, err := filestore.LockPath(ctx, filepath.Join(s.Dir, lockFile))
	if filestore.IsUnsafe(err) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("could not lock the token store %s: %w", s.Dir, err)
	}
	// A token file that could never be read or replaced is refused before
	// anything is sent to Coze, not after a grant was spent.
	if err := filestore.CheckRegular(s.Path()); filestore.IsUnsafe(err) {
		fl.Unlock()
		return nil, err
	}
	l := &Locked{s: s, fl: fl}
	filestore.RemoveStale(s.Path())
	l.importRescued()
	return l, nil
}

// Locked is the token store while this process holds its lock.
type Locked struct {
	s      *Store
	fl     filestore.Lock
	staged *filestore.Staged // written by Prepare, used by the next write
}

// importRescued writes into the config directory the tokens an earlier
// command had to keep elsewhere, and removes their rescue files.
func (l *Locked) importRescued() {
	if paths, _ := l.s.rescued(); len(paths) == 0 {
		return
	}
	if err := l.update(func(*tokenFile) {}); err != nil {
		l.s.warn(fmt.Sprintf("warning: tokens rescued from an earlier command are still outside %s: %v", l.s.Dir, err))
	}
}

// Prepare proves that the config directory can take the next write — it
// creates and writes the temporary file that write will use — so that a
// grant is not spent at Coze when its result could not be kept.
func (l *Locked) Prepare() error {
	if l.staged != nil {
		return nil
	}
	size := filestore.StageHeadroom
	if fi, err := os.Lstat(l.s.Path()); err == nil {
		size += int(min(fi.Size(), filestore.MaxFile))
	}
	st, err := filestore.Stage(l.s.Path(), size)
	if err != nil {
		return &StoreFullError{Dir: l.s.Dir, Err: err}
	}
	l.staged = st
	return nil
}

// CanWrite proves, without the lock, that the config directory takes a new
// token file, so that a login does not start when its tokens could not be
// kept.
func (s *Store) CanWrite() error {
	if err := s.ensureDir(); err != nil {
		var ud *UsageError
		if errors.As(err, &ud) {
			return err
		}
		return &StoreFullError{Dir: s.Dir, Err: err}
	}
	for _, name := range []string{tokensFile, settingsFile, lockFile} {
		if err := filestore.CheckRegular(filepath.Join(s.Dir, name)); filestore.IsUnsafe(err) {
			return err
		}
	}
	st, err := filestore.Stage(filepath.Join(s.Dir, "write-check"), filestore.StageHeadroom)
	if err != nil {
		return &StoreFullError{Dir: s.Dir, Err: err}
	}
	st.Abort()
	return nil
}

// StoreFullError means the config directory cannot take a new token file
// (full, read-only, over quota, not writable). Nothing was sent to Coze.
type StoreFullError struct {
	Dir string
	Err error
}

func (e *StoreFullError) Error() string {
	return fmt.Sprintf("the token store %s cannot take a new file (%v), so nothing was sent to coze and the stored tokens are as they were: free space, make the directory writable, or set $COZEAUTH_CONFIG_DIR to one that is", e.Dir, e.Err)
}

func (e *StoreFullError) Unwrap() error { return e.Err }

// Load re-reads profile's record from disk.
func (l *Locked) Load(profile string) (*Record, error) { return l.s.Load(profile) }

// Save writes profile's record, keeping the other profiles as they are.
// With a keyring, the secrets go there first and the file keeps the rest.
func (l *Locked) Save(profile string, r *Record) error {
	onDisk := r
	if l.s.UseKeyring {
		if err := l.s.Keyring.put(l.s.Dir, profile, r); err != nil {
			l.s.warn(fmt.Sprintf("warning: the system keyring is not usable (%v); the tokens are kept in %s (mode 0600) instead", err, l.s.Path()))
		} else {
			stripped := *r
			stripped.AccessToken, stripped.RefreshToken, stripped.ClientSecret, stripped.PrivateKey = "", "", "", ""
			stripped.Secrets = secretsInKeyring
			onDisk = &stripped
		}
	}
	return l.update(func(f *tokenFile) { f.Profiles[profile] = onDisk })
}

// Delete removes the profiles' records, and their keyring entries, in one
// write. A missing record is not an error.
func (l *Locked) Delete(profiles ...string) error {
	return l.update(func(f *tokenFile) {
		for _, p := range profiles {
			l.forget(f, p)
		}
	})
}

// forget drops profile's record from f, and its keyring entry if it has one.
func (l *Locked) forget(f *tokenFile, profile string) {
	if r := f.Profiles[profile]; r != nil && r.InKeyring() {
		k := l.s.Keyring
		if err := k.remove(l.s.Dir, profile); errors.Is(err, errNoKeyring) {
			l.s.warn(fmt.Sprintf("warning: profile %q's tokens are in the system keyring, which this program was not given; they are left there", profile))
		} else if err != nil && !errors.Is(err, keyring.ErrNotFound) {
			l.s.warn(fmt.Sprintf("warning: could not remove profile %q's tokens from the system keyring (%v); remove the entry %q of service %q by hand", profile, err, k.user(l.s.Dir, profile), k.Service))
		}
	}
	delete(f.Profiles, profile)
}

func (l *Locked) update(change func(*tokenFile)) error {
	f, rescued, err := l.s.readTokensRescued()
	if err != nil {
		return err
	}
	change(f)
	data, err := filestore.EncodeJSON(f)
	if err != nil {
		return err
	}
	st := l.staged
	l.staged = nil
	if st == nil {
		if st, err = filestore.Stage(l.s.Path(), len(data)); err != nil {
			return err
		}
	}
	if err := st.Commit(l.s.Path(), data); err != nil {
		return err
	}
	for _, p := range rescued {
		_ = os.Remove(p)
	}
	return nil
}

// moveAside renames a corrupt token file to <name>.corrupt-<time> so a login
// can start afresh, and returns the new name.
func (l *Locked) moveAside(now time.Time) (string, error) {
	dst := fmt.Sprintf("%s.corrupt-%s", l.s.Path(), now.UTC().Format("20060102T150405Z"))
	if err := os.Rename(l.s.Path(), dst); err != nil {
		return "", fmt.Errorf("could not move the unreadable token store aside: %w", err)
	}
	return dst, nil
}

// Unlock releases the lock, removing a staged file that was not used.
func (l *Locked) Unlock() {
	l.staged.Abort()
	l.staged = nil
	l.fl.Unlock()
}

// LoadSettings returns profile's saved settings, or zero settings.
func (s *Store) LoadSettings(profile string) (Settings, bool, error) {
	doc, err := s.readSettings()
	if err != nil {
		return Settings{}, false, err
	}
	set, ok := doc.Profiles[profile]
	return set, ok, nil
}

// SaveSettings saves profile's non-secret settings.
func (s *Store) SaveSettings(profile string, set Settings) error {
	if err := s.ensureDir(); err != nil {
		return err
	}
	doc, err := s.readSettings()
	if err != nil {
		return err
	}
	doc.Profiles[profile] = set
	return writeJSON(s.SettingsPath(), doc)
}

// settingsDoc is the settings file: each profile's settings, and the
// profile commands use when none is named ([Locked.SetDefault]).
type settingsDoc struct {
	Default  string              `json:"default_profile,omitempty"`
	Profiles map[string]Settings `json:"profiles"`
}

func (s *Store) readSettings() (*settingsDoc, error) {
	if err := s.checkDir(false); err != nil {
		return nil, err
	}
	data, err := filestore.ReadBounded(s.SettingsPath())
	if errors.Is(err, fs.ErrNotExist) {
		return &settingsDoc{Profiles: map[string]Settings{}}, nil
	}
	if filestore.IsUnsafe(err) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("could not read %s: %w", s.SettingsPath(), err)
	}
	var f settingsDoc
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("settings file %s is not valid JSON (%v): fix or remove it", s.SettingsPath(), err)
	}
	if f.Profiles == nil {
		f.Profiles = map[string]Settings{}
	}
	return &f, nil
}
