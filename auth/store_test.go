package auth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/coze"
)

func testRecord(access string) *Record {
	return &Record{Token: Token{AccessToken: access, RefreshToken: "r-" + access, Expiry: fixedNow.Add(15 * time.Minute), RefreshExpiry: fixedNow.Add(RefreshTokenLifetime), IssuedAt: fixedNow}}
}

func save(t *testing.T, s *Store, profile string, r *Record) {
	t.Helper()
	l, err := s.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	if err := l.Save(profile, r); err != nil {
		t.Fatal(err)
	}
}

func TestStoreRoundTripAndPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg")
	s := NewStore(dir)
	save(t, s, "default", testRecord("a"))
	save(t, s, "work", testRecord("b"))

	got, err := s.Load("default")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(testRecord("a"), got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if other, _ := s.Load("work"); other == nil || other.AccessToken != "b" {
		t.Errorf("saving one profile lost another: %+v", other)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, s.Path(): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %04o, want %04o", path, fi.Mode().Perm(), want)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") || strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temp file %s left behind", e.Name())
		}
	}
}

func TestStoreMissingProfileIsNil(t *testing.T) {
	s := NewStore(t.TempDir())
	if r, err := s.Load("nobody"); r != nil || err != nil {
		t.Fatalf("Load = %v, %v; want nil, nil", r, err)
	}
}

// privateDir is a temporary config directory of mode 0700, as cozeauth
// makes its own (the testing package's are 0755 under the usual umask).
func privateDir(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	if err := os.Chmod(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}

// Issue 10, row 7: a 0644 tokens.json and a 0755 config directory are made
// 0600 and 0700 by the next command, which says so once each. (A directory
// others can write is refused instead: trust_test.go.)
func TestStoreEnforcesPermissions(t *testing.T) {
	s := NewStore(privateDir(t))
	save(t, s, "default", testRecord("a"))
	os.Chmod(s.Path(), 0o644)
	os.Chmod(s.Dir, 0o755)
	var warnings []string
	s.Warn = func(m string) { warnings = append(warnings, m) }
	l, err := s.Lock(context.Background()) // what every refresh does
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Save("default", testRecord("b")); err != nil {
		t.Fatal(err)
	}
	l.Unlock()
	for path, want := range map[string]os.FileMode{s.Path(): 0o600, s.Dir: 0o700} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %04o", path, fi.Mode().Perm(), err, want)
		}
	}
	want := []string{
		"warning: " + s.Dir + " was open to other users (mode 0755); it is now 0700",
		"warning: " + s.Path() + " was open to other users (mode 0644); it is now 0600",
	}
	if diff := cmp.Diff(want, warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestStoreCorruptFileIsLeftAlone(t *testing.T) {
	s := NewStore(t.TempDir())
	junk := []byte("{not json")
	os.WriteFile(s.Path(), junk, 0o600)

	_, err := s.Load("default")
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Path != s.Path() {
		t.Fatalf("Load error = %v, want CorruptError naming the file", err)
	}
	l, _ := s.Lock(context.Background())
	if err := l.Save("default", testRecord("a")); !errors.As(err, &ce) {
		t.Errorf("Save over a corrupt file = %v, want CorruptError", err)
	}
	l.Unlock()
	if got, _ := os.ReadFile(s.Path()); string(got) != string(junk) {
		t.Errorf("corrupt file was changed to %q", got)
	}
}

func TestStoreMoveAside(t *testing.T) {
	s := NewStore(t.TempDir())
	os.WriteFile(s.Path(), []byte("garbage"), 0o600)
	l, _ := s.Lock(context.Background())
	defer l.Unlock()
	dst, err := l.moveAside(fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); string(got) != "garbage" || !strings.Contains(dst, ".corrupt-20261126T120000Z") {
		t.Errorf("moved to %s holding %q", dst, got)
	}
}

func TestStoreLockExcludesOthers(t *testing.T) {
	dir := t.TempDir()
	a, b := NewStore(dir), NewStore(dir)
	l, err := a.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // b must not get the lock while a holds it
	if _, err := b.Lock(ctx); err == nil {
		t.Fatal("a second lock was granted while the first was held")
	}
	l.Unlock()
	l2, err := b.Lock(context.Background())
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	l2.Unlock()
}

// Writers under the lock never lose each other's profiles, and readers
// without the lock never see a half-written file.
func TestStoreConcurrentWritersAndReaders(t *testing.T) {
	s := NewStore(t.TempDir())
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			w := NewStore(s.Dir)
			save(t, w, string(rune('a'+i)), testRecord("x"))
			if _, err := w.Load("a"); err != nil {
				t.Errorf("reader saw a broken file: %v", err)
			}
		})
	}
	wg.Wait()
	names, err := s.Profiles()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "d", "e", "f", "g", "h"}, names); diff != "" {
		t.Errorf("profiles (-want +got):\n%s", diff)
	}
}

func TestSettingsRoundTrip(t *testing.T) {
	s := NewStore(t.TempDir())
	want := Settings{Region: coze.RegionCN, ClientID: "1.app.coze", RedirectURI: "http://localhost:9000/cb"}
	if err := s.SaveSettings("work", want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.LoadSettings("work")
	if err != nil || !ok {
		t.Fatalf("LoadSettings = %v, %v", ok, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	data, _ := os.ReadFile(s.SettingsPath())
	if strings.Contains(string(data), "secret") {
		t.Error("settings file mentions a secret")
	}
}

// A process killed between staging and committing leaves a temporary file;
// the next holder of the lock removes it.
func TestLockRemovesStaleTemporaryFiles(t *testing.T) {
	s := NewStore(privateDir(t))
	stale := filepath.Join(s.Dir, ".tokens.json-123.tmp")
	settingsTmp := filepath.Join(s.Dir, ".config.json-456.tmp") // may be another process's, written without the lock
	os.WriteFile(stale, make([]byte, 100), 0o600)
	os.WriteFile(settingsTmp, nil, 0o600)
	save(t, s, "default", testRecord("a"))
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale token temp file still there: %v", err)
	}
	if _, err := os.Stat(settingsTmp); err != nil {
		t.Errorf("the settings temp file was removed: %v", err)
	}
}

// Tokens and a web app's secret go to the API base: plain http is refused
// there except on loopback (the sandbox), where nothing crosses a network.
func TestResolveRefusesPlainHTTPAPIBase(t *testing.T) {
	tests := []struct {
		base    string
		wantErr bool
	}{
		{"https://api.coze.com", false},
		{"http://127.0.0.1:8808", false},
		{"http://localhost:8808", false},
		{"http://[::1]:8808", false},
		{"http://api.coze.com", true},
		{"http://10.0.0.5:8808", true},
	}
	for _, tt := range tests {
		_, _, err := NewStore(t.TempDir()).Resolve(Overrides{ClientID: "1.app.coze", APIBase: tt.base, WWWBase: "https://www.coze.com"})
		var bad *UsageError
		if got := errors.As(err, &bad); got != tt.wantErr || tt.wantErr && !strings.Contains(err.Error(), "https") {
			t.Errorf("--api-base %s: %v; want an error saying https: %v", tt.base, err, tt.wantErr)
		}
	}
}
