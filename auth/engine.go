package auth

import (
	"context"
	"strings"
	"sync"

	"github.com/cozeauth/cozeauth/auth/internal/etcdstore"
	"github.com/cozeauth/cozeauth/auth/internal/pgstore"
	"github.com/cozeauth/cozeauth/auth/internal/shared"
)

// The URL schemes of the shared engines in [Settings.Storage].
const (
	schemeEtcd     = "etcd"
	schemePostgres = "postgres"
)

// engineOpeners open a shared engine from its URL, by scheme.
var engineOpeners = map[string]func(rawURL string, getenv func(string) string) (shared.Engine, error){
	schemeEtcd: func(rawURL string, getenv func(string) string) (shared.Engine, error) {
		return etcdstore.Open(rawURL, getenv)
	},
	// pgx reads the PG* variables itself, from the process environment.
	schemePostgres: func(rawURL string, _ func(string) string) (shared.Engine, error) { return pgstore.Open(rawURL) },
}

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

// RedactStorage is a storage setting fit to print: a URL's password (in its
// user info or a password= parameter) is masked, as its engine masks it.
func RedactStorage(storage string) string {
	switch sharedScheme(storage) {
	case schemeEtcd:
		return etcdstore.Redact(storage)
	case schemePostgres:
		return pgstore.Redact(storage)
	}
	return storage
}

// engineSet is the shared engines a store opened, one per URL: their
// connections are kept for the life of the process.
type engineSet struct {
	mu   sync.Mutex
	open map[string]shared.Engine
}

// engine opens (once per store and its copies) the engine that storage,
// the URL of a shared store ([isSharedStorage]), names.
func (s *Store) engine(storage string) (shared.Engine, error) {
	es := s.engines
	es.mu.Lock()
	defer es.mu.Unlock()
	if e := es.open[storage]; e != nil {
		return e, nil
	}
	getenv := s.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	e, err := engineOpeners[sharedScheme(storage)](storage, getenv)
	if err != nil { // the engine's error names the URL, its password masked
		return nil, &UsageError{Msg: "--storage: " + err.Error()}
	}
	if es.open == nil {
		es.open = map[string]shared.Engine{}
	}
	es.open[storage] = e
	return e, nil
}

// SharedProfiles lists the profiles kept in the shared store storage names.
func (s *Store) SharedProfiles(ctx context.Context, storage string) ([]string, error) {
	e, err := s.engine(storage)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, engineCallTimeout)
	defer cancel()
	names, err := e.Profiles(ctx)
	if err != nil {
		return nil, &EngineError{Storage: RedactStorage(storage), Op: "list the profiles", Err: err}
	}
	return names, nil
}
