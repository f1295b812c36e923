package proxy

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/zalando/go-keyring"
)

func TestKeyFileMakesOneKeyPerProfileAndKeepsIt(t *testing.T) {
	k := KeyFile{Dir: t.TempDir()}
	first, err := k.Key("default")
	if err != nil {
		t.Fatal(err)
	}
	if !validKey(first) || !strings.HasPrefix(first, keyPrefix) {
		t.Fatalf("key %q is not a cozeauth proxy key", first)
	}
	again, err := k.Key("default")
	if err != nil || again != first {
		t.Errorf("second Key = %q, %v; want the same key", again, err)
	}
	other, _ := k.Key("work")
	if other == first {
		t.Error("two profiles share a key")
	}
	info, err := os.Stat(k.Path("default"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %o, want 600", perm)
	}
	if dir, _ := os.Stat(filepath.Dir(k.Path("default"))); dir.Mode().Perm() != 0o700 {
		t.Errorf("key directory mode = %o, want 700", dir.Mode().Perm())
	}
}

// Two proxies started at once (or a proxy and --print-key) must agree on
// the key, or one's clients would be refused by the other.
func TestKeyFileConcurrentCreationAgrees(t *testing.T) {
	k := KeyFile{Dir: t.TempDir()}
	keys := make([]string, 16)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			var err error
			if keys[i], err = k.Key("default"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, key := range keys {
		if key != keys[0] {
			t.Fatalf("keys differ: %q and %q", keys[0], key)
		}
	}
}

func TestKeyFileRefusesWhatIsNotAKey(t *testing.T) {
	k := KeyFile{Dir: t.TempDir()}
	path := k.Path("default")
	os.MkdirAll(filepath.Dir(path), 0o700)
	os.WriteFile(path, []byte("czu_a_coze_token\n"), 0o600)
	if _, err := k.Key("default"); err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Errorf("Key over a file holding a Coze token = %v, want an error saying to delete it", err)
	}
}

// fakeKeyring records what was stored; fail makes every call fail.
type fakeKeyring struct {
	mu      sync.Mutex
	entries map[string]string
	fail    error
}

func (f *fakeKeyring) Get(service, user string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return "", f.fail
	}
	v, ok := f.entries[service+"/"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeKeyring) Set(service, user, secret string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.entries[service+"/"+user] = secret
	return nil
}

func (f *fakeKeyring) Delete(service, user string) error { return nil }

func TestKeyringKeyStoresInTheKeyringAndFallsBackToTheFile(t *testing.T) {
	dir := t.TempDir()
	kr := &fakeKeyring{entries: map[string]string{}}
	k := KeyringKey{Backend: kr, Fallback: KeyFile{Dir: dir}}
	key, err := k.Key("default")
	if err != nil || !validKey(key) {
		t.Fatalf("Key = %q, %v", key, err)
	}
	if len(kr.entries) != 1 {
		t.Errorf("keyring holds %d entries, want 1", len(kr.entries))
	}
	if _, err := os.Stat(k.Fallback.Path("default")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a key kept in the keyring was written to a file too (%v)", err)
	}
	if again, _ := k.Key("default"); again != key {
		t.Errorf("second Key = %q, want %q", again, key)
	}

	var warned []string
	broken := KeyringKey{Backend: &fakeKeyring{fail: errors.New("no dbus")}, Fallback: KeyFile{Dir: dir}, Warn: func(s string) { warned = append(warned, s) }}
	fallback, err := broken.Key("default")
	if err != nil || !validKey(fallback) {
		t.Fatalf("Key with a broken keyring = %q, %v; want the file's key", fallback, err)
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "0600") {
		t.Errorf("warnings = %q, want one naming the file", warned)
	}
}

// recorder is a next handler that notes whether anything got through.
type recorder struct {
	mu   sync.Mutex
	seen []*http.Request
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.seen = append(rec.seen, r)
	rec.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (rec *recorder) count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.seen)
}

func TestRequireKey(t *testing.T) {
	key := NewKey()
	tests := []struct {
		name, authorization string
		pass                bool
	}{
		{"the key", "Bearer " + key, true},
		{"lower-case scheme", "bearer " + key, true},
		{"no header", "", false},
		{"wrong key", "Bearer " + NewKey(), false},
		{"a Coze token", "Bearer czu_someAccessToken", false},
		{"the key cut short", "Bearer " + key[:len(key)-1], false},
		{"the key with more", "Bearer " + key + "x", false},
		{"not bearer", "Basic " + key, false},
		{"the key alone", key, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := &recorder{}
			req := httptest.NewRequest(http.MethodGet, "/v1/users/me", nil)
			if tt.authorization != "" {
				req.Header.Set("Authorization", tt.authorization)
			}
			w := httptest.NewRecorder()
			RequireKey(key, next).ServeHTTP(w, req)
			if tt.pass {
				if next.count() != 1 || w.Code != http.StatusNoContent {
					t.Errorf("= %d, forwarded %d; want it passed on", w.Code, next.count())
				}
				return
			}
			if next.count() != 0 {
				t.Error("a request without the key was forwarded")
			}
			if w.Code != http.StatusUnauthorized || !strings.HasPrefix(w.Body.String(), `{"code":4100,"msg":"cozeauth proxy: `) {
				t.Errorf("= %d %s, want 401 with Coze's 4100 shape", w.Code, w.Body)
			}
			if strings.Contains(w.Body.String(), key) {
				t.Error("the answer shows the key")
			}
		})
	}
}
