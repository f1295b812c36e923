//go:build unix

package auth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/auth/internal/filestore"
)

// otherUID plays the other user on the machine: files are made as this
// user, then given to nobody. Only root can give files away; CI runs as
// root, so there a skip would hide a regression and fails instead.
const otherUID = 65534

func needOtherUser(t *testing.T) {
	t.Helper()
	if os.Getuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("planting another user's files needs root (chown), and CI runs as root")
	}
	t.Skip("planting another user's files needs root (chown to uid 65534); run as root to cover it")
}

func giveAway(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := os.Lchown(p, otherUID, otherUID); err != nil {
			t.Fatal(err)
		}
	}
}

// withinGuard runs f, failing the test when it has not returned after a
// generous hang guard: what a planted FIFO used to do to every command.
func withinGuard(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s still blocked after 10 s", what)
	}
}

// plantedRecord writes a rescue-shaped record of the other user's tokens.
func plantedRecord(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	data, err := filestore.EncodeJSON(&tokenFile{Profiles: map[string]*Record{"default": testRecord("czu_planted_TOKEN")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// Issue 15, item 1: a rescue file is used only when it and its directory
// are this user's and private. Anything else is named in a warning, never
// imported, never removed, and never hangs a command.
func TestRescueFileNotOursIsNeverUsed(t *testing.T) {
	tests := []struct {
		name     string
		other    bool // needs root to plant another uid's file
		runtime  bool // planted under $XDG_RUNTIME_DIR/cozeauth/rescue
		plant    func(t *testing.T, dir, file string)
		wantWhy  string
		fileStay bool
	}{
		{"directory of another uid, 0755", true, false, func(t *testing.T, dir, file string) {
			os.MkdirAll(dir, 0o755)
			os.Chmod(dir, 0o755)
			plantedRecord(t, file, 0o600)
			giveAway(t, file, dir)
		}, "its directory " + "%DIR%" + " is owned by uid 65534", true},
		{"file of another uid in the runtime dir", true, true, func(t *testing.T, dir, file string) {
			os.MkdirAll(dir, 0o755)
			os.Chmod(dir, 0o755)
			plantedRecord(t, file, 0o644)
			giveAway(t, file, dir)
		}, "owned by uid 65534", true},
		{"file of another uid in our private dir", true, false, func(t *testing.T, dir, file string) {
			os.MkdirAll(dir, 0o700)
			plantedRecord(t, file, 0o600)
			giveAway(t, file)
		}, "it is owned by uid 65534", true},
		{"our file, readable by others", false, false, func(t *testing.T, dir, file string) {
			os.MkdirAll(dir, 0o700)
			plantedRecord(t, file, 0o644)
		}, "it is open to other users (mode 0644)", true},
		{"our dir, open to others", false, false, func(t *testing.T, dir, file string) {
			os.MkdirAll(dir, 0o700)
			os.Chmod(dir, 0o755)
			plantedRecord(t, file, 0o600)
		}, "is open to other users (mode 0755)", true},
		{"a FIFO", false, false, func(t *testing.T, dir, file string) {
			os.MkdirAll(dir, 0o700)
			if err := mkfifo(file); err != nil {
				t.Fatal(err)
			}
		}, "it is a named pipe (FIFO)", true},
		{"a link to a record", false, false, func(t *testing.T, dir, file string) {
			os.MkdirAll(dir, 0o700)
			target := filepath.Join(t.TempDir(), "elsewhere.json")
			plantedRecord(t, target, 0o600)
			os.Symlink(target, file)
		}, "it is a symbolic link", true},
		{"the directory is a link", false, false, func(t *testing.T, dir, file string) {
			real := filepath.Join(t.TempDir(), "real")
			os.MkdirAll(real, 0o700)
			os.Chmod(real, 0o700)
			plantedRecord(t, filepath.Join(real, filepath.Base(file)), 0o600)
			os.MkdirAll(filepath.Dir(dir), 0o700)
			os.Symlink(real, dir)
		}, "is a symbolic link", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.other {
				needOtherUser(t)
			}
			s := NewStore(privateDir(t))
			base := t.TempDir()
			env := map[string]string{"XDG_STATE_HOME": filepath.Join(base, "state"), "TMPDIR": filepath.Join(base, "tmp")}
			dir := filepath.Join(base, "state", "cozeauth", "rescue")
			if tt.runtime {
				env["XDG_RUNTIME_DIR"] = filepath.Join(base, "run")
				dir = filepath.Join(base, "run", "cozeauth", "rescue")
			}
			s.RescueDirs = DefaultRescueDirs(func(k string) string { return env[k] })
			file := filepath.Join(dir, s.rescueName())
			tt.plant(t, dir, file)
			var warnings []string
			s.Warn = func(m string) { warnings = append(warnings, m) }

			withinGuard(t, "Load and Lock with a planted rescue file", func() {
				if r, err := s.Load("default"); err != nil || r != nil {
					t.Errorf("Load = %+v, %v; want no record: the planted one is not ours", r, err)
				}
				l, err := s.Lock(context.Background()) // where rescued records are imported
				if err != nil {
					t.Fatal(err)
				}
				if err := l.Save("work", testRecord("ours")); err != nil {
					t.Error(err)
				}
				l.Unlock()
			})
			if data, _ := os.ReadFile(s.Path()); strings.Contains(string(data), "planted") {
				t.Errorf("the planted record was imported into tokens.json:\n%s", data)
			}
			if _, err := os.Lstat(file); err != nil {
				t.Errorf("the planted file was removed or moved: %v", err)
			}
			distinct := map[string]bool{}
			for _, w := range warnings {
				distinct[w] = true
			}
			why := strings.ReplaceAll(tt.wantWhy, "%DIR%", dir)
			if len(distinct) != 1 || !strings.Contains(warnings[0], file) || !strings.Contains(warnings[0], why) {
				t.Errorf("warnings %q; want one, naming %s and saying %q", warnings, file, why)
			}
		})
	}
}

// The config directory itself: one of another user's, or one others can
// write, is refused for reading and writing tokens; nothing is written
// there, and it is not chmodded.
func TestConfigDirNotOursIsRefused(t *testing.T) {
	tests := []struct {
		name  string
		other bool
		mode  os.FileMode
		why   string
	}{
		{"another uid's, 0777", true, 0o777, "is owned by uid 65534"},
		{"another uid's, 0700", true, 0o700, "is owned by uid 65534"},
		{"ours, 0777", false, 0o777, "can be written by other users (mode 0777)"},
		{"ours, group-writable", false, 0o770, "can be written by other users (mode 0770)"},
		{"ours, sticky and shared", false, 0o1777, "can be written by other users (mode 1777)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.other {
				needOtherUser(t)
			}
			s := NewStore(filepath.Join(t.TempDir(), "cfg"))
			os.Mkdir(s.Dir, 0o700)
			plantedRecord(t, s.Path(), 0o600)
			os.Chmod(s.Dir, tt.mode|map[bool]os.FileMode{true: os.ModeSticky}[tt.mode&0o1000 != 0])
			if tt.other {
				giveAway(t, s.Path(), s.Dir)
			}
			before, _ := os.ReadDir(s.Dir)
			var ud *UsageError
			if _, err := s.Load("default"); !errors.As(err, &ud) || !strings.Contains(err.Error(), tt.why) || !strings.Contains(err.Error(), s.Dir) {
				t.Errorf("Load: %v; want the directory refused because it %s", err, tt.why)
			}
			if _, err := s.Profiles(); !errors.As(err, &ud) {
				t.Errorf("Profiles: %v; want the directory refused", err)
			}
			if _, err := s.Lock(context.Background()); !errors.As(err, &ud) {
				t.Errorf("Lock: %v; want the directory refused", err)
			}
			if err := s.SaveSettings("default", Settings{ClientID: "1"}); !errors.As(err, &ud) {
				t.Errorf("SaveSettings: %v; want the directory refused", err)
			}
			after, _ := os.ReadDir(s.Dir)
			if len(after) != len(before) {
				t.Errorf("files in the refused directory: %v, then %v", before, after)
			}
			if fi, _ := os.Lstat(s.Dir); fi.Mode().Perm() != tt.mode.Perm() {
				t.Errorf("the refused directory was chmodded to %04o", fi.Mode().Perm())
			}
		})
	}
}

// chmod reaches only what Lstat found: a link's target is never changed,
// a link to a shared directory is refused, not "repaired", and a dangling
// lock link does not create its target.
func TestStoreNeverFollowsLinks(t *testing.T) {
	t.Run("tokens.json is a link", func(t *testing.T) {
		s := NewStore(privateDir(t))
		target := filepath.Join(t.TempDir(), "someone-elses.json")
		plantedRecord(t, target, 0o644)
		os.Symlink(target, s.Path())
		var uf *filestore.UnsafeFileError
		if _, err := s.Load("default"); !errors.As(err, &uf) || uf.Path != s.Path() || !strings.Contains(err.Error(), "a symbolic link") {
			t.Errorf("Load: %v; want tokens.json refused as a link", err)
		}
		if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o644 {
			t.Errorf("the link's target was chmodded to %04o", fi.Mode().Perm())
		}
	})
	t.Run("config dir is a link to a shared dir", func(t *testing.T) {
		shared := filepath.Join(t.TempDir(), "shared")
		os.Mkdir(shared, 0o777)
		os.Chmod(shared, 0o777|os.ModeSticky)
		link := filepath.Join(t.TempDir(), "cfg")
		os.Symlink(shared, link)
		s := NewStore(link)
		var ud *UsageError
		if _, err := s.Lock(context.Background()); !errors.As(err, &ud) {
			t.Errorf("Lock: %v; want the directory refused", err)
		}
		if fi, _ := os.Stat(shared); fi.Mode() != os.ModeDir|os.ModeSticky|0o777 {
			t.Errorf("the shared directory behind the link is now %v", fi.Mode())
		}
	})
	t.Run("config dir is a link to our 0755 dir", func(t *testing.T) {
		real := filepath.Join(t.TempDir(), "real")
		os.Mkdir(real, 0o755)
		os.Chmod(real, 0o755)
		link := filepath.Join(t.TempDir(), "cfg")
		os.Symlink(real, link)
		s := NewStore(link)
		var warnings []string
		s.Warn = func(m string) { warnings = append(warnings, m) }
		save(t, s, "default", testRecord("a"))
		if fi, _ := os.Stat(real); fi.Mode().Perm() != 0o755 {
			t.Errorf("chmodded through the link to %04o", fi.Mode().Perm())
		}
		if len(warnings) == 0 || !strings.Contains(warnings[0], "chmod 700") {
			t.Errorf("warnings %q; want one saying what to run", warnings)
		}
	})
	t.Run("dangling tokens.lock", func(t *testing.T) {
		s := NewStore(privateDir(t))
		target := filepath.Join(t.TempDir(), "created-through-the-link")
		os.Symlink(target, filepath.Join(s.Dir, lockFile))
		var uf *filestore.UnsafeFileError
		if _, err := s.Lock(context.Background()); !errors.As(err, &uf) || !strings.Contains(err.Error(), "rm ") {
			t.Errorf("Lock: %v; want tokens.lock refused as a link, saying what to remove", err)
		}
		if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the lock link's target was created: %v", err)
		}
	})
}

