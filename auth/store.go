package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/gofrs/flock"
	"github.com/google/renameio/v2/maybe"
	"github.com/zalando/go-keyring"
)

// Record is what the store keeps for one profile: the token pair, the web
// app's client secret (needed for every refresh) and who the token is for.
type Record struct {
	Token
	ClientSecret string `json:"client_secret,omitempty"`
	// PrivateKey is a JWT app's PEM key when it came from the environment
	// or a config file (a key file is kept as a path in the settings).
	PrivateKey string `json:"private_key,omitempty"`
	User       *User  `json:"user,omitempty"`
	// Secrets is "keyring" when the tokens and secret are in the system
	// keyring rather than in this file.
	Secrets string `json:"secrets,omitempty"`
}

// Store keeps tokens in one 0600 JSON file per config directory and the
// profiles' non-secret settings in another. Writes are atomic (temp file,
// fsync, rename), so a reader without the lock sees the old file or the new
// one, never half of either. Changes to tokens happen under [Store.Lock].
type Store struct {
	Dir string
	// Warn receives non-fatal findings, such as a token file others can read.
	Warn func(string)
	// Keyring, when set, receives the secrets of every record saved; a
	// keyring that fails or does not answer falls back to the file, with a
	// warning.
	Keyring *Keyring
}

// File names inside the config directory.
const (
	tokensFile   = "tokens.json"
	settingsFile = "config.json"
	lockFile     = "tokens.lock"
)

// NewStore returns a store in dir.
func NewStore(dir string) *Store { return &Store{Dir: dir} }

// DefaultDir is $COZEAUTH_CONFIG_DIR, else os.UserConfigDir()/cozeauth.
func DefaultDir() (string, error) {
	if d := os.Getenv("COZEAUTH_CONFIG_DIR"); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
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
}

func (e *CorruptError) Error() string {
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
	if r != nil && r.Secrets == secretsInKeyring {
		k := s.Keyring
		if k == nil {
			k = NewKeyring() // written with --storage keyring, read without it
		}
		if err := k.fill(s.Dir, profile, r); err != nil {
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

// LoggedIn reports whether r's access token is valid or its refresh token can
// still renew it, judging a keyring record by its expiry alone.
func (r *Record) LoggedIn(now time.Time) bool {
	if r == nil {
		return false
	}
	inKeyring := r.Secrets == secretsInKeyring
	access := (r.AccessToken != "" || inKeyring) && now.Before(r.Expiry)
	refresh := (r.RefreshToken != "" || inKeyring) && (r.RefreshExpiry.IsZero() || now.Before(r.RefreshExpiry))
	return access || refresh
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
	set, err := s.readSettings()
	if err != nil {
		return nil, err
	}
	for p := range set {
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
	path := s.Path()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &tokenFile{Profiles: map[string]*Record{}}, nil
	}
	if err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	s.checkMode(path)
	var f tokenFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	if f.Profiles == nil {
		f.Profiles = map[string]*Record{}
	}
	return &f, nil
}

func (s *Store) checkMode(path string) {
	fi, err := os.Stat(path)
	if err == nil && fi.Mode().Perm()&0o077 != 0 {
		s.warn(fmt.Sprintf("warning: %s is readable by other users (mode %04o); run `chmod 600 %s`", path, fi.Mode().Perm(), path))
	}
}

func (s *Store) warn(msg string) {
	if s.Warn != nil {
		s.Warn(msg)
	}
}

func (s *Store) ensureDir() error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("could not create config directory %s: %w", s.Dir, err)
	}
	return nil
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	// renameio writes a temp file in the same directory, fsyncs and renames
	// (on Windows, where that is not atomic, it writes in place).
	if err := maybe.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("could not write %s: %w", path, err)
	}
	return nil
}

// Lock takes the cross-process lock that guards every change to the token
// file, waiting until ctx is done. The token file is re-read after locking by
// [Locked.Load], so a token another process rotated meanwhile is seen.
func (s *Store) Lock(ctx context.Context) (*Locked, error) {
	if err := s.ensureDir(); err != nil {
		return nil, err
	}
	fl := flock.New(filepath.Join(s.Dir, lockFile))
	ok, err := fl.TryLockContext(ctx, 20*time.Millisecond)
	if err != nil || !ok {
		if err == nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("could not lock the token store %s: %w", s.Dir, err)
	}
	return &Locked{s: s, fl: fl}, nil
}

// Locked is the token store while this process holds its lock.
type Locked struct {
	s  *Store
	fl *flock.Flock
}

// Load re-reads profile's record from disk.
func (l *Locked) Load(profile string) (*Record, error) { return l.s.Load(profile) }

// Save writes profile's record, keeping the other profiles as they are.
// With a keyring, the secrets go there first and the file keeps the rest.
func (l *Locked) Save(profile string, r *Record) error {
	onDisk := r
	if k := l.s.Keyring; k != nil {
		if err := k.put(l.s.Dir, profile, r); err != nil {
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

// Delete removes profile's record, and its keyring entry if it has one. A
// missing record is not an error.
func (l *Locked) Delete(profile string) error {
	return l.update(func(f *tokenFile) {
		if r := f.Profiles[profile]; r != nil && r.Secrets == secretsInKeyring {
			k := l.s.Keyring
			if k == nil {
				k = NewKeyring()
			}
			if err := k.remove(l.s.Dir, profile); err != nil && !errors.Is(err, keyring.ErrNotFound) {
				l.s.warn(fmt.Sprintf("warning: could not remove profile %q's tokens from the system keyring (%v); remove the entry %q of service %q by hand", profile, err, k.user(l.s.Dir, profile), k.Service))
			}
		}
		delete(f.Profiles, profile)
	})
}

func (l *Locked) update(change func(*tokenFile)) error {
	f, err := l.s.readTokens()
	if err != nil {
		return err
	}
	change(f)
	return writeJSON(l.s.Path(), f)
}

// MoveAside renames a corrupt token file to <name>.corrupt-<time> so a login
// can start afresh, and returns the new name.
func (l *Locked) MoveAside(now time.Time) (string, error) {
	dst := fmt.Sprintf("%s.corrupt-%s", l.s.Path(), now.UTC().Format("20060102T150405Z"))
	if err := os.Rename(l.s.Path(), dst); err != nil {
		return "", fmt.Errorf("could not move the unreadable token store aside: %w", err)
	}
	return dst, nil
}

// Unlock releases the lock.
func (l *Locked) Unlock() { _ = l.fl.Unlock() }

// LoadSettings returns profile's saved settings, or zero settings.
func (s *Store) LoadSettings(profile string) (Settings, bool, error) {
	all, err := s.readSettings()
	if err != nil {
		return Settings{}, false, err
	}
	set, ok := all[profile]
	return set, ok, nil
}

// SaveSettings saves profile's non-secret settings.
func (s *Store) SaveSettings(profile string, set Settings) error {
	if err := s.ensureDir(); err != nil {
		return err
	}
	all, err := s.readSettings()
	if err != nil {
		return err
	}
	all[profile] = set
	return writeJSON(s.SettingsPath(), struct {
		Profiles map[string]Settings `json:"profiles"`
	}{all})
}

func (s *Store) readSettings() (map[string]Settings, error) {
	data, err := os.ReadFile(s.SettingsPath())
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]Settings{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("could not read %s: %w", s.SettingsPath(), err)
	}
	var f struct {
		Profiles map[string]Settings `json:"profiles"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("settings file %s is not valid JSON (%v): fix or remove it", s.SettingsPath(), err)
	}
	if f.Profiles == nil {
		f.Profiles = map[string]Settings{}
	}
	return f.Profiles, nil
}
