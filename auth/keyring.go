package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/zalando/go-keyring"
)

// KeyringBackend is the system keyring; [SystemKeyring] is the real one.
type KeyringBackend interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

// SystemKeyring is the OS keyring through github.com/zalando/go-keyring
// (Keychain, Windows Credential Manager, Secret Service over D-Bus).
type SystemKeyring struct{}

func (SystemKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (SystemKeyring) Set(service, user, s string) error        { return keyring.Set(service, user, s) }
func (SystemKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }

// Keyring keeps the secret half of each record (tokens and client secret) in
// the system keyring. Every call has a timeout: a Secret Service that never
// answers must not hang `cozeauth token`.
type Keyring struct {
	Backend KeyringBackend
	Service string
	Timeout time.Duration
}

// NewKeyring uses the system keyring with a 3-second timeout per call.
func NewKeyring() *Keyring {
	return &Keyring{Backend: SystemKeyring{}, Service: "cozeauth", Timeout: 3 * time.Second}
}

// secretsInKeyring marks a record whose secrets live in the keyring.
const secretsInKeyring = "keyring"

type keyringSecrets struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
	PrivateKey   string `json:"private_key,omitempty"`
}

// ErrKeyringTimeout means the keyring did not answer in time.
var ErrKeyringTimeout = errors.New("the system keyring did not answer in time")

// errNoKeyring is a keyring call on a store that was given none.
var errNoKeyring = errors.New("no system keyring was given to this program")

func (k *Keyring) call(f func() (string, error)) (string, error) {
	if k == nil {
		return "", errNoKeyring
	}
	type result struct {
		v   string
		err error
	}
	ch := make(chan result, 1)
	go func() { // left behind if the keyring hangs; the process goes on
		v, err := f()
		ch <- result{v, err}
	}()
	t := time.NewTimer(k.Timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-t.C:
		return "", ErrKeyringTimeout
	}
}

// user names a profile's entry; the absolute directory keeps two config
// directories (or one named two ways) apart.
func (k *Keyring) user(dir, profile string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return profile + "@" + dir
}

// KeyringError means a profile's secrets are in the keyring and could not be
// read from it. A login replaces them and a logout removes the record.
type KeyringError struct {
	Profile string
	Err     error
}

func (e *KeyringError) Error() string {
	return fmt.Sprintf("the tokens of profile %q are in the system keyring, which could not be read (%v): unlock the keyring and try again, or run `cozeauth login --storage file` to start afresh", e.Profile, e.Err)
}

func (e *KeyringError) Unwrap() error { return e.Err }

func (k *Keyring) put(dir, profile string, r *Record) error {
	blob, _ := json.Marshal(keyringSecrets{r.AccessToken, r.RefreshToken, r.ClientSecret, r.PrivateKey})
	_, err := k.call(func() (string, error) { return "", k.Backend.Set(k.Service, k.user(dir, profile), string(blob)) })
	return err
}

func (k *Keyring) fill(dir, profile string, r *Record) error {
	blob, err := k.call(func() (string, error) { return k.Backend.Get(k.Service, k.user(dir, profile)) })
	if err != nil {
		return &KeyringError{Profile: profile, Err: err}
	}
	var s keyringSecrets
	if err := json.Unmarshal([]byte(blob), &s); err != nil {
		return &KeyringError{Profile: profile, Err: errors.New("the entry is not cozeauth's")}
	}
	r.AccessToken, r.RefreshToken, r.ClientSecret, r.PrivateKey, r.Secrets = s.AccessToken, s.RefreshToken, s.ClientSecret, s.PrivateKey, ""
	return nil
}

func (k *Keyring) remove(dir, profile string) error {
	_, err := k.call(func() (string, error) { return "", k.Backend.Delete(k.Service, k.user(dir, profile)) })
	return err
}