// A FIFO where the store keeps a file is refused by name at once: it used
// to block every command in open(2).
func TestStoreRefusesAFIFOInEachPlace(t *testing.T) {
	for _, name := range []string{tokensFile, settingsFile, lockFile} {
		t.Run(name, func(t *testing.T) {
			s := NewStore(privateDir(t))
			path := filepath.Join(s.Dir, name)
			if err := mkfifo(path); err != nil {
				t.Fatal(err)
			}
			var err error
			withinGuard(t, "the store with a FIFO as "+name, func() {
				switch name {
				case tokensFile:
					_, err = s.Load("default")
				case settingsFile:
					_, _, err = s.LoadSettings("default")
				case lockFile:
					_, err = s.Lock(context.Background())
				}
			})
			var uf *filestore.UnsafeFileError
			if !errors.As(err, &uf) || uf.Path != path || !strings.Contains(err.Error(), "a named pipe (FIFO)") {
				t.Errorf("err = %v; want %s refused as a FIFO", err, path)
			}
		})
	}
}

// Rescuing tokens never writes into a rescue directory of another user's
// (there, they would be that user's to read): the next directory is used.
func TestRescueSkipsADirectoryNotOurs(t *testing.T) {
	needOtherUser(t)
	s := NewStore(privateDir(t))
	foreign, ours := filepath.Join(t.TempDir(), "foreign"), filepath.Join(t.TempDir(), "ours")
	os.Mkdir(foreign, 0o777)
	os.Chmod(foreign, 0o777)
	giveAway(t, foreign)
	s.RescueDirs = []string{foreign, ours}
	path, err := s.rescue("default", testRecord("rescued"))
	if err != nil || filepath.Dir(path) != ours {
		t.Fatalf("rescue = %s, %v; want a file in %s", path, err, ours)
	}
	if entries, _ := os.ReadDir(foreign); len(entries) != 0 {
		t.Errorf("wrote into another user's directory: %v", entries)
	}
}
