package proxy

import (
	"cmp"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
)

// keyPrefix starts every local key, so that one is never taken for a Coze
// token (czu_, czs_, pat_, sat_) and a leaked one says what it is.
const keyPrefix = "cozeauth_proxy_"

// NewKey returns a fresh random 256-bit local key.
func NewKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read cannot fail since Go 1.24
	return keyPrefix + hex.EncodeToString(b)
}

// validKey reports whether k looks like a key NewKey made.
func validKey(k string) bool {
	rest, ok := strings.CutPrefix(k, keyPrefix)
	if !ok || len(rest) != 64 {
		return false
	}
	_, err := hex.DecodeString(rest)
	return err == nil
}

// KeyFile keeps each profile's local key in a 0600 file of the config
// directory: Dir/proxy/<profile>.key.
type KeyFile struct{ Dir string }

// Path is the file of profile's key.
func (k KeyFile) Path(profile string) string {
	return filepath.Join(k.Dir, "proxy", url.PathEscape(profile)+".key")
}

// Key returns profile's key, creating it when there is none. Two processes
// creating it at once end up with the same one: the file is linked into
// place only if it is not there yet.
func (k KeyFile) Key(profile string) (string, error) {
	path := k.Path(profile)
	if key, err := readKey(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("could not create the proxy key's directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*.tmp")
	if err != nil {
		return "", fmt.Errorf("could not create the proxy key: %w", err)
	}
	defer os.Remove(tmp.Name())
	key := NewKey()
	_, werr := tmp.WriteString(key + "\n")
	if err := errors.Join(werr, tmp.Chmod(0o600), tmp.Sync(), tmp.Close()); err != nil {
		return "", fmt.Errorf("could not write the proxy key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("could not save the proxy key: %w", err)
	}
	return readKey(path) // ours, or the one another process linked first
}

func readKey(path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if info.Mode().Perm()&0o077 != 0 {
		_ = os.Chmod(path, 0o600) // it is a secret: others must not read it
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("could not read the proxy key: %w", err)
	}
	key := strings.TrimSpace(string(b))
	if !validKey(key) {
		return "", fmt.Errorf("%s does not hold a cozeauth proxy key: delete it and a new one is made", path)
	}
	return key, nil
}

// KeyringKey keeps each profile's local key in the system keyring, for
// profiles whose storage is the keyring; a keyring that fails or does not
// answer falls back to the file, as the token store does.
type KeyringKey struct {
	Backend  auth.KeyringBackend
	Fallback KeyFile
	// Timeout bounds each keyring call; 0 means 3 s, as for the tokens.
	Timeout time.Duration
	Warn    func(string)
}

// keyringService names the proxy keys' entries in the keyring.
const keyringService = "cozeauth-proxy"

// Key returns profile's key from the keyring, creating it when there is none.
func (k KeyringKey) Key(profile string) (string, error) {
	user := profile
	if abs, err := filepath.Abs(k.Fallback.Dir); err == nil {
		user = abs + ":" + profile
	}
	key, err := k.call(func() (string, error) { return k.Backend.Get(keyringService, user) })
	if err == nil && validKey(key) {
		return key, nil
	}
	if err == nil || errors.Is(err, keyring.ErrNotFound) {
		key = NewKey()
		if _, err = k.call(func() (string, error) { return "", k.Backend.Set(keyringService, user, key) }); err == nil {
			return key, nil
		}
	}
	if k.Warn != nil {
		k.Warn(fmt.Sprintf("warning: the system keyring is not usable (%v); the proxy key is kept in %s (mode 0600) instead", err, k.Fallback.Path(profile)))
	}
	return k.Fallback.Key(profile)
}

func (k KeyringKey) call(f func() (string, error)) (string, error) {
	type result struct {
		v   string
		err error
	}
	ch := make(chan result, 1)
	go func() { v, err := f(); ch <- result{v, err} }() // left behind if the keyring hangs
	t := time.NewTimer(cmp.Or(k.Timeout, 3*time.Second))
	defer t.Stop()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-t.C:
		return "", auth.ErrKeyringTimeout
	}
}

// RequireKey passes on only the requests that carry key as their bearer
// token (what every SDK sends as its "API token"), compared in constant
// time; any other gets 401 in Coze's shape and nothing is forwarded.
func RequireKey(key string, next http.Handler) http.Handler {
	want := []byte("Bearer " + key)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("Authorization")
		if scheme, rest, ok := strings.Cut(got, " "); ok && strings.EqualFold(scheme, "Bearer") {
			got = "Bearer " + strings.TrimSpace(rest)
		}
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			msg := "wrong or missing key: send the proxy's key as the bearer token (`cozeauth proxy --print-key`), not a Coze token"
			if r.Header.Get("Authorization") == "" {
				msg = "missing key: send `Authorization: Bearer <key>` with the proxy's key (`cozeauth proxy --print-key`)"
			}
			writeError(w, http.StatusUnauthorized, coze.CodeAuthInvalid, msg)
			return
		}
		next.ServeHTTP(w, r)
	})
}
