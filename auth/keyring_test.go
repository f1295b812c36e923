package auth

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/zalando/go-keyring"
)

// hangingKeyring never answers, like a Secret Service stuck on D-Bus.
type hangingKeyring struct{ release chan struct{} }

func (h hangingKeyring) Get(string, string) (string, error) { <-h.release; return "", nil }
func (h hangingKeyring) Set(string, string, string) error   { <-h.release; return nil }
func (h hangingKeyring) Delete(string, string) error        { <-h.release; return nil }

func TestKeyringKeepsSecretsOutOfTheFile(t *testing.T) {
	keyring.MockInit()
	s := NewStore(t.TempDir())
	s.Keyring, s.UseKeyring = &Keyring{Backend: SystemKeyring{}, Service: "cozeauth-test", Timeout: time.Second}, true
	rec := testRecord("czu_secret_access")
	rec.ClientSecret = "web-secret"
	save(t, s, "default", rec)

	data, _ := os.ReadFile(s.Path())
	for _, secret := range []string{"czu_secret_access", "r-czu_secret_access", "web-secret"} {
		if strings.Contains(string(data), secret) {
			t.Errorf("token file holds %q:\n%s", secret, data)
		}
	}
	got, err := s.Load("default")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rec, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}

	l, _ := s.Lock(context.Background())
	if err := l.Delete("default"); err != nil {
		t.Fatal(err)
	}
	l.Unlock()
	if _, err := keyring.Get("cozeauth-test", "default@"+s.Dir); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("logout left the keyring entry: %v", err)
	}
}

func TestKeyringFallsBackToFileWithAWarning(t *testing.T) {
	tests := []struct {
		name    string
		backend func() KeyringBackend
		want    string
	}{
		{"keyring errors", func() KeyringBackend {
			keyring.MockInitWithError(errors.New("no secret service on the bus"))
			return SystemKeyring{}
		}, "no secret service"},
		{"keyring hangs", func() KeyringBackend { return hangingKeyring{make(chan struct{})} }, "did not answer in time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStore(privateDir(t))
			var warnings []string
			s.Warn = func(m string) { warnings = append(warnings, m) }
			s.Keyring, s.UseKeyring = &Keyring{Backend: tt.backend(), Service: "cozeauth-test", Timeout: 20 * time.Millisecond}, true
			save(t, s, "default", testRecord("czu_a"))

			if len(warnings) != 1 || !strings.Contains(warnings[0], tt.want) || !strings.Contains(warnings[0], s.Path()) {
				t.Errorf("warnings = %q, want one naming %q and the file", warnings, tt.want)
			}
			s.Keyring = nil // reading needs no keyring: the tokens are in the file
			got, err := s.Load("default")
			if err != nil || got.AccessToken != "czu_a" {
				t.Errorf("Load = %+v, %v", got, err)
			}
		})
	}
}

func TestKeyringUnreadableSaysWhatToDo(t *testing.T) {
	keyring.MockInit()
	s := NewStore(t.TempDir())
	s.Keyring, s.UseKeyring = &Keyring{Backend: SystemKeyring{}, Service: "cozeauth-test", Timeout: time.Second}, true
	save(t, s, "default", testRecord("czu_a"))
	s.Keyring, s.UseKeyring = &Keyring{Backend: hangingKeyring{make(chan struct{})}, Service: "cozeauth-test", Timeout: 20 * time.Millisecond}, true
	_, err := s.Load("default")
	if err == nil || !strings.Contains(err.Error(), "keyring") || !strings.Contains(err.Error(), "cozeauth login") {
		t.Fatalf("Load = %v, want an error naming the keyring and what to run", err)
	}
}

// A keyring that stopped answering must not trap the user: status still
// reports, logout forgets, and a login with the file store starts afresh.
func TestUnreadableKeyringIsNoTrap(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	m := newTestManager(t, dir, "http://127.0.0.1:1", func() time.Time { return fixedNow })
	m.Store.Keyring, m.Store.UseKeyring = &Keyring{Backend: SystemKeyring{}, Service: "cozeauth-test", Timeout: time.Second}, true
	save(t, m.Store, "default", testRecord("czu_a"))
	keyring.MockInitWithError(errors.New("locked"))

	var warned []string
	m.Store.Warn = func(s string) { warned = append(warned, s) }
	st, err := m.Status()
	if err != nil || !st.LoggedIn || len(warned) != 1 || !strings.Contains(warned[0], "locked") {
		t.Errorf("Status = %+v, %v, warnings %q; want logged in with a warning", st, err, warned)
	}

	m.Store.UseKeyring = false // `cozeauth login --storage file`
	res, err := m.finishLogin(context.Background(), func(context.Context, *Client) (*Token, error) { return &testRecord("czu_b").Token, nil })
	if err != nil || res.Record.AccessToken != "czu_b" {
		t.Fatalf("login over an unreadable keyring entry: %v", err)
	}
	if got, err := m.Store.Load("default"); err != nil || got.AccessToken != "czu_b" {
		t.Errorf("after login: %+v, %v", got, err)
	}

	save(t, m.Store, "other", &Record{Token: Token{Expiry: fixedNow}, Secrets: secretsInKeyring})
	m.Config.Profile = "other"
	if had, err := m.Logout(context.Background()); !had || err != nil {
		t.Errorf("Logout of an unreadable keyring profile = %v, %v", had, err)
	}
}

// The store never creates the system keyring behind its caller's back: a
// record kept in the keyring, read or deleted by a store given none, is
// refused (Load) or left in the keyring with a warning (Delete).
func TestStoreWithoutAKeyringNeverReachesTheSystemOne(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	s := NewStore(dir)
	s.Keyring, s.UseKeyring = &Keyring{Backend: SystemKeyring{}, Service: "cozeauth", Timeout: time.Second}, true
	save(t, s, "default", testRecord("czu_kept"))

	bare := NewStore(dir)
	var warned []string
	bare.Warn = func(m string) { warned = append(warned, m) }
	var ke *KeyringError
	if r, err := bare.Load("default"); !errors.As(err, &ke) || r != nil {
		t.Errorf("Load without a keyring = %+v, %v; want a KeyringError", r, err)
	}
	l, err := bare.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	err = l.Delete("default")
	l.Unlock()
	if err != nil || len(warned) != 1 || !strings.Contains(warned[0], "left there") {
		t.Errorf("Delete without a keyring: %v, warnings %q", err, warned)
	}
	if got, err := keyring.Get("cozeauth", s.Keyring.user(dir, "default")); err != nil || !strings.Contains(got, "czu_kept") {
		t.Errorf("the keyring entry = %q, %v; want it left alone", got, err)
	}
}
