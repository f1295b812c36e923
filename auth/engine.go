package auth

import (
	"context"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"

	"github.com/cozeauth/cozeauth/auth/internal/shared"
)

// The URL schemes of the shared engines in [Settings.Storage].
const (
	schemeEtcd     = "etcd"
	schemePostgres = "postgres"
)

// engineOpeners open a shared engine from its URL, by scheme.
var engineOpeners = map[string]func(rawURL string, getenv func(string) string) (shared.Engine, error){}

// sharedScheme returns the engine scheme of storage ("" for file and
// keyring): etcd, or postgres (which postgresql:// also names).
func sharedScheme(storage string) string {
	scheme, _, ok := strings.Cut(storage, "://")
	if !ok {
		return ""
	}
	switch strings.ToLower(scheme) {
	case "etcd":
		return schemeEtcd
	case "postgres", "postgresql":
		return schemePostgres
	}
	return ""
}

// isSharedStorage reports whether storage is the URL of a shared engine.
func isSharedStorage(storage string) bool { return sharedScheme(storage) != "" }

// IsShared reports whether the profile's tokens are kept in a shared
// engine (etcd or PostgreSQL) for many machines.
func (c Config) IsShared() bool { return isSharedStorage(c.Storage) }

var passwordParam = regexp.MustCompile(`(?i)(password=)[^&\s]*`)

// RedactStorage is a storage setting fit to print: a URL's password (in its
// user info or a password= parameter) is masked.
func RedactStorage(storage string) string {
	if !isSharedStorage(storage) {
		return storage
	}
	if u, err := url.Parse(storage); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			storage = u.String()
		}
	}
	return passwordParam.ReplaceAllString(storage, "${1}xxxxx")
}

// engines are the shared engines this process opened, one per URL: their
// connections are kept for the life of the process.
var engines struct {
	sync.Mutex
	open map[string]shared.Engine
}

// engineFor opens (once per process) the engine that storage names.
func engineFor(storage string) (shared.Engine, error) {
	engines.Lock()
	defer engines.Unlock()
	if e := engines.open[storage]; e != nil {
		return e, nil
	}
	open := engineOpeners[sharedScheme(storage)]
	if open == nil {
		return nil, &UsageError{Msg: "--storage " + RedactStorage(storage) + ": this build has no engine for it"}
	}
	e, err := open(storage, os.Getenv)
	if err != nil {
		return nil, &UsageError{Msg: "--storage " + RedactStorage(storage) + ": " + err.Error()}
	}
	if engines.open == nil {
		engines.open = map[string]shared.Engine{}
	}
	engines.open[storage] = e
	return e, nil
}

// SharedProfiles lists the profiles kept in the shared store storage names.
func SharedProfiles(ctx context.Context, storage string) ([]string, error) {
	e, err := engineFor(storage)
	if err != nil {
		return nil, err
	}
	names, err := e.Profiles(ctx)
	if err != nil {
		return nil, &EngineError{Storage: RedactStorage(storage), Op: "list the profiles", Err: err}
	}
	return names, nil
}
